/**
 * The engine on a virtual clock, in memory: the journey service (deciding)
 * and the delivery service (sending, to a recording mailer) over a memory
 * store, the same code production runs. Events are applied in time order;
 * timers that fall due between events fire at their due time; the emails an
 * input decides are delivered right after it, at the same instant, as the
 * table's stream would carry them. `waymark run`, `waymark test`, `waymark
 * replay` and `waymark simulate` are built on it.
 */
import { parseCustomerEvent } from '../engine/events';
import type { LocalRule } from '../engine/routing';
import type { JourneyState } from '../engine/model';
import { DeliveryService, type DeliveryOutcome } from './delivery';
import { locateJsonError } from './json-error';
import { type ApplyReport, type CustomerWarning, JourneyService, type JourneyServiceOptions, type Logger, type ServiceInput, silentLogger } from './journey-service';
import { RecordingMailer, type RecordedEmail, type UnsubscribeLinks } from './mailer';
import { MemoryStore } from './memory-store';
import { MemoryUnknownOutcomes } from './queue';
import type { WorkflowRegistry } from './registry';
import { EmailRenderer } from './render';
import { classifySesEvent, isSesEvent } from './ses-events';
import type { CounterRow, OutboxEntry, SuppressionEntry } from './store';
import { SignedUnsubscribeLinks } from './unsubscribe-token';

export interface RejectedLine {
  line: number;
  reason: string;
}

/** Where a customer ended up in a workflow (`stepId` is null once the journey is over). */
export type CustomerSummary = Pick<JourneyState, 'customerId' | 'workflowId' | 'version' | 'status' | 'stepId' | 'stage'>;

/** An input placed on the virtual timeline, at the time it is applied. */
export type TimelineItem =
  | { at: number; order: number; kind: 'event'; event: unknown; line?: number }
  | { at: number; order: number; kind: 'suppress'; entry: SuppressionEntry; line?: number };

/** Keeps journeys from running forever when nothing bounds them (a journey that loops through waits). */
export const MAX_TIMER_FIRINGS = 5_000_000;

export interface MemoryEngineOptions {
  /** false: do not render (simulations that only count emails). */
  render?: boolean;
  log?: Logger;
  observer?: JourneyServiceOptions['observer'];
  /** Told of every email handed to the mailer. */
  onDelivered?: (entry: OutboxEntry, outcome: DeliveryOutcome) => void;
  /** Where counters go (default: kept by the memory store, readable with readCounters). */
  counters?: { add(rows: CounterRow[]): void };
  /** Unsubscribe links (default: signed links to a local URL). */
  links?: UnsubscribeLinks;
  /** Split paths or holdout fixed per customer (scenarios). */
  pins?: JourneyServiceOptions['pins'];
}

export interface RunnerOptions extends MemoryEngineOptions {
  /**
   * The deployed rules (workflow rules and the profile rule, see rulesFor): a customer event none of
   * them matches is dropped, as EventBridge drops it, so `waymark run` keeps the profiles the stack
   * keeps. SES events are not filtered (the configuration set's own rule delivers them).
   */
  routing?: readonly LocalRule[];
}

/**
 * Deciding and delivering over one memory store: an input is applied, then the emails it decided
 * are delivered at the same instant, and a suppressed address found at delivery is told to its
 * journey at once (as the work queue would, a moment later).
 */
export class MemoryEngine {
  readonly store: MemoryStore;
  readonly mailer = new RecordingMailer();
  readonly service: JourneyService;
  readonly delivery: DeliveryService;
  readonly unknown = new MemoryUnknownOutcomes();
  private readonly notices: Array<{ customerId: string; workflowId: string }> = [];

  constructor(
    readonly registry: WorkflowRegistry,
    options: MemoryEngineOptions = {},
  ) {
    const log = options.log ?? silentLogger;
    this.store = new MemoryStore(options.counters ? { counters: options.counters } : {});
    this.service = new JourneyService({
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.pins ? { pins: options.pins } : {}),
      registry,
      store: this.store,
      counters: { add: (rows: CounterRow[]) => this.store.addCounters(rows) },
      log,
    });
    this.delivery = new DeliveryService({
      registry,
      store: this.store,
      mailer: this.mailer,
      renderer: options.render === false ? null : new EmailRenderer(),
      links: options.links ?? new SignedUnsubscribeLinks({ baseUrl: 'http://localhost:8787/unsubscribe', key: 'waymark-local-run' }),
      notices: { suppressed: async (customerId, workflowId) => void this.notices.push({ customerId, workflowId }) },
      unknown: this.unknown,
      log,
      ...(options.onDelivered ? { onSent: options.onDelivered } : {}),
    });
  }

  /** Applies one input at `now`, then delivers what it decided. */
  async apply(input: ServiceInput, now: number): Promise<ApplyReport> {
    const report = await this.service.apply(input, now);
    await this.deliver(now);
    return report;
  }

  private async deliver(now: number): Promise<void> {
    for (;;) {
      const entries = this.store.takeStream();
      if (entries.length === 0 && this.notices.length === 0) return;
      const rows: CounterRow[] = [];
      for (const entry of entries) await this.delivery.deliver(entry, now, rows);
      await this.store.addCounters(rows);
      for (const notice of this.notices.splice(0)) await this.service.apply({ kind: 'suppressed', ...notice }, now);
    }
  }
}

export class VirtualClockRunner {
  readonly engine: MemoryEngine;
  now = Number.NEGATIVE_INFINITY;
  timersFired = 0;
  /** Customer events no deployed rule matches (dropped, as EventBridge drops them). */
  unrouted = 0;
  private readonly routing: readonly LocalRule[] | undefined;
  /** Every warning about a customer's data, in the order they happened. */
  readonly warnings: CustomerWarning[] = [];

  constructor(
    readonly registry: WorkflowRegistry,
    options: RunnerOptions = {},
  ) {
    this.engine = new MemoryEngine(registry, options);
    this.routing = options.routing;
  }

  get store(): MemoryStore {
    return this.engine.store;
  }

  get mailer(): RecordingMailer {
    return this.engine.mailer;
  }

  get service(): JourneyService {
    return this.engine.service;
  }

  private async applyInput(input: ServiceInput, now: number): Promise<ApplyReport> {
    const report = await this.engine.apply(input, now);
    if (report.status === 'applied') this.warnings.push(...report.warnings);
    return report;
  }

  /** Fires every timer due at or before `until`, each at its own due time. Returns false if the firing limit was hit. */
  async advanceTo(until: number): Promise<boolean> {
    for (;;) {
      const next = this.store.nextWake();
      if (!next || next.at > until) break;
      if (this.timersFired >= MAX_TIMER_FIRINGS) return false;
      this.timersFired += 1;
      this.now = Math.max(this.now, next.at);
      // A wake-up is for the customer: every journey of theirs due by then, highest priority first.
      await this.applyInput({ kind: 'wake', customerId: next.customerId }, next.at);
    }
    if (until !== Number.POSITIVE_INFINITY) this.now = Math.max(this.now, until);
    return true;
  }

  /** Applies one timeline item at its time, after the timers due before it. */
  async apply(item: TimelineItem): Promise<{ rejected?: string }> {
    await this.advanceTo(item.at);
    this.now = Math.max(this.now, item.at);
    if (item.kind === 'suppress') {
      await this.store.suppress(item.entry);
      return {};
    }
    if (this.routing && !isSesEvent(item.event) && !this.routing.some((rule) => rule.matches(item.event))) {
      this.unrouted += 1;
      return {};
    }
    const report = await this.applyInput({ kind: 'event', event: item.event }, item.at);
    return report.status === 'rejected' ? { rejected: report.reason } : {};
  }

  customers(): CustomerSummary[] {
    const rows: CustomerSummary[] = [];
    for (const { customerId, workflowId, state } of this.store.journeys()) {
      rows.push({ customerId, workflowId, version: state.version, status: state.status, stepId: state.status === 'active' ? state.stepId : null, stage: state.stage });
    }
    return rows.sort((a, b) => compare(a.customerId, b.customerId) || compare(a.workflowId, b.workflowId));
  }

  emails(): RecordedEmail[] {
    return [...this.mailer.sent].sort((a, b) => a.at - b.at || compare(a.customerId, b.customerId));
  }
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Reads JSON Lines of EventBridge events into a timeline. SES events become
 * engagement events or suppressions. Lines that are not usable events are
 * returned as rejected, with their line number and reason.
 */
export function timelineFromJsonLines(text: string): { items: TimelineItem[]; rejected: RejectedLine[] } {
  const items: TimelineItem[] = [];
  const rejected: RejectedLine[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    const line = index + 1;
    if (content.trim() === '') return;
    let raw: unknown;
    try {
      raw = JSON.parse(content);
    } catch (error) {
      const located = locateJsonError(content);
      rejected.push({ line, reason: located ? `invalid JSON at column ${located.column}: ${located.message}` : `invalid JSON: ${(error as Error).message}` });
      return;
    }
    const placed = timelineItemsFor(raw, items.length, line);
    if ('reason' in placed) rejected.push({ line, reason: placed.reason });
    else items.push(...placed.items);
  });
  return { items: sortTimeline(items), rejected };
}

/**
 * One raw line → its timeline items, or the reason it cannot be applied. A line may be an event, or
 * `{"deliveredAt": "<ISO time>", "event": {...}}`: the event is applied when the clock reaches
 * `deliveredAt`, as a late delivery (a redriven dead letter, a producer that batches).
 */
export function timelineItemsFor(raw: unknown, order: number, line?: number): { items: TimelineItem[] } | { reason: string } {
  const where = line === undefined ? {} : { line };
  const late = lateDelivery(raw);
  if ('reason' in late) return late;
  let event = late.event;
  if (isSesEvent(raw)) {
    const ses = classifySesEvent(raw);
    if (ses.suppressions.length > 0) {
      return { items: ses.suppressions.map((entry, i) => ({ at: entry.at, order: order + i, kind: 'suppress' as const, entry, ...where })) };
    }
    if (!ses.engagement) return { reason: ses.ignored ?? 'an SES event Waymark does not use' };
    event = ses.engagement;
  }
  const parsed = parseCustomerEvent(event);
  if (!parsed.ok) return { reason: parsed.reason };
  const own = Date.parse(parsed.event.time);
  if (late.deliveredAt !== undefined && late.deliveredAt < own) {
    return { reason: `deliveredAt ${new Date(late.deliveredAt).toISOString()} is before the event's own time ${parsed.event.time}: an event cannot be delivered before it happened` };
  }
  return { items: [{ at: late.deliveredAt ?? own, order, kind: 'event', event: parsed.event, ...where }] };
}

/** `{"deliveredAt", "event"}` → the event and when it is applied; anything else is the event itself. */
function lateDelivery(raw: unknown): { event: unknown; deliveredAt?: number } | { reason: string } {
  if (typeof raw !== 'object' || raw === null || !('deliveredAt' in raw)) return { event: raw };
  const { deliveredAt, event, ...rest } = raw as { deliveredAt: unknown; event?: unknown };
  const extra = Object.keys(rest);
  if (extra.length > 0) return { reason: `a late-delivery line holds only "deliveredAt" and "event", not ${extra.map((k) => JSON.stringify(k)).join(', ')}` };
  const at = typeof deliveredAt === 'string' && /T.*(Z|[+-]\d{2}:?\d{2})$/.test(deliveredAt) ? Date.parse(deliveredAt) : Number.NaN;
  if (Number.isNaN(at)) return { reason: `deliveredAt: expected an ISO 8601 time with a zone, e.g. "2026-11-23T09:30:00Z", got ${JSON.stringify(deliveredAt)}` };
  if (event === undefined) return { reason: 'a late-delivery line needs "event": the EventBridge event that arrives at deliveredAt' };
  return { event, deliveredAt: at };
}

/** Time order; the file's order breaks ties. */
export function sortTimeline(items: TimelineItem[]): TimelineItem[] {
  return items.sort((a, b) => a.at - b.at || a.order - b.order);
}

export interface RunResult {
  emails: RecordedEmail[];
  customers: CustomerSummary[];
  rejected: RejectedLine[];
  warnings: CustomerWarning[];
  /** False when journeys were still running at the firing limit (no --until and an endless journey). */
  finished: boolean;
  runner: VirtualClockRunner;
}

/** `waymark run`: the whole file, then timers until `until` or until none remain. */
export async function runTimeline(
  registry: WorkflowRegistry,
  timeline: { items: TimelineItem[]; rejected: RejectedLine[] },
  options: { until?: number; render?: boolean; routing?: readonly LocalRule[] } = {},
): Promise<RunResult> {
  const runner = new VirtualClockRunner(registry, { render: options.render ?? true, ...(options.routing ? { routing: options.routing } : {}) });
  const rejected = [...timeline.rejected];
  const until = options.until ?? Number.POSITIVE_INFINITY;
  for (const item of timeline.items) {
    if (item.at > until) break;
    const outcome = await runner.apply(item);
    if (outcome.rejected !== undefined) rejected.push({ line: item.line ?? 0, reason: outcome.rejected });
  }
  const finished = await runner.advanceTo(until);
  return { emails: runner.emails(), customers: runner.customers(), rejected: rejected.sort((a, b) => a.line - b.line), warnings: runner.warnings, finished, runner };
}

export { parseCustomerEvent };
