/**
 * The engine on a virtual clock, in memory: the journey service (deciding)
 * and the delivery service (sending, to a recording mailer) over a memory
 * store, the same code production runs. Events are applied in time order;
 * timers that fall due between events fire at their due time; the emails an
 * input decides are delivered right after it, at the same instant, as the
 * table's stream would carry them. `waymark run`, `waymark test`, `waymark
 * replay` and `waymark simulate` are built on it.
 */
import { createHash } from 'node:crypto';
import { ENGAGEMENT_DETAIL_TYPES, SES_SOURCE } from '../engine/compile';
import { parseCustomerEvent } from '../engine/events';
import type { LocalRule } from '../engine/routing';
import type { CustomerEvent, JourneyState } from '../engine/model';
import type { ControlSource } from './controls';
import { changeLifecycle, heldEmailOf, type LifecycleAction, type LifecycleChange, LifecycleError, releaseHeldWork } from './journey-lifecycle';
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

/** A warning about an input the runner applied: an open or a click of a journey that had sent the customer nothing. */
export interface RunnerWarning extends Omit<CustomerWarning, 'code'> {
  code: 'engagement-without-email';
}

/**
 * What `waymark run` and `waymark test` print for a customer's data: one warning per customer,
 * journey and reason code, however often it happened. A bad address is one thing to fix, not one
 * line per email it cost.
 */
export interface CustomerDataWarning {
  code: CustomerWarning['code'] | RunnerWarning['code'];
  customerId: string;
  workflowId: string;
  /** The first occurrence's message; when it happened again, how often and at which other steps. */
  reason: string;
  count: number;
}

/**
 * The warnings in the order each reason first happened, one per (customer, journey, code):
 * `…: the email of step "welcome" was skipped (×4, also at steps "article-2", "article-3" and "sunset")`.
 */
export function warningsPerCustomerAndReason(warnings: ReadonlyArray<CustomerWarning | RunnerWarning>): CustomerDataWarning[] {
  const groups = new Map<string, { first: CustomerWarning | RunnerWarning; count: number; steps: string[] }>();
  for (const warning of warnings) {
    const key = `${warning.customerId}\u0000${warning.workflowId}\u0000${warning.code}`;
    const group = groups.get(key) ?? { first: warning, count: 0, steps: [] };
    group.count += 1;
    if (warning.stepId !== undefined && warning.stepId !== group.first.stepId && !group.steps.includes(warning.stepId)) group.steps.push(warning.stepId);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ first, count, steps }) => {
    const quoted = steps.map((step) => `"${step}"`);
    const also = quoted.length === 0 ? '' : `, also at step${quoted.length === 1 ? '' : 's'} ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`}`;
    return { code: first.code, customerId: first.customerId, workflowId: first.workflowId, reason: count === 1 ? first.message : `${first.message} (×${count}${also})`, count };
  });
}

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
  /** Workflows' live controls (pause, resume, stop): the memory store's own, by default. */
  controls?: ControlSource;
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
  service!: JourneyService;
  delivery!: DeliveryService;
  readonly unknown = new MemoryUnknownOutcomes();
  readonly controls: ControlSource;
  private readonly notices: Array<{ customerId: string; workflowId: string }> = [];
  /** Held emails handed back to their journeys on resume (the work queue's messages, in production). */
  private readonly handedBack: ServiceInput[] = [];

  constructor(
    public registry: WorkflowRegistry,
    private readonly options: MemoryEngineOptions = {},
  ) {
    this.store = new MemoryStore(options.counters ? { counters: options.counters } : {});
    // Read through no cache: a pause in a test or a run takes effect at the next input.
    this.controls = options.controls ?? { get: (workflowId) => this.store.loadControl(workflowId) };
    this.deploy(registry);
  }

  /** Deploys a workflow set over the same store: what `cdk deploy` of new versions does to live customers. */
  deploy(registry: WorkflowRegistry): void {
    const options = this.options;
    const log = options.log ?? silentLogger;
    this.registry = registry;
    this.service = new JourneyService({
      ...(options.observer ? { observer: options.observer } : {}),
      ...(options.pins ? { pins: options.pins } : {}),
      controls: this.controls,
      registry,
      store: this.store,
      counters: { add: (rows: CounterRow[]) => this.store.addCounters(rows) },
      log,
    });
    this.delivery = new DeliveryService({
      registry,
      store: this.store,
      controls: this.controls,
      mailer: this.mailer,
      renderer: options.render === false ? null : new EmailRenderer(),
      links: options.links ?? new SignedUnsubscribeLinks({ baseUrl: 'http://localhost:8787/unsubscribe', key: 'waymark-local-run' }),
      notices: { suppressed: async (customerId, workflowId) => void this.notices.push({ customerId, workflowId }) },
      unknown: this.unknown,
      log,
      ...(options.onDelivered ? { onSent: options.onDelivered } : {}),
    });
  }

  /**
   * Pauses, resumes or stops a workflow at `now`, as `waymark journeys` does (the functions' caches
   * need no settling here): a stop ends its active customers at once; a resume releases what the
   * pause held (customers are woken now; held emails are handed back to their journeys now, which
   * decide each again: sent now or when the window, the cap and the budget allow, or dropped).
   */
  async changeLifecycle(workflowId: string, action: LifecycleAction, now: number, options: { dropHeld?: boolean } = {}): Promise<LifecycleChange> {
    const latest = this.registry.latestOf(workflowId);
    if (!latest) throw new LifecycleError(`no workflow "${workflowId}" is deployed`);
    const change = await changeLifecycle(this.store, latest, action, { clock: () => now, settleMs: 0, ...options });
    await releaseHeldWork(this.store, workflowId, change.control, now, {
      limit: Number.POSITIVE_INFINITY,
      settleMs: 0,
      handBack: async (entries) => void this.handedBack.push(...entries.map((entry) => ({ kind: 'held-email' as const, customerId: entry.customerId, workflowId: entry.workflowId, email: heldEmailOf(entry) }))),
    });
    await this.deliver(now);
    return change;
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
      if (entries.length === 0 && this.notices.length === 0 && this.handedBack.length === 0) return;
      const rows: CounterRow[] = [];
      for (const entry of entries) await this.delivery.deliver(entry, now, rows);
      await this.store.addCounters(rows);
      for (const notice of this.notices.splice(0)) await this.service.apply({ kind: 'suppressed', ...notice }, now);
      for (const input of this.handedBack.splice(0)) await this.service.apply(input, now);
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
  /** Every warning about a customer's data or an events line, in the order they happened. */
  readonly warnings: Array<CustomerWarning | RunnerWarning> = [];

  constructor(
    registry: WorkflowRegistry,
    options: RunnerOptions = {},
  ) {
    this.engine = new MemoryEngine(registry, options);
    this.routing = options.routing;
  }

  get registry(): WorkflowRegistry {
    return this.engine.registry;
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
    const resolved = this.engagedEmail(item.event);
    if ('reason' in resolved) return { rejected: resolved.reason };
    if (resolved.warning) this.warnings.push(resolved.warning);
    const report = await this.applyInput({ kind: 'event', event: resolved.event }, item.at);
    return report.status === 'rejected' ? { rejected: report.reason } : {};
  }

  /** Pauses, resumes or stops a workflow at `at` (after the timers due before it). */
  async changeLifecycle(workflowId: string, action: LifecycleAction, at: number, options: { dropHeld?: boolean } = {}): Promise<LifecycleChange> {
    await this.advanceTo(at);
    this.now = Math.max(this.now, at);
    const change = await this.engine.changeLifecycle(workflowId, action, this.now, options);
    // The customers it woke (released from a pause, or ending in a stop) are applied now.
    await this.advanceTo(this.now);
    return change;
  }

  /** Deploys a workflow set at `at` (after the timers due before it): customers move at their next input or wake-up. */
  async deploy(registry: WorkflowRegistry, at: number): Promise<void> {
    await this.advanceTo(at);
    this.now = Math.max(this.now, at);
    this.engine.deploy(registry);
  }

  /**
   * An SES open or click that does not say which email it is about (no `emailSeq`, as an events
   * file may write it: `{"detail-type": "Email Clicked", "detail": {"customerId", "workflowId"}}`)
   * is about the latest email this runner sent that customer in that journey (of that step, with
   * `stepId`; in any journey, without `workflowId`) by the event's own time. When that journey had
   * sent none, the event is applied as it is, as the deployed engine would apply it (it still ends
   * a wait for a click that began before it), with a warning; without `workflowId` it is rejected,
   * since it would be a click on every journey.
   */
  private engagedEmail(event: unknown): { event: unknown; warning?: RunnerWarning } | { reason: string } {
    const e = event as CustomerEvent;
    if (e.source !== SES_SOURCE || !Object.hasOwn(ENGAGEMENT_DETAIL_TYPES, e['detail-type']) || typeof e.detail.emailSeq === 'number') return { event };
    const { customerId } = e.detail;
    const workflowId = typeof e.detail.workflowId === 'string' ? e.detail.workflowId : undefined;
    const stepId = typeof e.detail.stepId === 'string' ? e.detail.stepId : undefined;
    const time = Date.parse(e.time);
    let latest: RecordedEmail | undefined;
    for (const sent of this.mailer.sent) {
      if (sent.customerId !== customerId || sent.at > time) continue;
      if ((workflowId !== undefined && sent.workflowId !== workflowId) || (stepId !== undefined && sent.stepId !== stepId)) continue;
      if (latest === undefined || sent.at >= latest.at) latest = sent;
    }
    if (latest !== undefined) {
      return { event: { ...e, detail: { ...e.detail, workflowId: latest.workflowId, version: latest.version, stepId: latest.stepId, emailSeq: latest.seq, contentId: latest.contentId } } };
    }
    const what = stepId === undefined ? 'email' : `email of step "${stepId}"`;
    const verb = e['detail-type'] === 'Email Clicked' ? 'click' : 'open';
    if (workflowId === undefined) {
      return { reason: `${e['detail-type']} by ${customerId} at ${e.time}: no journey had sent ${customerId} an ${what} by then, so there is nothing to ${verb} (say whose email it is with "workflowId")` };
    }
    const message = `${e['detail-type']} at ${e.time}: the journey had sent ${customerId} no ${what} by then; applied as a ${verb} on no particular email (it still ends a wait for one)`;
    return { event, warning: { code: 'engagement-without-email', at: time, message, customerId, workflowId } };
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
  let event = engagementShorthand(late.event, line);
  if (isSesEvent(event)) {
    const ses = classifySesEvent(event);
    if (ses.suppressions.length > 0) {
      return { items: ses.suppressions.map((entry, i) => ({ at: entry.at, order: order + i, kind: 'suppress' as const, entry, ...where })) };
    }
    if (!ses.engagement) return { reason: ses.ignored ?? 'an SES event Waymark does not use' };
    event = ses.engagement;
  }
  const parsed = parseCustomerEvent(event);
  if (!parsed.ok) {
    // An events line has no default time, a click or an open neither: say when it happened.
    const noTime = typeof event === 'object' && event !== null && (event as { time?: unknown }).time === undefined;
    return { reason: noTime ? parsed.reason.replace(/time: required: [^;]*/, 'time: required: every events line says when it happened, as an ISO 8601 time with a zone (e.g. "2026-11-03T15:00:00Z"); there is no default') : parsed.reason };
  }
  const own = Date.parse(parsed.event.time);
  if (late.deliveredAt !== undefined && late.deliveredAt < own) {
    return { reason: `deliveredAt ${new Date(late.deliveredAt).toISOString()} is before the event's own time ${parsed.event.time}: an event cannot be delivered before it happened` };
  }
  return { items: [{ at: late.deliveredAt ?? own, order, kind: 'event', event: parsed.event, ...where }] };
}

/**
 * An open or a click written by hand: `{"detail-type": "Email Clicked", "time", "detail":
 * {"customerId", "workflowId"}}`. Without `source` it is SES's (`aws.ses`); without `id` it gets
 * one from its line number and content (the same file gives the same ids; two equal lines are two
 * clicks). Which email it is about is settled when it is applied (VirtualClockRunner.engagedEmail).
 */
function engagementShorthand(event: unknown, line: number | undefined): unknown {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return event;
  const fields = event as Record<string, unknown>;
  const type = fields['detail-type'];
  if (typeof type !== 'string' || !Object.hasOwn(ENGAGEMENT_DETAIL_TYPES, type)) return event;
  const detail = fields.detail as Record<string, unknown> | undefined;
  if (typeof detail?.customerId !== 'string' || (fields.source !== undefined && fields.id !== undefined)) return event;
  const id = fields.id ?? `line-${line ?? 0}-${createHash('sha256').update(JSON.stringify(event)).digest('hex').slice(0, 16)}`;
  return { ...fields, source: fields.source ?? SES_SOURCE, id };
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
  warnings: Array<CustomerWarning | RunnerWarning>;
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
