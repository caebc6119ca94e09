/**
 * The advance handler: an SQS batch of inputs, applied through the journey
 * service (which decides and writes; the stream does the sending). Inputs are
 * customer events, SES events (bounces and complaints suppress the address,
 * opens and clicks become engagement events for the journeys), the sweep's
 * wake-ups and the send path's suppression notices.
 *
 * Different customers' inputs are applied concurrently (at most
 * ADVANCE_CONCURRENCY at once), one customer's in the batch's order: a batch
 * of ten customers waits for DynamoDB about once per step instead of ten
 * times in turn, which is most of the function's billed time. Customers share
 * nothing but their suppressed addresses, and the send path checks those
 * again; a customer reached through two lanes anyway (an SES event naming no
 * customer) is kept right by the journeys' conditional writes.
 *
 * Partial batch failure: a record that hit a transient error is reported and
 * retried by SQS on its own (after five receives it lands in the dead-letter
 * queue, never dropped); an input that can never apply is sent to the
 * dead-letter queue with its reason and acknowledged, so it never blocks the
 * batch or loops.
 */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BufferedCounters } from '../counters';
import type { ApplyReport, JourneyService, Logger, ServiceInput } from '../journey-service';
import { type DeadLetters, decodeWorkMessage } from '../queue';
import { classifySesEvent, isSesEvent, type SesEventOutcome } from '../ses-events';
import type { JourneyStore } from '../store';
import { JOURNEY_PARKED } from '../log-messages';

/** Customers of one batch applied at once: a batch of ten (the stack's batch size) all together. */
export const ADVANCE_CONCURRENCY = 10;

export interface AdvanceDependencies {
  service: JourneyService;
  store: Pick<JourneyStore, 'suppress'>;
  deadLetters: DeadLetters;
  counters: BufferedCounters;
  now: () => number;
  log: Logger;
  /** Customers applied at once (default ADVANCE_CONCURRENCY; 1 applies the batch in order). */
  concurrency?: number;
  /** Told of every input's report (the dev journal). */
  onReport?: (report: ApplyReport, body: string) => void;
}

/** What a record asks for, decided before anything is applied: the lanes need its customer. */
type Planned =
  | { kind: 'rejected'; reason: string }
  /** An SES event in the configuration set's form, classified once. */
  | { kind: 'ses'; outcome: SesEventOutcome }
  | { kind: 'apply'; input: ServiceInput }
  /** Reading the record threw: reported as failed, as an error while applying it is. */
  | { kind: 'unreadable'; error: Error };

/** The lane of inputs whose customer cannot be told before applying them (rejected ones, SES events about no customer). */
const NO_CUSTOMER = '';

export function createAdvanceHandler(deps: AdvanceDependencies) {
  /** An SES event from the configuration set: suppressions and counters here, engagement through the service. */
  async function applySesEvent(outcome: SesEventOutcome, now: number): Promise<ApplyReport> {
    for (const entry of outcome.suppressions) {
      const added = await deps.store.suppress(entry);
      if (added) deps.log.info('address suppressed', { reason: entry.reason, customerId: entry.customerId, detail: entry.detail });
    }
    if (outcome.counters.length > 0) deps.counters.add(outcome.counters);
    if (outcome.engagement) return deps.service.apply({ kind: 'event', event: outcome.engagement }, now);
    if (outcome.ignored) deps.log.info('SES event not used', { reason: outcome.ignored });
    return { status: 'ignored' };
  }

  /** Applies one record; false when SQS should deliver it again. */
  async function applyRecord(record: SQSRecord, planned: Planned): Promise<boolean> {
    try {
      if (planned.kind === 'unreadable') throw planned.error;
      const now = deps.now();
      const report: ApplyReport =
        planned.kind === 'rejected' ? { status: 'rejected', reason: planned.reason } : planned.kind === 'ses' ? await applySesEvent(planned.outcome, now) : await deps.service.apply(planned.input, now);
      if (report.status === 'rejected') {
        deps.log.warn('input rejected: sent to the dead-letter queue', { messageId: record.messageId, reason: report.reason });
        await deps.deadLetters.send(record.body, report.reason);
      } else if (report.status === 'applied') {
        for (const journey of report.journeys.filter((j) => j.outcome === 'failed' || j.outcome === 'parked')) {
          deps.log.error(journey.outcome === 'parked' ? JOURNEY_PARKED : 'journey not applied', { messageId: record.messageId, customerId: report.customerId, ...journey });
        }
        // The warning's text goes under `reason`: a log line's own `message` is what metric filters and queries key on.
        for (const { message, ...warning } of report.warnings) deps.log.warn('customer data not usable: a fallback was taken', { ...warning, reason: message });
      }
      deps.onReport?.(report, record.body);
      return true;
    } catch (error) {
      deps.log.error('input failed: SQS will retry it', { messageId: record.messageId, error: (error as Error).message, name: (error as Error).name });
      return false;
    }
  }

  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const lanes = new Map<string, Array<{ record: SQSRecord; planned: Planned }>>();
    for (const record of event.Records) {
      const planned = plan(record.body);
      const lane = laneOf(planned);
      const inputs = lanes.get(lane);
      if (inputs) inputs.push({ record, planned });
      else lanes.set(lane, [{ record, planned }]);
    }
    const failed = new Set<string>();
    await inParallel([...lanes.values()], Math.max(1, deps.concurrency ?? ADVANCE_CONCURRENCY), async (inputs) => {
      for (const { record, planned } of inputs) if (!(await applyRecord(record, planned))) failed.add(record.messageId);
    });
    await deps.counters.flush(deps.log);
    return { batchItemFailures: event.Records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId })) };
  };
}

function plan(body: string): Planned {
  try {
    const decoded = decodeWorkMessage(body);
    if ('reason' in decoded) return { kind: 'rejected', reason: decoded.reason };
    const { input } = decoded;
    if (input.kind === 'event' && isSesEvent(input.event) && !hasCustomerId(input.event)) return { kind: 'ses', outcome: classifySesEvent(input.event) };
    return { kind: 'apply', input };
  } catch (error) {
    return { kind: 'unreadable', error: error as Error };
  }
}

function laneOf(planned: Planned): string {
  if (planned.kind === 'apply') return customerOf(planned.input);
  if (planned.kind !== 'ses') return NO_CUSTOMER;
  const engaged = (planned.outcome.engagement?.detail as { customerId?: unknown } | undefined)?.customerId;
  return typeof engaged === 'string' ? engaged : (planned.outcome.suppressions[0]?.customerId ?? NO_CUSTOMER);
}

/** The customer a journey-service input is about (NO_CUSTOMER for an event that names none, which the service rejects). */
export function customerOf(input: ServiceInput): string {
  if (input.kind !== 'event') return input.customerId;
  return hasCustomerId(input.event) ? (input.event as { detail: { customerId: string } }).detail.customerId : NO_CUSTOMER;
}

/** Runs `work` over `items`, at most `limit` at once, each started as soon as a slot frees. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function hasCustomerId(event: unknown): boolean {
  const detail = (event as { detail?: { customerId?: unknown } }).detail;
  return typeof detail?.customerId === 'string';
}
