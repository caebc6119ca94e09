/**
 * Replay: the same events through two workflow sets (the deployed baseline
 * and a candidate change), each on its own virtual clock and memory store,
 * each behind its own deployed rules, in one pass over the events (lockstep:
 * every item goes to the baseline, then to the candidate). What is kept is
 * what the comparison needs: the customers' journeys (in the memory stores,
 * as any run keeps them), every email as 16 bytes in a log, and
 * totals. Never the events.
 *
 * A journey (a customer in a workflow) differs when its final status or its
 * emails (time, step, content) differ between the two sides.
 */
import { type LocalRule, rulesFor } from '../engine/routing';
import { type TimelineItem, VirtualClockRunner } from '../runtime/local-runner';
import { WorkflowRegistry } from '../runtime/registry';
import { loadValidWorkflows } from '../runtime/workflow-files';
import type { CounterRow, OutboxEntry } from '../runtime/store';
import type { ReplayInput } from './ordered-timeline';

export interface ReplaySide {
  /** For messages: the workflows directory. */
  name: string;
  registry: WorkflowRegistry;
  /** The rules this side deploys (rulesFor): an event none matches is dropped, as EventBridge drops it. */
  routing: readonly LocalRule[];
}

/** A workflows directory as a side: its workflows (validated: WorkflowLoadError otherwise) and the rules it would deploy. */
export function replaySideFrom(directory: string): ReplaySide {
  const loaded = loadValidWorkflows([directory]);
  return {
    name: directory,
    registry: new WorkflowRegistry(loaded.workflows, loaded.catalogue),
    // Each side behind the rules it would deploy: an event only the candidate uses reaches only the candidate.
    routing: rulesFor(loaded.workflows, [...loaded.catalogue.items], loaded.settings.profileAttributes ?? []),
  };
}

export interface ReplayOptions {
  /** Stop the clocks here: later events are not applied, timers fire until then (default: until none remain). */
  until?: number;
  /** Events before this are skipped (default: none). */
  since?: number;
  /** Render each email as the send function would (slower; a content change that fails to render shows). Default false. */
  render?: boolean;
}

export interface ReplayEmail {
  at: number;
  stepId: string;
  contentId: string;
}

export interface JourneyOutcome {
  /** null: the customer never entered this workflow on this side. */
  status: string | null;
  emails: ReplayEmail[];
}

export interface JourneyDifference {
  customerId: string;
  workflowId: string;
  baseline: JourneyOutcome;
  candidate: JourneyOutcome;
}

export interface StepChange {
  workflowId: string;
  stepId: string;
  /** Emails this step sent on each side. */
  baseline: number;
  candidate: number;
  /** Emails only the candidate sends (by customer, step and content), only the baseline sends, and both send at different times. */
  added: number;
  removed: number;
  retimed: number;
}

export interface SideTotals {
  emails: number;
  /** The `converted` counter: conversions counted, once per run of a journey. */
  conversions: number;
  /** Emails held back for the send window or the frequency cap (each deferral counted once). */
  deferrals: { window: number; cap: number };
  /** Final statuses of every journey. */
  statuses: Record<string, number>;
  /** Customer events no rule of this side matches (dropped, as EventBridge drops them). */
  unrouted: number;
  /** Distinct warnings about customers' data (customer, workflow and reason). */
  warnings: number;
  /** False when journeys were still running at the timer limit (pass `until`). */
  finished: boolean;
}

export interface RejectedInput {
  file: string;
  line: number;
  reason: string;
}

export interface ReplayResult {
  /** Timeline items applied (an event, or a suppression from an SES event). */
  applied: number;
  /** Skipped: before `since`, or after `until`. */
  skipped: number;
  rejected: RejectedInput[];
  /** Customers with a journey on either side. */
  customers: number;
  /** Customers with at least one journey that differs. */
  changed: number;
  baseline: SideTotals;
  candidate: SideTotals;
  /** Steps whose emails changed, by workflow and step. */
  perStep: StepChange[];
  /** Journeys that differ, by customer, then workflow. */
  differences: JourneyDifference[];
}

const SEP = '\u0001';

/**
 * Journeys (customer and workflow) and the emails' steps and contents as numbers, shared by both
 * sides: a journey's key is held once, however many emails it gets on either side.
 */
class Interned {
  private readonly journeyIndex = new Map<string, number>();
  readonly journeys: Array<[customerId: string, workflowId: string]> = [];
  private readonly emailIndex = new Map<string, number>();
  readonly emails: Array<[workflowId: string, stepId: string, contentId: string]> = [];

  journey(customerId: string, workflowId: string): number {
    const key = `${customerId}\u0000${workflowId}`;
    let index = this.journeyIndex.get(key);
    if (index === undefined) {
      index = this.journeys.push([customerId, workflowId]) - 1;
      this.journeyIndex.set(key, index);
    }
    return index;
  }

  email(workflowId: string, stepId: string, contentId: string): number {
    const key = `${workflowId}${SEP}${stepId}${SEP}${contentId}`;
    let index = this.emailIndex.get(key);
    if (index === undefined) {
      index = this.emails.push([workflowId, stepId, contentId]) - 1;
      this.emailIndex.set(key, index);
    }
    return index;
  }
}

/** Every email a side sent, in the order it sent them: 16 bytes each (journey, time, step and content). */
class EmailLog {
  length = 0;
  journey = new Int32Array(1024);
  at = new Float64Array(1024);
  email = new Int32Array(1024);

  push(journey: number, at: number, email: number): void {
    if (this.length === this.at.length) {
      const grow = <T extends Int32Array | Float64Array>(a: T): T => {
        const bigger = new (a.constructor as new (n: number) => T)(a.length * 2);
        bigger.set(a);
        return bigger;
      };
      this.journey = grow(this.journey);
      this.at = grow(this.at);
      this.email = grow(this.email);
    }
    this.journey[this.length] = journey;
    this.at[this.length] = at;
    this.email[this.length] = email;
    this.length += 1;
  }

  /** The log's entries grouped by journey (a counting sort, each journey's in the order sent): `order[start[j] .. start[j + 1]]`. */
  byJourney(journeys: number): { start: Int32Array; order: Int32Array } {
    const start = new Int32Array(journeys + 1);
    for (let i = 0; i < this.length; i++) start[this.journey[i]! + 1]! += 1;
    for (let j = 0; j < journeys; j++) start[j + 1]! += start[j]!;
    const next = start.slice(0, journeys);
    const order = new Int32Array(this.length);
    for (let i = 0; i < this.length; i++) order[next[this.journey[i]!]!++] = i;
    return { start, order };
  }
}

/** One side: its runner and what the comparison keeps of what it does. */
class SideRun {
  readonly runner: VirtualClockRunner;
  readonly log = new EmailLog();
  readonly perStep = new Map<string, number>();
  readonly counters = new Map<string, number>();
  private readonly warningKeys = new Set<string>();

  constructor(
    side: ReplaySide,
    render: boolean,
    private readonly interned: Interned,
  ) {
    this.runner = new VirtualClockRunner(side.registry, {
      render,
      routing: side.routing,
      // No signed links: nobody clicks a replayed email, and signing one per email is most of a replay's time.
      links: { forEmail: () => ({ url: 'https://replay.waymark.invalid/unsubscribe' }) },
      counters: { add: (rows: CounterRow[]) => this.count(rows) },
      onDelivered: (entry, outcome) => {
        if (outcome.status === 'sent') this.record(entry);
      },
    });
  }

  private count(rows: CounterRow[]): void {
    for (const row of rows) {
      if (row.name !== 'converted' && !row.name.startsWith('email.deferred')) continue;
      this.counters.set(row.name, (this.counters.get(row.name) ?? 0) + row.value);
    }
  }

  private record(entry: OutboxEntry): void {
    this.log.push(this.interned.journey(entry.customerId, entry.workflowId), entry.at, this.interned.email(entry.workflowId, entry.stepId, entry.contentId));
    const step = `${entry.workflowId}\u0000${entry.stepId}`;
    this.perStep.set(step, (this.perStep.get(step) ?? 0) + 1);
  }

  async apply(item: TimelineItem): Promise<string | undefined> {
    const outcome = await this.runner.apply(item);
    this.drain();
    return outcome.rejected;
  }

  async finish(until: number): Promise<boolean> {
    const finished = await this.runner.advanceTo(until);
    this.drain();
    return finished;
  }

  /** What the runner keeps for `waymark run` (every email with its subject, every warning) is counted here and let go. */
  private drain(): void {
    const { runner } = this;
    runner.mailer.sent.length = 0;
    // Counted as `waymark run` lists them: once per customer, journey and reason code.
    for (const w of runner.warnings) this.warningKeys.add(`${w.customerId}\u0000${w.workflowId}\u0000${w.code}`);
    runner.warnings.length = 0;
  }

  /** Each journey's final status, by journey number (undefined: never entered on this side). */
  statuses(): string[] {
    const statuses: string[] = [];
    for (const { customerId, workflowId, state } of this.runner.store.journeys()) statuses[this.interned.journey(customerId, workflowId)] = state.status;
    return statuses;
  }

  totals(statuses: readonly string[], finished: boolean): SideTotals {
    const byStatus: Record<string, number> = {};
    for (const status of statuses) if (status !== undefined) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return {
      emails: this.log.length,
      conversions: this.counters.get('converted') ?? 0,
      deferrals: { window: this.counters.get('email.deferred:window') ?? 0, cap: this.counters.get('email.deferred:cap') ?? 0 },
      statuses: Object.fromEntries(Object.entries(byStatus).sort(([a], [b]) => (a < b ? -1 : 1))),
      unrouted: this.runner.unrouted,
      warnings: this.warningKeys.size,
      finished,
    };
  }
}

/**
 * Which emails of a journey only one side sends, and which both send at different times: identical
 * emails (time, step, content) match first; what is left of the same step and content pairs up in
 * time order (retimed); the rest was added (candidate only) or removed (baseline only).
 */
export function compareEmails(baseline: readonly ReplayEmail[], candidate: readonly ReplayEmail[]): { added: ReplayEmail[]; removed: ReplayEmail[]; retimed: Array<{ baseline: ReplayEmail; candidate: ReplayEmail }> } {
  const exact = (e: ReplayEmail) => `${e.at}${SEP}${e.stepId}${SEP}${e.contentId}`;
  const pending = new Map<string, number>();
  for (const e of candidate) pending.set(exact(e), (pending.get(exact(e)) ?? 0) + 1);
  const baseLeft: ReplayEmail[] = [];
  for (const e of baseline) {
    const n = pending.get(exact(e)) ?? 0;
    if (n > 0) pending.set(exact(e), n - 1);
    else baseLeft.push(e);
  }
  const candLeft: ReplayEmail[] = [];
  for (const e of candidate) {
    const n = pending.get(exact(e)) ?? 0;
    // The candidate's own count was decremented by each baseline match; what remains is unmatched.
    if (n > 0) {
      candLeft.push(e);
      pending.set(exact(e), n - 1);
    }
  }
  const bySameEmail = new Map<string, ReplayEmail[]>();
  for (const e of candLeft) {
    const key = `${e.stepId}${SEP}${e.contentId}`;
    bySameEmail.set(key, [...(bySameEmail.get(key) ?? []), e]);
  }
  const removed: ReplayEmail[] = [];
  const retimed: Array<{ baseline: ReplayEmail; candidate: ReplayEmail }> = [];
  for (const e of baseLeft) {
    const same = bySameEmail.get(`${e.stepId}${SEP}${e.contentId}`);
    const partner = same?.shift();
    if (partner) retimed.push({ baseline: e, candidate: partner });
    else removed.push(e);
  }
  const added = [...bySameEmail.values()].flat().sort((a, b) => a.at - b.at);
  return { added, removed, retimed };
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Runs the inputs through both sides and compares every journey. */
export async function replay(inputs: AsyncIterable<ReplayInput>, baseline: ReplaySide, candidate: ReplaySide, options: ReplayOptions = {}): Promise<ReplayResult> {
  const render = options.render ?? false;
  const interned = new Interned();
  const sides = [new SideRun(baseline, render, interned), new SideRun(candidate, render, interned)] as const;
  const until = options.until ?? Number.POSITIVE_INFINITY;
  const since = options.since ?? Number.NEGATIVE_INFINITY;
  const rejected = new Map<string, RejectedInput>();
  let applied = 0;
  let skipped = 0;

  for await (const input of inputs) {
    if (input.kind === 'rejected') {
      rejected.set(`${input.file}\u0000${input.line}`, { file: input.file, line: input.line, reason: input.reason });
      continue;
    }
    const { item } = input;
    if (item.at < since || item.at > until) {
      skipped += 1;
      continue;
    }
    applied += 1;
    for (const side of sides) {
      const reason = await side.apply(item);
      // The same event is rejected by both sides (it is the event that is wrong), so it is reported once.
      if (reason !== undefined) rejected.set(`${input.file}\u0000${item.line ?? 0}`, { file: input.file, line: item.line ?? 0, reason });
    }
  }
  const finished = [await sides[0].finish(until), await sides[1].finish(until)];

  const statuses = [sides[0].statuses(), sides[1].statuses()] as const;
  const journeys = interned.journeys.length;
  const grouped = [sides[0].log.byJourney(journeys), sides[1].log.byJourney(journeys)] as const;
  const emailsOf = (side: 0 | 1, j: number): ReplayEmail[] => {
    const { start, order } = grouped[side];
    const { at, email } = sides[side].log;
    const emails: ReplayEmail[] = [];
    for (let k = start[j]!; k < start[j + 1]!; k++) {
      const [, stepId, contentId] = interned.emails[email[order[k]!]!]!;
      emails.push({ at: at[order[k]!]!, stepId, contentId });
    }
    return emails;
  };
  const sameEmails = (j: number): boolean => {
    const [a, b] = grouped;
    if (a.start[j + 1]! - a.start[j]! !== b.start[j + 1]! - b.start[j]!) return false;
    for (let k = 0; k < a.start[j + 1]! - a.start[j]!; k++) {
      const x = a.order[a.start[j]! + k]!;
      const y = b.order[b.start[j]! + k]!;
      if (sides[0].log.at[x] !== sides[1].log.at[y] || sides[0].log.email[x] !== sides[1].log.email[y]) return false;
    }
    return true;
  };

  const customers = new Set<string>();
  const changedCustomers = new Set<string>();
  const differences: JourneyDifference[] = [];
  const stepChanges = new Map<string, StepChange>();
  const stepChange = (workflowId: string, stepId: string): StepChange => {
    const key = `${workflowId}\u0000${stepId}`;
    let change = stepChanges.get(key);
    if (!change) stepChanges.set(key, (change = { workflowId, stepId, baseline: sides[0].perStep.get(key) ?? 0, candidate: sides[1].perStep.get(key) ?? 0, added: 0, removed: 0, retimed: 0 }));
    return change;
  };

  for (let j = 0; j < journeys; j++) {
    const [customerId, workflowId] = interned.journeys[j]!;
    customers.add(customerId);
    const status = [statuses[0][j] ?? null, statuses[1][j] ?? null] as const;
    if (status[0] === status[1] && sameEmails(j)) continue;
    changedCustomers.add(customerId);
    const difference: JourneyDifference = { customerId, workflowId, baseline: { status: status[0], emails: emailsOf(0, j) }, candidate: { status: status[1], emails: emailsOf(1, j) } };
    differences.push(difference);
    const { added, removed, retimed } = compareEmails(difference.baseline.emails, difference.candidate.emails);
    for (const e of added) stepChange(workflowId, e.stepId).added += 1;
    for (const e of removed) stepChange(workflowId, e.stepId).removed += 1;
    for (const { baseline: e } of retimed) stepChange(workflowId, e.stepId).retimed += 1;
  }
  // Steps whose totals differ show even when no journey-level change names them (they cannot, but be plain about it).
  for (const key of new Set([...sides[0].perStep.keys(), ...sides[1].perStep.keys()])) {
    if ((sides[0].perStep.get(key) ?? 0) !== (sides[1].perStep.get(key) ?? 0)) {
      const [workflowId, stepId] = key.split('\u0000') as [string, string];
      stepChange(workflowId, stepId);
    }
  }

  return {
    applied,
    skipped,
    rejected: [...rejected.values()].sort((a, b) => byText(a.file, b.file) || a.line - b.line),
    customers: customers.size,
    changed: changedCustomers.size,
    baseline: sides[0].totals(statuses[0], finished[0]!),
    candidate: sides[1].totals(statuses[1], finished[1]!),
    perStep: [...stepChanges.values()].sort((a, b) => byText(a.workflowId, b.workflowId) || byText(a.stepId, b.stepId)),
    differences: differences.sort((a, b) => byText(a.customerId, b.customerId) || byText(a.workflowId, b.workflowId)),
  };
}
