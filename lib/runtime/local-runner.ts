/**
 * The engine on a virtual clock, in memory: the journey service with a memory
 * store and a recording mailer. Events are applied in time order; timers that
 * fall due between events fire at their due time. `waymark run`, `waymark
 * test` and `waymark simulate` are built on it.
 */
import { parseCustomerEvent } from '../engine/events';
import type { JourneyState } from '../engine/model';
import { JourneyService, type JourneyServiceOptions, type Logger } from './journey-service';
import { RecordingMailer, type RecordedEmail } from './mailer';
import { MemoryStore } from './memory-store';
import type { WorkflowRegistry } from './registry';
import { EmailRenderer } from './render';
import { classifySesEvent, isSesEvent } from './ses-events';
import type { SuppressionEntry } from './store';
import { SignedUnsubscribeLinks } from './unsubscribe-token';

export interface RejectedLine {
  line: number;
  reason: string;
}

/** Where a customer ended up in a workflow (`stepId` is null once the journey is over). */
export type CustomerSummary = Pick<JourneyState, 'customerId' | 'workflowId' | 'version' | 'status' | 'stepId' | 'stage'>;

/** An input placed on the virtual timeline. */
export type TimelineItem =
  | { at: number; order: number; kind: 'event'; event: unknown; line?: number }
  | { at: number; order: number; kind: 'suppress'; entry: SuppressionEntry; line?: number };

/** Keeps journeys from running forever when nothing bounds them (a journey that loops through waits). */
export const MAX_TIMER_FIRINGS = 5_000_000;

export class VirtualClockRunner {
  readonly store = new MemoryStore();
  readonly mailer = new RecordingMailer();
  readonly service: JourneyService;
  now = Number.NEGATIVE_INFINITY;
  timersFired = 0;

  constructor(
    readonly registry: WorkflowRegistry,
    options: { render?: boolean; log?: Logger; observer?: JourneyServiceOptions['observer'] } = {},
  ) {
    this.service = new JourneyService({
      ...(options.observer ? { observer: options.observer } : {}),
      registry,
      store: this.store,
      mailer: this.mailer,
      renderer: options.render === false ? null : new EmailRenderer(),
      links: new SignedUnsubscribeLinks({ baseUrl: 'http://localhost:8787/unsubscribe', key: 'waymark-local-run' }),
      ...(options.log ? { log: options.log } : {}),
    });
  }

  /** Fires every timer due at or before `until`, each at its own due time. Returns false if the firing limit was hit. */
  async advanceTo(until: number): Promise<boolean> {
    for (;;) {
      const next = this.store.nextWake();
      if (!next || next.at > until) break;
      if (this.timersFired >= MAX_TIMER_FIRINGS) return false;
      this.timersFired += 1;
      this.now = Math.max(this.now, next.at);
      await this.service.apply({ kind: 'wake', customerId: next.customerId, workflowId: next.workflowId }, next.at);
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
    const report = await this.service.apply({ kind: 'event', event: item.event }, item.at);
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
      rejected.push({ line, reason: `invalid JSON: ${(error as Error).message}` });
      return;
    }
    const placed = timelineItemsFor(raw, items.length, line);
    if ('reason' in placed) rejected.push({ line, reason: placed.reason });
    else items.push(...placed.items);
  });
  return { items: sortTimeline(items), rejected };
}

/** One raw event → its timeline items, or the reason it cannot be applied. */
export function timelineItemsFor(raw: unknown, order: number, line?: number): { items: TimelineItem[] } | { reason: string } {
  const where = line === undefined ? {} : { line };
  let event = raw;
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
  return { items: [{ at: Date.parse(parsed.event.time), order, kind: 'event', event: parsed.event, ...where }] };
}

/** Time order; the file's order breaks ties. */
export function sortTimeline(items: TimelineItem[]): TimelineItem[] {
  return items.sort((a, b) => a.at - b.at || a.order - b.order);
}

export interface RunResult {
  emails: RecordedEmail[];
  customers: CustomerSummary[];
  rejected: RejectedLine[];
  /** False when journeys were still running at the firing limit (no --until and an endless journey). */
  finished: boolean;
  runner: VirtualClockRunner;
}

/** `waymark run`: the whole file, then timers until `until` or until none remain. */
export async function runTimeline(registry: WorkflowRegistry, timeline: { items: TimelineItem[]; rejected: RejectedLine[] }, options: { until?: number; render?: boolean } = {}): Promise<RunResult> {
  const runner = new VirtualClockRunner(registry, { render: options.render ?? true });
  const rejected = [...timeline.rejected];
  const until = options.until ?? Number.POSITIVE_INFINITY;
  for (const item of timeline.items) {
    if (item.at > until) break;
    const outcome = await runner.apply(item);
    if (outcome.rejected !== undefined) rejected.push({ line: item.line ?? 0, reason: outcome.rejected });
  }
  const finished = await runner.advanceTo(until);
  return { emails: runner.emails(), customers: runner.customers(), rejected: rejected.sort((a, b) => a.line - b.line), finished, runner };
}

export { parseCustomerEvent };
