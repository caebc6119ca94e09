/**
 * The send handler: a batch of the table's stream records, in order. For each
 * record, the emails its journey write decided are delivered (suppression
 * checked, rendered, handed to SES) and the write's counters are added to the
 * batch's totals, which are written once at the end: one counter write per
 * workflow and day per batch (every step's counters of a day are one item),
 * whatever the batch holds.
 *
 * Partial batch failure, as the stream needs it: at the first record that hits
 * a transient error (SES throttling beyond the mailer's retries, SES
 * unavailable), processing stops and that record's sequence number is
 * returned; the stream retries from there, so nothing before it is sent
 * twice. Counters are written for the records processed before it only.
 *
 * The one window for a duplicate email is a crash after SES accepted a message
 * and before the batch's checkpoint; the one window for a double-counted
 * counter is a crash after the counters' write and before the checkpoint (at
 * most one batch's counters, each time).
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { DeliveryService } from '../delivery';
import type { Logger } from '../journey-service';
import { decodeStreamRecord } from '../outbox-stream';
import { addCounterRows, type CounterRow, type JourneyStore } from '../store';

export interface SendDependencies {
  delivery: DeliveryService;
  store: Pick<JourneyStore, 'addCounters'>;
  now: () => number;
  log: Logger;
}

export interface SendReport {
  sent: number;
  records: number;
}

export function createSendHandler(deps: SendDependencies) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const totals = new Map<string, CounterRow>();
    const batchItemFailures: DynamoDBBatchResponse['batchItemFailures'] = [];
    let sent = 0;
    for (const record of event.Records) {
      const rows: CounterRow[] = [];
      try {
        const work = decodeStreamRecord(record);
        for (const entry of work.entries) {
          const outcome = await deps.delivery.deliver(entry, deps.now(), rows);
          if (outcome.status === 'sent') sent += 1;
        }
        rows.push(...work.counters);
        addCounterRows(totals, rows);
      } catch (error) {
        deps.log.error('stream record failed: the stream retries from it', { sequenceNumber: record.dynamodb?.SequenceNumber, error: (error as Error).message, name: (error as Error).name });
        batchItemFailures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
        break;
      }
    }
    if (totals.size > 0) {
      try {
        await deps.store.addCounters([...totals.values()]);
      } catch (error) {
        // Counters are analytics: a failed write is logged, and never makes the stream resend emails.
        deps.log.warn('counters could not be written', { rows: totals.size, error: (error as Error).message });
      }
    }
    if (sent > 0) deps.log.info('emails sent', { sent, records: event.Records.length });
    return { batchItemFailures };
  };
}
