/**
 * The advance handler: an SQS batch of inputs, applied one by one through the
 * journey service (which decides and writes; the stream does the sending).
 * Inputs are customer events, SES events (bounces and complaints suppress the
 * address, opens and clicks become engagement events for the journeys), the
 * sweep's wake-ups and the send path's suppression notices.
 *
 * Partial batch failure: a record that hit a transient error is reported and
 * retried by SQS on its own (after five receives it lands in the dead-letter
 * queue, never dropped); an input that can never apply is sent to the
 * dead-letter queue with its reason and acknowledged, so it never blocks the
 * batch or loops.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BufferedCounters } from '../counters';
import type { ApplyReport, JourneyService, Logger } from '../journey-service';
import { type DeadLetters, decodeWorkMessage } from '../queue';
import { classifySesEvent, isSesEvent } from '../ses-events';
import type { JourneyStore } from '../store';

export interface AdvanceDependencies {
  service: JourneyService;
  store: Pick<JourneyStore, 'suppress'>;
  deadLetters: DeadLetters;
  counters: BufferedCounters;
  now: () => number;
  log: Logger;
  /** Told of every input's report (the dev journal). */
  onReport?: (report: ApplyReport, body: string) => void;
}

export function createAdvanceHandler(deps: AdvanceDependencies) {
  /** An SES event from the configuration set: suppressions and counters here, engagement through the service. */
  async function applySesEvent(raw: unknown, now: number): Promise<ApplyReport> {
    const outcome = classifySesEvent(raw);
    for (const entry of outcome.suppressions) {
      const added = await deps.store.suppress(entry);
      if (added) deps.log.info('address suppressed', { reason: entry.reason, customerId: entry.customerId, detail: entry.detail });
    }
    if (outcome.counters.length > 0) deps.counters.add(outcome.counters);
    if (outcome.engagement) return deps.service.apply({ kind: 'event', event: outcome.engagement }, now);
    if (outcome.ignored) deps.log.info('SES event not used', { reason: outcome.ignored });
    return { status: 'ignored' };
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      try {
        const decoded = decodeWorkMessage(record.body);
        const now = deps.now();
        let report: ApplyReport;
        if ('reason' in decoded) report = { status: 'rejected', reason: decoded.reason };
        else if (decoded.input.kind === 'event' && isSesEvent(decoded.input.event) && !hasCustomerId(decoded.input.event)) report = await applySesEvent(decoded.input.event, now);
        else report = await deps.service.apply(decoded.input, now);
        if (report.status === 'rejected') {
          deps.log.warn('input rejected: sent to the dead-letter queue', { messageId: record.messageId, reason: report.reason });
          await deps.deadLetters.send(record.body, report.reason);
        } else if (report.status === 'applied') {
          for (const journey of report.journeys.filter((j) => j.outcome === 'failed' || j.outcome === 'parked')) {
            deps.log.error(journey.outcome === 'parked' ? 'journey parked' : 'journey not applied', { messageId: record.messageId, customerId: report.customerId, ...journey });
          }
          for (const warning of report.warnings) deps.log.warn('customer data not usable: a fallback was taken', { ...warning });
        }
        deps.onReport?.(report, record.body);
      } catch (error) {
        deps.log.error('input failed: SQS will retry it', { messageId: record.messageId, error: (error as Error).message, name: (error as Error).name });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    await deps.counters.flush(deps.log);
    return { batchItemFailures };
  };
}

function hasCustomerId(event: unknown): boolean {
  const detail = (event as { detail?: { customerId?: unknown } }).detail;
  return typeof detail?.customerId === 'string';
}
