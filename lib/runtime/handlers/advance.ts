/**
 * The advance handler: an SQS batch of inputs, applied one by one through the
 * journey service. Partial batch failure: a record that hit a transient error
 * is reported and retried by SQS on its own; an input that can never apply is
 * sent to the dead-letter queue with its reason and acknowledged, so it never
 * blocks the batch.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { JourneyService, Logger } from '../journey-service';
import { decodeWorkMessage, type DeadLetters } from '../queue';
import type { BufferedCounters } from '../counters';

export interface AdvanceDependencies {
  service: JourneyService;
  deadLetters: DeadLetters;
  counters: BufferedCounters;
  now: () => number;
  log: Logger;
}

export function createAdvanceHandler(deps: AdvanceDependencies) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const decoded = decodeWorkMessage(record.body);
        const report = 'reason' in decoded ? { status: 'rejected' as const, reason: decoded.reason } : await deps.service.apply(decoded.input, deps.now());
        if (report.status === 'rejected') {
          deps.log.warn('input rejected: sent to the dead-letter queue', { messageId: record.messageId, reason: report.reason });
          await deps.deadLetters.send(record.body, report.reason);
        } else if (report.status === 'applied') {
          for (const journey of report.journeys.filter((j) => j.outcome === 'failed')) {
            deps.log.error('journey not applied', { messageId: record.messageId, customerId: report.customerId, ...journey });
          }
        }
      } catch (error) {
        deps.log.error('input failed: SQS will retry it', { messageId: record.messageId, error: (error as Error).message, name: (error as Error).name });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    await deps.counters.flush(deps.log);
    return { batchItemFailures };
  };
}
