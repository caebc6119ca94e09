/**
 * Replay: the same events through two workflow sets (the deployed baseline
 * and a candidate change), each on its own virtual clock and memory store,
 * each behind its own deployed rules, in one pass over the events (lockstep:
 * every item goes to the baseline, then to the candidate). What is kept is
 * what the comparison needs: the customers' journeys (in the memory stores,
 * as any run keeps them), each journey's emails as compact tokens, and
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
const journeyKey = (customerId: string, workflowId: string) => `${customerId}\u0000${workflowId}`;

/** One side: its runner and what the comparison keeps of what it does. */
class SideRun {
  readonly runner: VirtualClockRunner;
  /** Per journey, its emails as "at␁step␁content\n" tokens, in the order they were sent. */
  readonly emails = new Map<string, string>();
  readonly perStep = new Map<string, number>();
  readonly counters = new Map<string, number>();
  private readonly warningKeys = new Set<string>();
  sent = 0;

  constructor(side: ReplaySide, render: boolean) {
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
    const key = journeyKey(entry.customerId, entry.workflowId);
    this.emails.set(key, `${this.emails.get(key) ?? ''}${entry.at}${SEP}${entry.stepId}${SEP}${entry.contentId}\n`);
    const step = `${entry.workflowId}\u0000${entry.stepId}`;
    this.perStep.set(step, (this.perStep.get(step) ?? 0) + 1);
    this.sent += 1;
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
    for (const w of runner.warnings) this.warningKeys.add(`${w.customerId}\u0000${w.workflowId}\u0000${w.code}\u0000${w.message}`);
    runner.warnings.length = 0;
  }

  statuses(): Map<string, string> {
    const statuses = new Map<string, string>();
    for (const { customerId, workflowId, state } of this.runner.store.journeys()) statuses.set(journeyKey(customerId, workflowId), state.status);
    return statuses;
  }

  totals(statuses: Map<string, string>, finished: boolean): SideTotals {
    const byStatus: Record<string, number> = {};
    for (const status of statuses.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    return {
      emails: this.sent,
      conversions: this.counters.get('converted') ?? 0,
      deferrals: { window: this.counters.get('email.deferred:window') ?? 0, cap: this.counters.get('email.deferred:cap') ?? 0 },
      statuses: Object.fromEntries(Object.entries(byStatus).sort(([a], [b]) => (a < b ? -1 : 1))),
      unrouted: this.runner.unrouted,
      warnings: this.warningKeys.size,
      finished,
    };
  }
}

function parseEmails(tokens: string | undefined): ReplayEmail[] {
  if (!tokens) return [];
  return tokens
    .slice(0, -1)
    .split('\n')
    .map((token) => {
      const [at, stepId, contentId] = token.split(SEP);
      return { at: Number(at), stepId: stepId!, contentId: contentId! };
    });
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
  const sides = [new SideRun(baseline, render), new SideRun(candidate, render)] as const;
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
  const keys = new Set<string>([...statuses[0].keys(), ...statuses[1].keys(), ...sides[0].emails.keys(), ...sides[1].emails.keys()]);
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

  for (const key of keys) {
    const [customerId, workflowId] = key.split('\u0000') as [string, string];
    customers.add(customerId);
    const status = [statuses[0].get(key) ?? null, statuses[1].get(key) ?? null];
    const tokens = [sides[0].emails.get(key), sides[1].emails.get(key)];
    if (status[0] === status[1] && tokens[0] === tokens[1]) continue;
    changedCustomers.add(customerId);
    const outcome = (i: 0 | 1): JourneyOutcome => ({ status: status[i]!, emails: parseEmails(tokens[i]) });
    const difference: JourneyDifference = { customerId, workflowId, baseline: outcome(0), candidate: outcome(1) };
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
