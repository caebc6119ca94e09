/**
 * The sweep, every minute: wakes customers whose timer fell due (see
 * sweep.ts), and now and then puts back journeys that were parked because
 * their workflow version was not deployed, once it is.
 */
import type { Logger } from '../journey-service';
import type { WorkQueue } from '../queue';
import type { ControlSource } from '../controls';
import type { JourneyStore, OutboxEntry } from '../store';
import { CONTROL_SETTLE_MS, heldEmailOf, releaseHeldWork } from '../journey-lifecycle';
import { type SweepReport, sweepDue, unparkDeployed } from '../sweep';

export interface SweepDependencies {
  store: Pick<JourneyStore, 'acquireSweep' | 'releaseSweep' | 'dueEntries' | 'unparkJourneys' | 'releaseHeld' | 'releaseHeldEmails' | 'addCounters'>;
  /** Workflows' live controls: what a pause held is released once the workflow is resumed (or stopped). */
  controls?: ControlSource;
  /**
   * How long after a resume or stop the release waits, so every function's control cache has seen it
   * (default CONTROL_SETTLE_MS; `waymark dev` clears its caches itself and passes 0).
   */
  controlSettleMs?: number;
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
  const workflowIds = [...new Set((deps.deployed ?? []).map((w) => w.id))];
  return async (): Promise<SweepReport & { unparked: number; released: number }> => {
    const now = deps.now();
    let unparked = 0;
    let released = 0;
    // What a pause held goes on once the workflow is not paused: customers held at an email step are woken (the
    // engine decides their email now, or drops it with --drop-held, or ends them if stopped), and emails held on
    // their way to SES are handed back to their journeys through the work queue, to be decided again now.
    if (deps.controls) {
      const handBack = (entries: OutboxEntry[]) =>
        deps.queue.send(entries.map((entry) => ({ kind: 'held-email' as const, customerId: entry.customerId, workflowId: entry.workflowId, email: heldEmailOf(entry) })));
      for (const workflowId of workflowIds) {
        const control = await deps.controls.get(workflowId);
        released += (await releaseHeldWork(deps.store, workflowId, control, now, { limit: deps.batchLimit, settleMs: deps.controlSettleMs ?? CONTROL_SETTLE_MS, handBack })).released;
      }
      if (released > 0) deps.log.info('held journeys and emails released', { released });
    }
    if (deps.deployed && now - lastUnpark >= (deps.unparkEveryMs ?? 600_000)) {
      lastUnpark = now;
      unparked = await unparkDeployed(deps.store, deps.deployed, now, deps.batchLimit);
      if (unparked > 0) deps.log.info('parked journeys put back: their workflow version is deployed', { unparked });
    }
    const report = await sweepDue(
      { store: deps.store, enqueue: (messages) => deps.queue.send(messages), shards: deps.shards, limit: deps.batchLimit, marginMs: deps.marginMs ?? 120_000, leaseMs: 70_000, log: deps.log },
      now,
    );
    return { ...report, unparked, released };
  };
}
