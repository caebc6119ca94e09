/**
 * SES events from the configuration set's EventBridge destination:
 * permanent bounces and complaints suppress the address at once (and flag the
 * customer), deliveries, bounces and complaints count per step, and opens and
 * clicks go to the work queue as customer events that journeys can wait on.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import type { Logger } from '../journey-service';
import type { WorkQueue } from '../queue';
import { classifySesEvent } from '../ses-events';
import type { JourneyStore } from '../store';

export interface SesEventsDependencies {
  store: JourneyStore;
  queue: WorkQueue;
  log: Logger;
}

export function createSesEventsHandler(deps: SesEventsDependencies) {
  return async (event: EventBridgeEvent<string, unknown>): Promise<{ suppressed: number; engagement: boolean }> => {
    const outcome = classifySesEvent(event);
    for (const entry of outcome.suppressions) {
      await deps.store.suppress(entry);
      deps.log.info('address suppressed', { reason: entry.reason, customerId: entry.customerId, detail: entry.detail });
    }
    if (outcome.counters.length > 0) await deps.store.addCounters(outcome.counters);
    if (outcome.engagement) await deps.queue.send([{ kind: 'event', event: outcome.engagement }]);
    if (outcome.ignored) deps.log.info('SES event not used', { id: event.id, reason: outcome.ignored });
    return { suppressed: outcome.suppressions.length, engagement: outcome.engagement !== undefined };
  };
}
