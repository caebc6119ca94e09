/**
 * The sweep, every minute: wakes customers whose timer fell due (see
 * sweep.ts), and now and then puts back journeys that were parked because
 * their workflow version was not deployed, once it is.
 */
import type { Logger } from '../journey-service';
import type { WorkQueue } from '../queue';
import type { JourneyStore } from '../store';
import { type SweepReport, sweepDue, unparkDeployed } from '../sweep';

export interface SweepDependencies {
  store: Pick<JourneyStore, 'acquireSweep' | 'releaseSweep' | 'dueEntries' | 'unparkJourneys'>;
  queue: WorkQueue;
  now: () => number;
  log: Logger;
  shards: number;
  batchLimit: number;
  /** How far before its cursor each sweep reads again (see sweep.ts); default two minutes. */
  marginMs?: number;
  /** The workflow versions deployed: parked journeys of these are put back. */
  deployed?: ReadonlyArray<{ id: string; version: number }>;
  /** How often parked journeys are looked for; default ten minutes. */
  unparkEveryMs?: number;
}

export function createSweepHandler(deps: SweepDependencies) {
  let lastUnpark = Number.NEGATIVE_INFINITY;
  return async (): Promise<SweepReport & { unparked: number }> => {
    const now = deps.now();
    let unparked = 0;
    if (deps.deployed && now - lastUnpark >= (deps.unparkEveryMs ?? 600_000)) {
      lastUnpark = now;
      unparked = await unparkDeployed(deps.store, deps.deployed, now, deps.batchLimit);
      if (unparked > 0) deps.log.info('parked journeys put back: their workflow version is deployed', { unparked });
    }
    const report = await sweepDue(
      { store: deps.store, enqueue: (messages) => deps.queue.send(messages), shards: deps.shards, limit: deps.batchLimit, marginMs: deps.marginMs ?? 120_000, leaseMs: 70_000, log: deps.log },
      now,
    );
    return { ...report, unparked };
  };
}
