/**
 * The sweep, every minute: finds the journeys whose timer or outbox resend is
 * due through the due-time index, and enqueues a wake-up for each. The wake-up
 * is idempotent, so finding a journey twice is harmless.
 */
import type { Logger } from '../journey-service';
import type { WorkQueue } from '../queue';
import type { JourneyStore } from '../store';

export interface SweepDependencies {
  store: JourneyStore;
  queue: WorkQueue;
  now: () => number;
  log: Logger;
  batchLimit: number;
}

export function createSweepHandler(deps: SweepDependencies) {
  return async (): Promise<{ enqueued: number }> => {
    const due = await deps.store.findDue(deps.now(), deps.batchLimit);
    await deps.queue.send(due.map((d) => ({ kind: 'wake' as const, customerId: d.customerId, workflowId: d.workflowId })));
    if (due.length > 0) deps.log.info('due journeys enqueued', { count: due.length, limited: due.length >= deps.batchLimit });
    return { enqueued: due.length };
  };
}
