/**
 * The journey interpreter: `step(workflow, state, input, now, context)` returns
 * the customer's next state and the effects to carry out, and carries out none
 * of them. No I/O, no clock, no randomness: time is `now` and the event's own
 * `time`; splits and holdouts hash the customer id.
 *
 * Time rules (WORKFLOWS.md, "Steps" and "Time in production"):
 * - an input on time (applied at most LATE_AFTER_MS after its own time: an
 *   event's `time`, a timer's due time) runs the steps it reaches at its own
 *   time; a late one (a redriven dead letter, a sweep that was down) runs them
 *   at `now`, the moment it is applied. A customer's clock never runs
 *   backwards: steps run no earlier than the latest instant already applied;
 * - an email is decided, counted and checked against the send window, the
 *   frequency cap and the budget at max(its step's time, now): never earlier
 *   than the moment it is handed on to be sent, so no backlog is ever sent at
 *   once, and the journey goes on from there;
 * - timers that fell due before an event's own time fire before the event is
 *   applied, and timers due by `now` fire before the input is done: a journey
 *   is never left with a timer in the past (the sweep relies on it);
 * - whether an event ends a wait is judged by the event's own time, however
 *   late it arrives; an event older than `entry.maxAge` starts no journey;
 * - a finished customer is never rewound by an older event.
 */
import { type CompiledMoment, type CompiledStep, type CompiledWorkflow, type Matcher, ENGAGEMENT_DETAIL_TYPES, engagementWorkflowId, isImpersonatedEngagement } from './compile';
import { selectContent } from './content';
import { fingerprint, unitInterval } from './hash';
import {
  type CustomerEvent,
  type CustomerStatus,
  type Effect,
  emptyJourney,
  eventKey,
  type HeldEmail,
  heldEmailsDueAt,
  type Input,
  type JourneyState,
  LATE_AFTER_MS,
  type MetricName,
  type Profile,
  type StepResult,
  type Warning,
  type WarningCode,
} from './model';
import { closestTimeZone, didYouMean } from './suggest';
import { addDuration, addSignedDuration, durationMs, earliestUnderCap, isValidTimeZone, nextWindowOpening, parseInstant, parseMoment } from './time';

export interface StepContext {
  /** Needed to start a state; must equal `state.customerId` when there is one. */
  customerId: string;
  /** The customer's stored profile, with this event's `detail.profile` already merged. */
  profile: Profile;
  /** The customer's address is on the suppression list: no email may be decided. */
  suppressed?: boolean;
  /**
   * The workflow's live control (`waymark journeys pause|resume|stop`): paused holds emails at their
   * step; stopped ends every active customer and lets no one enter; emails held since before
   * `dropHeldBefore` are dropped on release (`resume --drop-held`).
   */
  control?: JourneyControl;
  /**
   * The send budget across workflows (workflows/settings.json), with the customer's counted sends
   * (all workflows, this one included) within its period. Absent: no budget.
   */
  budget?: BudgetContext;
  /**
   * Paths fixed for this customer instead of the hash (scenarios that test one variant): a split
   * step id → the `next` of the path to take; `holdout` true or false for every holdout step.
   */
  pins?: Pins;
}

export interface JourneyControl {
  paused: boolean;
  stopped: boolean;
  dropHeldBefore?: number;
}

export interface BudgetContext {
  max: number;
  perMs: number;
  /** Instants of the customer's counted emails, from every workflow. */
  sends: readonly number[];
}

export interface Pins {
  splits?: Readonly<Record<string, string>>;
  holdout?: boolean;
}

/** How many recent event fingerprints a state remembers (redelivery beyond this is still harmless: see the time rules). */
export const APPLIED_MEMORY = 12;
const STAGE_MEMORY = 12;
const ENGAGED_MEMORY = 8;
/** Steps one input may pass through; validation forbids loops without a wait, this guards the impossible. */
const MAX_STEPS_PER_INPUT = 1000;
const MAX_TIMERS_PER_WAKE = 100;

/** A valid recipient address from the profile, or undefined. */
export function recipientOf(profile: Profile): string | undefined {
  const email = profile.email;
  return typeof email === 'string' && email.length <= 254 && isAddress(email) ? email : undefined;
}

/**
 * `/^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/.test(text)`, read in one pass (it runs before every
 * email): one "@" with something before it, no white space (JavaScript's \s) and none of <>",;
 * anywhere, and after the "@" a "." that is neither its first nor the last character.
 */
function isAddress(text: string): boolean {
  const length = text.length;
  let at = -1;
  let dot = false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    // Above "@": letters and the rest of ASCII are allowed; only some white space up from U+00A0 is not.
    if (c > 64) {
      if (c >= 160 && isWhiteSpace(c)) return false;
    } else if (c === 64 /* @ */) {
      if (at >= 0) return false;
      at = i;
    } else if (c === 46 /* . */) {
      if (at >= 0 && i > at + 1 && i < length - 1) dot = true;
    } else if (c === 60 || c === 62 || c === 34 || c === 44 || c === 59 /* < > " , ; */ || isWhiteSpace(c)) {
      return false;
    }
  }
  return at > 0 && dot;
}

/** JavaScript's \s: WhiteSpace and LineTerminator code units. */
function isWhiteSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 160) return false;
  return c === 160 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The customer's time zone: `profile.timezone` when it is a valid IANA name, else the workflow's. */
export function timeZoneOf(workflow: CompiledWorkflow, profile: Profile): string {
  const tz = profile.timezone;
  return typeof tz === 'string' && isValidTimeZone(tz) ? tz : workflow.timezone;
}

/** Why a profile's time zone or address cannot be used, when it is set but unusable. */
export function profileProblem(profile: Profile, field: 'timezone' | 'email'): string | undefined {
  const value = profile[field];
  if (value === undefined || value === null) return undefined;
  if (field === 'timezone') {
    if (typeof value === 'string' && isValidTimeZone(value)) return undefined;
    return `profile.timezone ${JSON.stringify(value)} is not an IANA time zone${typeof value === 'string' ? didYouMean(closestTimeZone(value)) : ''}`;
  }
  return recipientOf(profile) !== undefined ? undefined : `profile.email ${JSON.stringify(value)} is not an email address`;
}

/** The value at a path of own properties in a document, or undefined. */
function fieldAt(document: unknown, path: readonly string[]): unknown {
  let value = document;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The instant a moment of customer data falls on, or undefined when it cannot be read. */
export function momentOf(moment: CompiledMoment, profile: Profile, event: CustomerEvent | undefined, tz: string): number | undefined {
  if (moment.kind === 'instant') return moment.at;
  const at = parseMoment(fieldAt(moment.source === 'profile' ? profile : event, moment.path), tz);
  if (at === undefined) return undefined;
  try {
    return moment.offset === undefined ? at : addSignedDuration(at, moment.offset);
  } catch {
    return undefined;
  }
}

/** When the steps an input reaches run: its own time if on time, else the moment it is applied; never before the customer's clock. */
export function runTimeOf(ownTime: number, now: number, clock: number): number {
  return now - ownTime > LATE_AFTER_MS ? Math.max(now, clock) : Math.max(ownTime, clock);
}

/** The document branch conditions are matched against. */
export function branchContext(state: JourneyState, profile: Profile, event: CustomerEvent | undefined): Record<string, unknown> {
  return {
    profile,
    event: event ?? {},
    journey: {
      stage: state.stage,
      status: state.status,
      emailsSent: state.emailsSent,
      opens: state.opens,
      clicks: state.clicks,
      entries: state.entries,
      // Formatted only when a condition (or a template) reads it.
      get enteredAt() {
        return new Date(state.enteredAt).toISOString();
      },
    },
  };
}

const NO_EVENT: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * branchContext without `journey.enteredAt`, for branches whose conditions never name it (a
 * condition reads only the fields it names, so they match the same): two plain literals instead of
 * one with an accessor, which is costly to build.
 */
function branchDocument(state: JourneyState, profile: Profile, event: CustomerEvent | undefined): Record<string, unknown> {
  return {
    profile,
    event: event ?? NO_EVENT,
    journey: { stage: state.stage, status: state.status, emailsSent: state.emailsSent, opens: state.opens, clicks: state.clicks, entries: state.entries },
  };
}

export function step(workflow: CompiledWorkflow, state: JourneyState | null, input: Input, now: number, context: StepContext): StepResult {
  if (state && state.status === 'active' && state.version !== workflow.version) {
    throw new Error(`customer ${state.customerId} is on ${workflow.id} version ${state.version}: step it with that version, not ${workflow.version}`);
  }
  if (input.kind === 'held-email') return applyHeldEmail(workflow, state, input.email, now, context);
  // A stopped journey ends every active customer at their next input or wake-up, and nobody enters.
  if (context.control?.stopped) {
    if (!state || state.status !== 'active') return { outcome: 'ignored', state, effects: [] };
    if (input.kind === 'event' && state.applied.includes(fingerprint(eventKey(input.event)))) return { outcome: 'duplicate', state, effects: [] };
    const run = new Run(workflow, copyState(state), context, now);
    run.finish('exited', Math.max(now, state.clock), 'stopped');
    // Not trimmed to APPLIED_MEMORY here: the journey is over.
    if (input.kind === 'event') run.state.applied = appended(run.state.applied, fingerprint(eventKey(input.event)));
    return run.result(state);
  }
  switch (input.kind) {
    case 'event':
      return applyEvent(workflow, state, input.event, now, context);
    case 'wake':
      return applyWake(workflow, state, now, context);
    case 'suppressed': {
      if (!state) return { outcome: 'ignored', state, effects: [] };
      const run = new Run(workflow, copyState(state), context, now);
      const at = Math.max(state.clock, now);
      if (state.status === 'active') run.finish('suppressed', at);
      // A journey that completed with the email that could not go ends "suppressed" instead.
      else if (state.status === 'completed') run.relabelFinished('suppressed', at);
      else return { outcome: 'ignored', state, effects: [] };
      return run.result();
    }
  }
}

function applyEvent(workflow: CompiledWorkflow, state: JourneyState | null, event: CustomerEvent, now: number, context: StepContext): StepResult {
  const eventTime = Math.min(parseInstant(event.time), now);
  const eventFingerprint = fingerprint(eventKey(event));
  if (state && state.applied.includes(eventFingerprint)) return { outcome: 'duplicate', state, effects: [] };
  if (isImpersonatedEngagement(event)) return { outcome: 'ignored', state, effects: [] };
  const scopedTo = engagementWorkflowId(event);
  if (scopedTo !== undefined && scopedTo !== workflow.id) return { outcome: 'ignored', state, effects: [] };

  // Timers that fell due before the event happened fire first: the event meets the journey as it was at its own time.
  let run: Run | undefined;
  if (state && state.status === 'active' && state.dueAt !== null && state.dueAt <= eventTime) {
    run = new Run(workflow, copyState(state), context, now);
    run.fireTimersDueBy(eventTime);
  }
  const current = run?.state ?? state;

  const tooOldToEnter = now - eventTime > workflow.entryMaxAgeMs;
  let action: 'exit' | 'convert' | 'convert-finished' | 'resume' | 'enter' | undefined;
  let resting: CompiledStep | undefined;
  if (current) {
    if (current.status === 'active') {
      resting = workflow.steps.get(current.stepId ?? '');
      if (matchesAny(workflow.exits, event)) action = 'exit';
      else if (workflow.goal && current.convertedAt === null && workflow.goal.match(event)) action = 'convert';
      // Judged by the event's own time: a click during the wait counts however late it arrives.
      else if (resting?.type === 'wait-event' && eventTime >= (current.waitingSince ?? Infinity) && resting.match(event)) action = 'resume';
    } else if (mayReenter(workflow, current, eventTime) && workflow.entry(event)) {
      action = 'enter';
    } else if (convertsAfterFinishing(workflow, current, eventTime) && workflow.goal!.match(event)) {
      action = 'convert-finished';
    }
  } else if (workflow.entry(event)) {
    action = 'enter';
  }
  const engagement = current !== null && scopedTo === workflow.id && engagementChanges(current, event);

  if (action === 'enter' && tooOldToEnter) {
    // Still a no-op for the journey's state; only the refusal is reported.
    if (!run && !engagement) return { outcome: 'ignored', state, effects: entryRefusal(workflow, event, eventTime, now) };
    run ??= new Run(workflow, copyState(current!), context, now);
    run.refuseEntry(event, eventTime);
    action = undefined;
  }
  if (!run && !engagement && action === undefined) return { outcome: 'ignored', state, effects: [] };

  if (!run) run = current ? new Run(workflow, copyState(current), context, now) : new Run(workflow, newState(workflow, context.customerId, runTimeOf(eventTime, now, 0)), context, now);
  const at = runTimeOf(eventTime, now, run.state.clock);
  if (engagement) run.recordEngagement(event, at);
  if (action === 'exit') run.finish('exited', at);
  else if (action === 'convert') run.convert(at, event);
  else if (action === 'convert-finished') run.convertAfterFinishing(at, event);
  else if (action === 'resume' && resting?.type === 'wait-event') {
    run.leaveRestingStep();
    run.runFrom(resting.step.next, at, event);
  } else if (action === 'enter') run.enter(at, event);
  // Nothing may be left due in the past: the sweep only looks forward from its last run.
  run.fireTimersDueBy(now);

  if (!run.changed) return { outcome: 'ignored', state, effects: run.effects };
  const next = run.state;
  next.applied = appended(next.applied, eventFingerprint, APPLIED_MEMORY);
  next.clock = Math.max(next.clock, eventTime);
  return run.result(state);
}

/**
 * Moves a customer who is active on an older version, resting at a step the newer version maps
 * (its `migrate`), onto the newer version at the mapped step (WORKFLOWS.md, "Moving customers to a
 * new version"): a wait keeps its start if the new step is a wait of the same kind; any other new
 * step starts now. Returns undefined when the customer is not to move (unlisted version, unmapped
 * step, held by a pause). `from` is the customer's own version when it is still deployed (to know
 * the kind of the step they rest at).
 */
export function migrateJourney(to: CompiledWorkflow, from: CompiledWorkflow | undefined, state: JourneyState, now: number, context: StepContext): StepResult | undefined {
  const plan = to.definition.migrate;
  if (!plan || state.status !== 'active' || state.held || state.version >= to.version || !plan.from.includes(state.version) || state.stepId === null) return undefined;
  const targetId = plan.steps[state.stepId];
  const target = targetId === undefined ? undefined : to.steps.get(targetId);
  if (!target) return undefined;
  const run = new Run(to, copyState(state), context, now);
  run.moveToVersion(target, from?.steps.get(state.stepId), Math.max(now, state.clock));
  run.fireTimersDueBy(now);
  return run.result(state);
}

function entryRefusal(workflow: CompiledWorkflow, event: CustomerEvent, eventTime: number, now: number): Effect[] {
  const effects: Effect[] = [];
  const refusal = new Run(workflow, emptyJourney('', workflow.id), { customerId: '', profile: {} }, now, effects);
  refusal.refuseEntry(event, eventTime);
  return effects;
}

function applyWake(workflow: CompiledWorkflow, state: JourneyState | null, now: number, context: StepContext): StepResult {
  if (!state) return { outcome: 'ignored', state, effects: [] };
  // A held email handed back on resume may still wait for its window after the journey finished.
  const heldDue = (heldEmailsDueAt(state) ?? Infinity) <= now;
  if (state.status !== 'active' && !heldDue) return { outcome: 'ignored', state, effects: [] };
  const release = state.status === 'active' && state.held && !context.control?.paused;
  const timerDue = state.status === 'active' && state.dueAt !== null && state.dueAt <= now;
  if (!release && !timerDue && !heldDue) return { outcome: 'ignored', state, effects: [] };
  const run = new Run(workflow, copyState(state), context, now);
  if (release) run.releaseHeld(Math.max(now, state.clock));
  run.fireTimersDueBy(now);
  return run.result(state);
}

/**
 * An email this journey decided before a pause, which the send path held on its way to SES, handed
 * back when the workflow was resumed (the sweep's release, through the work queue, as the send path
 * tells a journey of a suppressed address). Why back here rather than straight to SES: the email was
 * decided for the moment before the pause, and the moment it can go is now. Deciding it again here
 * puts it through the same checks as any email decided now, with no second copy of them in the send
 * path: --drop-held drops it; otherwise it goes when the send window, the frequency cap and the budget
 * allow (a resume at night sends it in the morning; the budget counts it when it goes), waiting in the
 * state (`heldEmails`) with its own timer meanwhile. It keeps its seq: the same email, not a new one.
 *
 * Each hand-back is applied once: its fingerprint joins the applied events', so a message delivered
 * twice (SQS, or a release that crashed before forgetting the held item) sends nothing twice.
 */
function applyHeldEmail(workflow: CompiledWorkflow, state: JourneyState | null, email: HeldEmail, now: number, context: StepContext): StepResult {
  const id = fingerprint(`waymark.held-email#${email.seq}`);
  if (!state || state.emailSeq < email.seq) return { outcome: 'ignored', state, effects: [] };
  if (state.applied.includes(id) || (state.heldEmails ?? []).some((held) => held.seq === email.seq)) return { outcome: 'duplicate', state, effects: [] };
  const run = new Run(workflow, copyState(state), context, now);
  const at = Math.max(now, state.clock);
  if (context.control?.paused) {
    // Paused again before it was applied: back to the send path, which holds it for the next resume.
    run.handBackToSendPath(email, at);
    return run.result(state);
  }
  run.state.applied = appended(run.state.applied, id, APPLIED_MEMORY);
  if (context.control?.stopped) {
    // Stopped since (the release drops these itself; this is one applied after the stop).
    run.dropHeldEmail(email, at, 'stopped');
    if (state.status === 'active') run.finish('exited', at, 'stopped');
    return run.result(state);
  }
  run.acceptHeldEmail(email, at);
  run.fireTimersDueBy(now);
  return run.result(state);
}

/** True when an SES open or click would change the journey's counts (a first open or click of that email). */
function engagementChanges(state: JourneyState, event: CustomerEvent): boolean {
  const kind = ENGAGEMENT_DETAIL_TYPES[event['detail-type'] as keyof typeof ENGAGEMENT_DETAIL_TYPES];
  if (!kind) return false;
  const seq = event.detail.emailSeq;
  if (typeof seq !== 'number') return true;
  const flags = state.engaged.find(([emailSeq]) => emailSeq === seq)?.[1] ?? 0;
  const wanted = kind === 'click' ? 3 : 1;
  return (flags & wanted) !== wanted;
}

/**
 * Whether a goal event may still count for a customer who finished without converting: one who
 * completed the journey, within the attribution window after; one held out, for as long as a treated
 * customer could take to convert (CompiledGoal.holdoutWatchMs). Exits are not watched: they left.
 */
function convertsAfterFinishing(workflow: CompiledWorkflow, state: JourneyState, eventTime: number): boolean {
  const goal = workflow.goal;
  if (!goal || state.convertedAt !== null || state.finishedAt === null || eventTime < state.finishedAt) return false;
  if (state.status === 'completed') return eventTime - state.finishedAt <= goal.attributionMs;
  if (state.status !== 'holdout') return false;
  const heldOutAt = (state.assigned ?? []).find(([, group]) => group === 'holdout')?.[0];
  return heldOutAt !== undefined && eventTime - state.finishedAt <= (goal.holdoutWatchMs.get(heldOutAt) ?? goal.attributionMs);
}

function matchesAny(matchers: readonly Matcher[], event: CustomerEvent): boolean {
  for (let i = 0; i < matchers.length; i++) if (matchers[i]!(event)) return true;
  return false;
}

function mayReenter(workflow: CompiledWorkflow, state: JourneyState, eventTime: number): boolean {
  // Never rewind: only an event later than the end of the previous run can start a new one.
  if (state.finishedAt === null || eventTime <= state.finishedAt) return false;
  switch (workflow.reentry.kind) {
    case 'never':
      return false;
    case 'after-exit':
      return true;
    case 'after':
      return eventTime >= addDuration(state.enteredAt, workflow.reentry.duration);
  }
}

/**
 * The empty array a new state's arrays start as, shared and frozen: the engine never changes a
 * state's array in place (it writes a new one), and six fresh empty arrays per entry, which outlive
 * the input, cost the garbage collector more than the state itself. Frozen, so that code elsewhere
 * that would push into it fails at once instead of changing every state.
 */
const NONE: readonly never[] = Object.freeze([]);

function newState(workflow: CompiledWorkflow, customerId: string, at: number): JourneyState {
  // The clock starts at the entry's run time; `enter` sets enteredAt.
  // emptyJourney's fields, in its order, written out: its literal then three changed numbers cost twice this.
  return {
    customerId,
    workflowId: workflow.id,
    version: workflow.version,
    status: 'active',
    stepId: null,
    stage: null,
    stages: NONE as never[],
    entries: 0,
    enteredAt: at,
    finishedAt: null,
    convertedAt: null,
    waitingSince: null,
    pendingSince: null,
    held: false,
    heldEmails: NONE as never[],
    dueAt: null,
    clock: at,
    emailsSent: 0,
    opens: 0,
    clicks: 0,
    sent: NONE as never[],
    sendTimes: NONE as never[],
    applied: NONE as never[],
    emailSeq: 0,
    engaged: NONE as never[],
    lastEmail: null,
    assigned: NONE as never[],
  };
}

/**
 * A draft of the state for one input: every field, in one literal (one hidden class, whatever order
 * the stored item had), with its arrays shared with `state`: a run never changes an array in place,
 * it replaces the ones it changes (appended, replacedAt), and most inputs change none of them.
 */
function copyState(state: JourneyState): JourneyState {
  return {
    customerId: state.customerId,
    workflowId: state.workflowId,
    version: state.version,
    status: state.status,
    stepId: state.stepId,
    stage: state.stage,
    stages: state.stages,
    entries: state.entries,
    enteredAt: state.enteredAt,
    finishedAt: state.finishedAt,
    convertedAt: state.convertedAt,
    waitingSince: state.waitingSince,
    pendingSince: state.pendingSince,
    held: state.held,
    // States stored before held emails were handed back have none.
    heldEmails: state.heldEmails ?? [],
    dueAt: state.dueAt,
    clock: state.clock,
    emailsSent: state.emailsSent,
    opens: state.opens,
    clicks: state.clicks,
    sent: state.sent,
    sendTimes: state.sendTimes,
    applied: state.applied,
    emailSeq: state.emailSeq,
    engaged: state.engaged,
    lastEmail: state.lastEmail ?? null,
    // States stored before experiments were counted have none.
    assigned: state.assigned ?? [],
  };
}

/**
 * A new array: `array`'s items then `item`, the oldest dropped beyond `keep` (what push then splice
 * did in place). Allocated at its exact length and filled, which costs a fraction of slice then push
 * (whose push grows the copy by half plus sixteen slots): these arrays outlive the input, in the
 * stored state, and every byte of them is copied by the garbage collector.
 */
function appended<T>(array: readonly T[], item: T, keep = Infinity): T[] {
  const length = array.length;
  const from = length + 1 > keep ? length + 1 - keep : 0;
  const next = new Array<T>(length + 1 - from);
  for (let i = from; i < length; i++) next[i - from] = array[i]!;
  next[length - from] = item;
  return next;
}

/** A new array: `array` without the first item equal to `item` (the same array when there is none). */
function withoutOne<T>(array: readonly T[], item: T): T[] {
  const index = array.indexOf(item);
  return index < 0 ? (array as T[]) : [...array.slice(0, index), ...array.slice(index + 1)];
}

/** A new array: `array` with the item at `index` replaced. */
function replacedAt<T>(array: readonly T[], index: number, item: T): T[] {
  const next = new Array<T>(array.length);
  for (let i = 0; i < array.length; i++) next[i] = array[i]!;
  next[index] = item;
  return next;
}

type MetricEffect = Extract<Effect, { type: 'metric' }>;

const VERSION_LABELS: string[] = [];
/** "v3": the `version` gauge's label (written once per version, not at every entry and finish). */
function versionLabel(version: number): string {
  return Number.isInteger(version) && version >= 0 && version < 1000 ? (VERSION_LABELS[version] ??= `v${version}`) : `v${version}`;
}

/** One input's worth of changes to a draft state, and the effects they produce. */
class Run {
  changed = false;
  private readonly restingBefore: string | null;
  /** Warnings already reported in this run (one per code and step is enough). */
  private warned: Set<string> | undefined;
  /** The customer's counted sends, plus those this run decides (a run may send twice at one instant). */
  private budgetSends: number[] | undefined;

  constructor(
    private readonly workflow: CompiledWorkflow,
    readonly state: JourneyState,
    private readonly context: StepContext,
    /** The moment the input is applied. */
    private readonly now: number,
    readonly effects: Effect[] = [],
  ) {
    this.restingBefore = state.status === 'active' ? state.stepId : null;
  }

  result(before: JourneyState | null = null): StepResult {
    if (!this.changed) return { outcome: 'ignored', state: before, effects: [] };
    const restingAfter = this.state.status === 'active' ? this.state.stepId : null;
    if (restingAfter !== this.restingBefore) {
      const at = this.state.clock;
      if (this.restingBefore !== null) this.metric('waiting', at, this.restingBefore, undefined, -1);
      if (restingAfter !== null) this.metric('waiting', at, restingAfter, undefined, 1);
    }
    return { outcome: 'applied', state: this.state, effects: this.effects };
  }

  /**
   * Counts `metric`: one effect, its optional fields present only when given. Positional arguments
   * and one literal per combination (the fields in the same order as ever): no options object, and
   * no field added after the object is built (which would move it out of the object).
   */
  private metric(metric: MetricName, at: number, stepId?: string, label?: string, value = 1, stage?: string): void {
    let effect: MetricEffect;
    if (stage === undefined) {
      if (stepId === undefined) effect = label === undefined ? { type: 'metric', metric, at, value } : { type: 'metric', metric, at, value, label };
      else effect = label === undefined ? { type: 'metric', metric, at, value, stepId } : { type: 'metric', metric, at, value, stepId, label };
    } else if (stepId === undefined) effect = label === undefined ? { type: 'metric', metric, at, value, stage } : { type: 'metric', metric, at, value, stage, label };
    else effect = label === undefined ? { type: 'metric', metric, at, value, stepId, stage } : { type: 'metric', metric, at, value, stepId, stage, label };
    this.effects.push(effect);
  }

  private warn(code: WarningCode, at: number, message: string, stepId?: string): void {
    const key = `${code}\u0000${stepId ?? ''}`;
    if (this.warned?.has(key)) return;
    (this.warned ??= new Set()).add(key);
    const warning: Extract<Effect, { type: 'warn' }> = { type: 'warn', code, at, message };
    if (stepId !== undefined) warning.stepId = stepId;
    this.effects.push(warning);
    this.metric('warning', at, stepId, code);
  }

  /** An event that would have started the journey but is older than entry.maxAge: counted and reported, nothing else. */
  refuseEntry(event: CustomerEvent, eventTime: number): void {
    const ageHours = Math.round((this.now - eventTime) / 3_600_000);
    const age = ageHours >= 48 ? `${Math.round(ageHours / 24)} days` : `${ageHours} hours`;
    this.metric('entry.refused', this.now, undefined, 'too-old');
    this.warn('entry-too-old', this.now, `${event['detail-type']} of ${event.time} was ${age} old when applied, older than entry.maxAge (${this.workflow.definition.entry.maxAge ?? 'P1D'}): it did not start the journey`);
  }

  private emit(detailType: Extract<Effect, { type: 'emit' }>['detailType'], at: number, entries?: number): void {
    const s = this.state;
    const detail: Record<string, unknown> =
      entries === undefined
        ? { customerId: s.customerId, workflowId: s.workflowId, version: s.version, stage: s.stage, status: s.status }
        : { customerId: s.customerId, workflowId: s.workflowId, version: s.version, stage: s.stage, status: s.status, entries };
    this.effects.push({ type: 'emit', detailType, at, detail });
  }

  private advanceClock(at: number): void {
    this.changed = true;
    if (at > this.state.clock) this.state.clock = at;
  }

  enter(at: number, event: CustomerEvent): void {
    const s = this.state;
    this.advanceClock(at);
    s.version = this.workflow.version;
    s.status = 'active';
    s.stepId = null;
    s.stage = null;
    s.stages = NONE as never[];
    s.entries += 1;
    s.enteredAt = at;
    s.finishedAt = null;
    s.convertedAt = null;
    s.waitingSince = null;
    s.pendingSince = null;
    s.held = false;
    s.dueAt = null;
    s.emailsSent = 0;
    s.opens = 0;
    s.clicks = 0;
    s.lastEmail = null;
    s.assigned = NONE as never[];
    const channel = event.detail.channel;
    this.metric('entered', at, undefined, typeof channel === 'string' && channel.length > 0 ? channel.slice(0, 64) : event.source);
    this.metric('version', at, undefined, versionLabel(this.workflow.version));
    this.emit('Journey Entered', at, s.entries);
    this.runFrom(this.workflow.start, at, event);
  }

  finish(status: Exclude<CustomerStatus, 'active'>, at: number, label?: string): void {
    const s = this.state;
    this.advanceClock(at);
    this.closeStage(at);
    const stepId = s.stepId ?? undefined;
    s.status = status;
    s.stepId = null;
    s.dueAt = null;
    s.waitingSince = null;
    s.pendingSince = null;
    s.held = false;
    s.finishedAt = at;
    // A conversion is counted when it happens (convert), not again as the way out.
    if (status !== 'converted') this.metric(status, at, stepId, label);
    this.metric('version', at, undefined, versionLabel(s.version), -1);
    this.emit('Journey Finished', at);
  }

  /** Onto this run's workflow (a newer version) at `target`: see migrateJourney. */
  moveToVersion(target: CompiledStep, previous: CompiledStep | undefined, at: number): void {
    const s = this.state;
    const oldVersion = s.version;
    this.advanceClock(at);
    s.version = this.workflow.version;
    this.metric('version', at, undefined, `v${oldVersion}`, -1);
    this.metric('version', at, undefined, `v${s.version}`);
    this.metric('migrated', at, target.id, `v${oldVersion}`);
    const start = s.waitingSince ?? s.pendingSince;
    if (previous?.type === target.type && start !== null && (target.type === 'wait-duration' || target.type === 'wait-event')) {
      // The same kind of wait: it keeps its start, with the new step's length (it may be over already: then it fires now).
      s.stepId = target.id;
      if (target.type === 'wait-duration') this.rest(addDuration(start, target.duration), null, start);
      else this.rest(addDuration(start, target.timeout), start, start);
      return;
    }
    this.leaveRestingStep();
    this.runFrom(target.id, at, undefined);
  }

  /** A held email goes on when the workflow is resumed: decided now (window, cap and budget checked now), or dropped. */
  releaseHeld(at: number): void {
    const s = this.state;
    const current = this.workflow.steps.get(s.stepId ?? '');
    this.advanceClock(at);
    s.held = false;
    if (current?.type !== 'email') return;
    const drop = this.context.control?.dropHeldBefore;
    if (drop !== undefined && (s.pendingSince ?? at) < drop) {
      this.metric('email.dropped', at, current.id, 'paused');
      s.pendingSince = null;
      this.continueAfter(current, at, undefined);
      return;
    }
    if (this.sendEmail(current, at, true) === 'next') this.continueAfter(current, Math.max(at, this.now), undefined);
  }

  /** Changes how a finished run is counted (completed → suppressed), without counting its stage time twice. */
  relabelFinished(status: Exclude<CustomerStatus, 'active'>, at: number): void {
    const s = this.state;
    this.advanceClock(at);
    this.metric(s.status as MetricName, at, undefined, undefined, -1);
    s.status = status;
    this.metric(status, at);
    this.emit('Journey Finished', at);
  }

  convert(at: number, event: CustomerEvent): void {
    const goal = this.workflow.goal;
    if (!goal) return;
    const s = this.state;
    this.advanceClock(at);
    this.countConversion(at, event);
    if (goal.stage !== undefined) this.setStage(goal.stage, at);
    this.emit('Journey Converted', at);
    if (goal.then === 'exit') {
      this.finish('converted', at);
    } else {
      this.leaveRestingStep();
      this.runFrom(goal.then, at, event);
    }
  }

  /**
   * A customer who finished (completed, or held out) meets the goal while still watched
   * (convertsAfterFinishing): counted as a conversion of the journey, credited like any other, and
   * the customer stays finished (no stage change, no `goal.then`). This is what makes a holdout a
   * control group: its customers' conversions are counted too.
   */
  convertAfterFinishing(at: number, event: CustomerEvent): void {
    this.advanceClock(at);
    this.countConversion(at, event);
    this.emit('Journey Converted', at);
  }

  /**
   * Counts a conversion: at the email credited with it (the last one the journey sent, within the
   * attribution window before it) or at "_", with its value (goal.value), and for each experiment
   * group the customer is in.
   */
  private countConversion(at: number, event: CustomerEvent): void {
    const goal = this.workflow.goal!;
    const s = this.state;
    s.convertedAt = at;
    const credited = s.lastEmail != null && at - s.lastEmail[1] <= goal.attributionMs ? s.lastEmail[0] : '_';
    this.metric('converted', at, credited);
    this.metric('converted.time', at, undefined, undefined, Math.max(0, at - s.enteredAt));
    const value = this.goalValue(event, at);
    if (value !== undefined) this.metric('revenue', at, credited, undefined, value);
    for (const [stepId, group] of s.assigned ?? []) {
      this.metric('converted.path', at, stepId, group);
      if (value !== undefined) this.metric('revenue.path', at, stepId, group, value);
    }
  }

  /** The goal event's value (goal.value): a finite number, or a numeric string; else a warning and no value. */
  private goalValue(event: CustomerEvent, at: number): number | undefined {
    const path = this.workflow.goal!.valuePath;
    if (path.length === 0) return undefined;
    const value = fieldAt(event.detail, path);
    const amount = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (Number.isFinite(amount)) return amount;
    this.warn('goal-value-unreadable', at, `the goal event's detail.${path.join('.')} is ${value === undefined ? 'missing' : `${JSON.stringify(value)}, not a number`}: the conversion was counted without a value`);
    return undefined;
  }

  /** The customer's group at a split or holdout step, counted; a conversion later counts for the group too. */
  private assign(stepId: string, group: string, at: number): void {
    this.state.assigned = appended(this.state.assigned ?? [], [stepId, group]);
    this.metric('assigned', at, stepId, group);
  }

  leaveRestingStep(): void {
    this.state.dueAt = null;
    this.state.waitingSince = null;
    this.state.pendingSince = null;
    this.state.held = false;
  }

  recordEngagement(event: CustomerEvent, at: number): void {
    const kind = ENGAGEMENT_DETAIL_TYPES[event['detail-type'] as keyof typeof ENGAGEMENT_DETAIL_TYPES];
    if (!kind) return;
    const s = this.state;
    const seq = typeof event.detail.emailSeq === 'number' ? event.detail.emailSeq : undefined;
    const wanted = kind === 'click' ? 3 : 1; // a click implies the email was opened, even with images blocked
    const index = seq === undefined ? -1 : s.engaged.findIndex(([emailSeq]) => emailSeq === seq);
    const before = index >= 0 ? (s.engaged[index]?.[1] ?? 0) : 0;
    if ((before & wanted) === wanted) return;
    this.advanceClock(at);
    const stepId = typeof event.detail.stepId === 'string' ? event.detail.stepId : undefined;
    if (!(before & 1)) {
      s.opens += 1;
      this.metric('email.opened', at, stepId);
    }
    if (wanted === 3 && !(before & 2)) {
      s.clicks += 1;
      this.metric('email.clicked', at, stepId);
    }
    if (seq !== undefined) s.engaged = index >= 0 ? replacedAt(s.engaged, index, [seq, before | wanted]) : appended(s.engaged, [seq, wanted], ENGAGED_MEMORY);
  }

  /**
   * A held email handed back on resume (applyHeldEmail): dropped with --drop-held (decided before
   * the resume), else kept with its timer due now, so that fireHeldEmailsDueBy decides it again.
   * Its instant in the frequency cap's record is taken out: it is counted again when it goes.
   */
  acceptHeldEmail(email: HeldEmail, at: number): void {
    this.advanceClock(at);
    const drop = this.context.control?.dropHeldBefore;
    if (drop !== undefined && email.decidedAt < drop) {
      this.dropHeldEmail(email, at, 'paused');
      return;
    }
    const s = this.state;
    s.sendTimes = withoutOne(s.sendTimes, email.at);
    const { dueAt: _dueAt, ...held } = email;
    s.heldEmails = appended(s.heldEmails, { ...held, dueAt: at });
  }

  /** A held email not sent (--drop-held, a stop): counted at its step, and out of the frequency cap's record. */
  dropHeldEmail(email: HeldEmail, at: number, label: 'paused' | 'stopped'): void {
    this.advanceClock(at);
    this.state.sendTimes = withoutOne(this.state.sendTimes, email.at);
    this.metric('email.dropped', at, email.stepId, label);
  }

  /** An email back to the send path unchanged (the workflow is paused again): it holds it until the next resume. */
  handBackToSendPath(email: HeldEmail, at: number): void {
    this.advanceClock(at);
    const to = recipientOf(this.context.profile);
    if (to === undefined) return;
    const s = this.state;
    this.effects.push({
      type: 'send-email',
      email: { seq: email.seq, customerId: s.customerId, workflowId: this.workflow.id, version: email.version, stepId: email.stepId, stage: email.stage, contentId: email.contentId, to, at: email.at, ...(email.event ? { event: email.event } : {}), again: true },
    });
  }

  /**
   * Decides again each held email whose timer is due by `limit`, at max(its time, now), as an email
   * step decides one it deferred: paused (again), back to the send path; a suppressed address, never
   * sent; the customer left the journey meanwhile (exited, converted), dropped; over the budget with
   * "skip", skipped; outside the window, over the cap or the budget, it waits for the moment they
   * allow; else it goes now, with its own seq, counted by the cap and the budget now. A completed
   * journey still sends it: it may have completed with this email.
   */
  private fireHeldEmailsDueBy(limit: number): void {
    const s = this.state;
    if ((s.heldEmails ?? []).length === 0) return;
    const kept: HeldEmail[] = [];
    for (const held of s.heldEmails) {
      if (held.dueAt == null || held.dueAt > limit) {
        kept.push(held);
        continue;
      }
      const at = Math.max(held.dueAt, this.now);
      this.advanceClock(at);
      if (this.context.control?.paused) {
        this.handBackToSendPath(held, at);
        continue;
      }
      // The service checked the address before this decision (StepContext.suppressed): never sent.
      if (this.context.suppressed) {
        if (s.status === 'active') this.finish('suppressed', at);
        else if (s.status === 'completed') this.relabelFinished('suppressed', at);
        continue;
      }
      // Left the journey during the pause (an exit such as a deleted customer, or the goal): a pause
      // delays an email, it does not outlive the journey. (Completed still sends: it may have been the last step.)
      if (s.status === 'exited' || s.status === 'converted') {
        this.metric('email.dropped', at, held.stepId, 'left');
        continue;
      }
      const to = recipientOf(this.context.profile);
      if (to === undefined) {
        this.metric('email.skipped', at, held.stepId, 'no-address');
        continue;
      }
      const workflow = this.workflow;
      if (this.sendCanMove()) {
        const timing = this.sendTiming(at);
        if (timing.outcome === 'skip') {
          this.metric('email.skipped', at, held.stepId, 'budget');
          continue;
        }
        if (timing.sendAt > at) {
          kept.push({ ...held, dueAt: timing.sendAt });
          this.effects.push({ type: 'schedule', at: timing.sendAt });
          continue;
        }
      }
      this.countSend(at);
      const { dueAt: _dueAt, decidedAt: _decidedAt, event, ...email } = held;
      this.effects.push({ type: 'send-email', email: { ...email, customerId: s.customerId, workflowId: workflow.id, to, at, ...(event ? { event } : {}), again: true } });
    }
    s.heldEmails = kept.length === 0 ? (NONE as never[]) : kept;
  }

  /** Fires every timer due by `limit`, each at its own due time, or at `now` when it is late. */
  fireTimersDueBy(limit: number): void {
    this.fireHeldEmailsDueBy(limit);
    for (let fired = 0; fired < MAX_TIMERS_PER_WAKE; fired++) {
      const s = this.state;
      if (s.status !== 'active' || s.dueAt === null || s.dueAt > limit) return;
      this.fireTimer(runTimeOf(s.dueAt, this.now, s.clock));
    }
  }

  private fireTimer(at: number): void {
    const s = this.state;
    this.advanceClock(at);
    const resting = this.workflow.steps.get(s.stepId ?? '');
    const pendingSince = s.pendingSince;
    this.leaveRestingStep();
    // An email held by the window, the cap or the budget keeps the time it first became due.
    if (resting?.type === 'email') s.pendingSince = pendingSince;
    if (!resting) throw new Error(`${this.workflow.id}: customer ${s.customerId} rests at unknown step "${s.stepId}"`);
    switch (resting.type) {
      case 'wait-duration':
        this.runFrom(resting.step.next, at, undefined);
        return;
      case 'wait-event':
        this.runFrom(resting.step.timeoutNext ?? resting.step.next, at, undefined);
        return;
      case 'wait-at':
        this.runFrom(resting.step.next, at, undefined);
        return;
      case 'email': {
        if (this.sendEmail(resting, at, true) === 'next') this.continueAfter(resting, Math.max(at, this.now), undefined);
        return;
      }
      default:
        throw new Error(`${this.workflow.id}: a timer fired at step "${resting.id}" of type ${resting.type}, which never waits`);
    }
  }

  private continueAfter(step: CompiledStep, at: number, event: CustomerEvent | undefined): void {
    const next = 'next' in step.step ? step.step.next : undefined;
    if (next === undefined) this.finish('completed', at);
    else this.runFrom(next, at, event);
  }

  runFrom(stepId: string, startAt: number, event: CustomerEvent | undefined): void {
    const s = this.state;
    this.advanceClock(startAt);
    let at = startAt;
    let id: string | undefined = stepId;
    for (let passed = 0; id !== undefined; passed++) {
      if (passed >= MAX_STEPS_PER_INPUT) throw new Error(`${this.workflow.id}: more than ${MAX_STEPS_PER_INPUT} steps without a wait (a loop)`);
      const current = this.workflow.steps.get(id);
      if (!current) throw new Error(`${this.workflow.id}: no step "${id}"`);
      s.stepId = id;
      this.metric('step.entered', at, id);
      if (current.step.stage !== undefined) this.setStage(current.step.stage, at);

      let next: string | undefined;
      switch (current.type) {
        case 'email': {
          if (this.sendEmail(current, at, false) !== 'next') return;
          // The journey goes on from the moment the email was decided.
          at = Math.max(at, this.now);
          next = current.step.next;
          break;
        }
        case 'wait-duration':
          this.rest(addDuration(at, current.duration), null, at);
          return;
        case 'wait-event':
          this.rest(addDuration(at, current.timeout), at, at);
          return;
        case 'wait-at': {
          const tz = timeZoneOf(this.workflow, this.context.profile);
          const until = momentOf(current.moment, this.context.profile, event, tz);
          if (until !== undefined && until > at) {
            this.rest(until, null, at);
            return;
          }
          if (until === undefined && current.moment.kind === 'attribute') {
            const where = `${current.moment.source}.${current.moment.path.join('.')}`;
            this.warn('wait-at-unreadable', at, `${where} is missing or not an ISO date or instant: the wait at step "${id}" was skipped`, id);
          }
          this.metric('wait.skipped', at, id, until === undefined ? 'unreadable' : 'past');
          next = current.step.next;
          break;
        }
        case 'branch': {
          const document = current.readsEnteredAt ? branchContext(s, this.context.profile, event) : branchDocument(s, this.context.profile, event);
          next = current.step.else;
          for (const c of current.cases) {
            if (c.match(document)) {
              next = c.next;
              break;
            }
          }
          break;
        }
        case 'split':
          next = this.choosePath(current);
          this.assign(id, next, at);
          break;
        case 'holdout':
          if (this.context.pins?.holdout ?? unitInterval(`${this.workflow.id}:${id}:${s.customerId}`) * 100 < current.step.percent) {
            this.assign(id, 'holdout', at);
            this.finish('holdout', at);
            return;
          }
          this.assign(id, 'journey', at);
          next = current.step.next;
          break;
        case 'stage':
          next = current.step.next;
          break;
        case 'exit':
          this.finish('completed', at);
          return;
      }
      if (next === undefined) {
        this.finish('completed', at);
        return;
      }
      id = next;
    }
  }

  private rest(dueAt: number, waitingSince: number | null, since?: number): void {
    this.state.dueAt = dueAt;
    this.state.waitingSince = waitingSince;
    if (since !== undefined) this.state.pendingSince = since;
    this.effects.push({ type: 'schedule', at: dueAt });
  }

  private choosePath(split: Extract<CompiledStep, { type: 'split' }>): string {
    const pinned = this.context.pins?.splits?.[split.id];
    if (pinned !== undefined && split.step.paths.some((path) => path.next === pinned)) return pinned;
    const point = unitInterval(`${this.workflow.id}:${split.id}:${this.state.customerId}`) * split.totalWeight;
    let cumulative = 0;
    for (const path of split.step.paths) {
      cumulative += path.weight;
      if (point < cumulative) return path.next;
    }
    // Floating-point rounding can leave `point` a hair above the sum: the last weighted path takes it.
    const paths = split.step.paths.filter((path) => path.weight > 0);
    return (paths[paths.length - 1] ?? split.step.paths[0])!.next;
  }

  /**
   * Decides the email of an email step reached at `reachedAt`. It is decided no earlier than `now`
   * (the moment it is handed on to be sent), and checked against the window and cap at that moment.
   * 'next' once it is sent (or skipped), 'rest' when the window or cap defers it, 'stop' when the
   * customer finished. The journey goes on at max(reachedAt, now), whatever the outcome.
   */
  private sendEmail(current: Extract<CompiledStep, { type: 'email' }>, reachedAt: number, resumed: boolean): 'next' | 'rest' | 'stop' {
    const s = this.state;
    const workflow = this.workflow;
    const { profile } = this.context;
    const at = Math.max(reachedAt, this.now);
    this.advanceClock(at);
    if (this.context.suppressed) {
      this.finish('suppressed', at);
      return 'stop';
    }
    const to = recipientOf(profile);
    if (to === undefined) {
      const problem = profileProblem(profile, 'email');
      if (problem !== undefined) this.warn('email-invalid', at, `${problem}: the email of step "${current.id}" was skipped`, current.id);
      this.metric('email.skipped', at, current.id, 'no-address');
      return 'next';
    }
    const { template, content: selector } = current.step;
    const item = template !== undefined ? workflow.content.byId.get(template) : selectContent(workflow.content, selector!, s.sent);
    if (!item) {
      this.metric('email.skipped', at, current.id, 'no-content');
      return 'next';
    }

    if (this.context.control?.paused) {
      // Paused: the customer holds here, without a timer, until the workflow is resumed.
      if (!s.held) this.metric('email.held', at, current.id, 'paused');
      s.pendingSince ??= at;
      s.held = true;
      s.dueAt = null;
      s.waitingSince = null;
      return 'rest';
    }
    if (this.sendCanMove()) {
      const timing = this.sendTiming(at);
      if (timing.outcome === 'skip') {
        this.metric('email.skipped', at, current.id, 'budget');
        return 'next';
      }
      if (timing.sendAt > at) {
        if (!resumed) this.metric('email.deferred', at, current.id, timing.reason);
        this.rest(timing.sendAt, null, s.pendingSince ?? at);
        return 'rest';
      }
    }
    s.pendingSince = null;

    s.emailSeq += 1;
    s.emailsSent += 1;
    s.lastEmail = [current.id, at];
    if (!s.sent.includes(item.id)) s.sent = appended(s.sent, item.id);
    this.countSend(at);
    this.effects.push({
      type: 'send-email',
      email: {
        seq: s.emailSeq,
        customerId: s.customerId,
        workflowId: workflow.id,
        version: workflow.version,
        stepId: current.id,
        stage: s.stage,
        contentId: item.id,
        to,
        at,
      },
    });
    this.metric('email.sent', at, current.id, undefined, 1, s.stage ?? undefined);
    return 'next';
  }

  /** Whether a window, a cap or a budget could move an email: without them sendTiming can only say "now". */
  private sendCanMove(): boolean {
    const workflow = this.workflow;
    return workflow.sendWindow !== undefined || workflow.frequencyCap !== undefined || (this.context.budget !== undefined && workflow.budgeted);
  }

  /** An email goes at `at`: it counts in the frequency cap's record and the send budget from then. */
  private countSend(at: number): void {
    const workflow = this.workflow;
    const cap = workflow.frequencyCap;
    if (cap) {
      // A new array: the old one may be shared with the stored state.
      const horizon = at - cap.perMs;
      const sendTimes = this.state.sendTimes.filter((sentAt) => sentAt > horizon);
      if (at > horizon) sendTimes.push(at);
      this.state.sendTimes = sendTimes;
    }
    if (this.context.budget && workflow.budgeted) (this.budgetSends ??= [...this.context.budget.sends]).push(at);
  }

  /**
   * When the email of a step reached at `at` may go: the earliest moment at or after `at` that the
   * frequency cap, the send window and the send budget all allow (each checked again after another
   * moves it), and which of them held it first. An email due now but over the budget of a workflow
   * whose `overBudget` is "skip" is not sent at all.
   */
  private sendTiming(at: number): { outcome: 'send'; sendAt: number; reason: 'cap' | 'window' | 'budget' } | { outcome: 'skip' } {
    const workflow = this.workflow;
    const { profile, budget } = this.context;
    const cap = workflow.frequencyCap;
    const window = workflow.sendWindow;
    if (window) {
      const tzProblem = profileProblem(profile, 'timezone');
      if (tzProblem !== undefined) this.warn('timezone-invalid', at, `${tzProblem}: the send window was applied in ${workflow.timezone}, the workflow's zone`);
    }
    const tz = window ? timeZoneOf(workflow, profile) : workflow.timezone;
    const budgetSends = budget && workflow.budgeted ? (this.budgetSends ?? budget.sends) : undefined;
    let reason: 'cap' | 'window' | 'budget' | undefined;
    let sendAt = at;
    // Each constraint only moves the time later; a few rounds settle any combination.
    for (let round = 0; round < 20; round++) {
      const capped = cap ? earliestUnderCap(sendAt, this.state.sendTimes, cap.max, cap.perMs) : sendAt;
      if (capped > sendAt) reason ??= 'cap';
      const windowed = window ? nextWindowOpening(capped, window, tz) : capped;
      if (windowed > capped) reason ??= 'window';
      let allowed = windowed;
      if (budgetSends) {
        allowed = earliestUnderCap(windowed, budgetSends, budget!.max, budget!.perMs);
        if (allowed > windowed) {
          if (workflow.overBudget === 'skip') {
            // Over the budget at a moment the window and the cap allow: "skip" gives up on it there and then.
            if (windowed === at) return { outcome: 'skip' };
            // Over it when the window or the cap will allow it: wait for that moment and decide there (the budget
            // may have room by then), never for the budget's, which would send a skipped email late.
            return { outcome: 'send', sendAt: windowed, reason: reason ?? 'window' };
          }
          reason ??= 'budget';
        }
      }
      if (allowed === sendAt) break;
      sendAt = allowed;
    }
    return { outcome: 'send', sendAt, reason: reason ?? 'window' };
  }

  private setStage(stage: string, at: number): void {
    const s = this.state;
    if (s.stage === stage) return;
    this.closeStage(at);
    s.stage = stage;
    s.stages = appended(s.stages, [stage, at], STAGE_MEMORY);
    this.metric('stage.entered', at, undefined, undefined, 1, stage);
    this.emit('Journey Stage Changed', at);
  }

  /** Counts the time spent in the current stage, when leaving it or the journey. */
  private closeStage(at: number): void {
    const s = this.state;
    const current = s.stages[s.stages.length - 1];
    if (s.stage !== null && current && current[0] === s.stage) {
      this.metric('stage.time', at, undefined, undefined, Math.max(0, at - current[1]), s.stage);
      this.metric('stage.left', at, undefined, undefined, 1, s.stage);
    }
  }
}
