/**
 * The engine's data: a customer's place in one workflow, the inputs that move
 * it, and the effects the interpreter asks its adapters to carry out.
 *
 * Instants are epoch milliseconds. The state is kept small on purpose: it is
 * one DynamoDB item, and under 1 KB it costs one write unit.
 */

export type CustomerStatus = 'active' | 'completed' | 'converted' | 'exited' | 'holdout' | 'suppressed';
export const FINISHED_STATUSES: readonly CustomerStatus[] = ['completed', 'converted', 'exited', 'holdout', 'suppressed'];

/** Where one customer is in one workflow. */
export interface JourneyState {
  customerId: string;
  workflowId: string;
  /** The workflow version this run entered; a customer stays on it. */
  version: number;
  status: CustomerStatus;
  /** The step the customer rests at (a wait, or an email deferred by the send window or the cap); null when finished. */
  stepId: string | null;
  stage: string | null;
  /** This run's stages, each with the instant it was entered. */
  stages: Array<[stage: string, at: number]>;
  /** Number of times the customer entered this workflow. */
  entries: number;
  enteredAt: number;
  finishedAt: number | null;
  convertedAt: number | null;
  /** For a wait on an event: only events at or after this instant satisfy it. */
  waitingSince: number | null;
  /**
   * When the customer came to rest at the current step: a wait's start (kept when the customer moves
   * to a new version's wait of the same kind), or when a held email first became due (orders
   * same-instant emails under the budget).
   */
  pendingSince: number | null;
  /** Resting at an email step because the workflow is paused: no timer; released when it is resumed. */
  held: boolean;
  /**
   * Emails decided before a pause that the send path held on their way to SES, handed back to the
   * journey when it was resumed (HeldEmail). Each waits here, with its own `dueAt`, until the send
   * window, the frequency cap and the budget let it go; it may outlive the run (a journey that
   * completed with that email).
   */
  heldEmails: HeldEmail[];
  /** When the customer's next timer falls due (a wait ending, a deferred email); null for none. */
  dueAt: number | null;
  /** The latest instant applied to this customer: time never runs backwards in a journey. */
  clock: number;
  /** This run's journey counters (the `journey` of the branch context). */
  emailsSent: number;
  opens: number;
  clicks: number;
  /** Content ids ever sent to this customer by this workflow: content selection never repeats them. */
  sent: string[];
  /** Recent send instants, for the rolling frequency cap (pruned to the cap's period). */
  sendTimes: number[];
  /** Fingerprints of recently applied event ids: a redelivered event is a no-op. */
  applied: string[];
  /** Sequence number of the last email decided (email ids are `${seq}` within this item). */
  emailSeq: number;
  /** Recent emails' engagement: [email seq, bit 1 = opened, bit 2 = clicked], for unique open/click counts. */
  engaged: Array<[seq: number, flags: number]>;
  /** The last email this run sent: [step id, when], to credit a conversion to it (goal.attributionWindow). */
  lastEmail: [stepId: string, at: number] | null;
  /** This run's experiment groups: [split or holdout step id, the path's `next` | "holdout" | "journey"]. */
  assigned: Array<[stepId: string, group: string]>;
}

/**
 * A journey's fields before anything happened to it: what a new state starts
 * from, and what a stored state may leave out. A new object each time (the
 * engine fills its arrays in place on a draft).
 */
export function emptyJourney(customerId: string, workflowId: string): JourneyState {
  return {
    customerId,
    workflowId,
    version: 1,
    status: 'active',
    stepId: null,
    stage: null,
    stages: [],
    entries: 0,
    enteredAt: 0,
    finishedAt: null,
    convertedAt: null,
    waitingSince: null,
    pendingSince: null,
    held: false,
    heldEmails: [],
    dueAt: null,
    clock: 0,
    emailsSent: 0,
    opens: 0,
    clicks: 0,
    sent: [],
    sendTimes: [],
    applied: [],
    emailSeq: 0,
    engaged: [],
    lastEmail: null,
    assigned: [],
  };
}

/** An Amazon EventBridge event about one customer (`detail.customerId`). */
export interface CustomerEvent {
  id: string;
  source: string;
  'detail-type': string;
  /** ISO 8601 */
  time: string;
  detail: { customerId: string; profile?: Record<string, unknown>; eventId?: string; [key: string]: unknown };
  [key: string]: unknown;
}

/**
 * What makes two deliveries the same event: the producer's own `detail.eventId` when it gives one,
 * else the envelope's `id`. EventBridge gives every PutEvents entry a new id, so a put retried after
 * a lost answer, or a list imported twice, would otherwise be applied twice.
 */
export function eventKey(event: CustomerEvent): string {
  const own = event.detail.eventId;
  return typeof own === 'string' && own.length > 0 ? own : event.id;
}

export type Input =
  /** A customer event (including SES engagement events mapped to the customer). */
  | { kind: 'event'; event: CustomerEvent }
  /** The customer's timer may be due: fires it if `dueAt <= now`, else does nothing (so a stale or early wake is harmless). */
  | { kind: 'wake' }
  /** The customer's address was found suppressed when an email was about to go. */
  | { kind: 'suppressed' }
  /**
   * An email this journey decided before a pause, held by the send path and handed back on resume:
   * decided again now (dropped with --drop-held, else sent when the window, the cap and the budget
   * allow it, as if it were decided now).
   */
  | { kind: 'held-email'; email: HeldEmail };

/** An email decided before a pause and held on its way to SES (the outbox entry, without who it was for). */
export interface HeldEmail {
  seq: number;
  version: number;
  stepId: string;
  stage: string | null;
  contentId: string;
  /** When it was first to go (its instant in the frequency cap's record). */
  at: number;
  /** When it was decided (a resume with --drop-held drops emails decided before it). */
  decidedAt: number;
  /** The triggering event's detail, for a template that reads `event`. */
  event?: Record<string, unknown>;
  /** In the state: when it may go next (null: not yet decided again); absent in the input. */
  dueAt?: number | null;
}

export type Profile = Record<string, unknown>;

/** An email the engine decided to send; the runtime renders and sends it (from an outbox, so a crash never loses it). */
export interface DecidedEmail {
  /** Unique within the state item; globally unique with workflowId and customerId. */
  seq: number;
  customerId: string;
  workflowId: string;
  version: number;
  stepId: string;
  stage: string | null;
  contentId: string;
  to: string;
  /** The instant the journey sends it (an email deferred by the window or cap carries the opening time). */
  at: number;
  /** A held email sent after a resume keeps the event detail its template reads. */
  event?: Record<string, unknown>;
  /**
   * An email decided before a pause, held by the send path and handed back to the journey (its seq
   * is the first decision's): the store keys it apart, so the stream sees it as new even when the
   * journey's previous write still holds the first decision.
   */
  again?: true;
}

export type MetricName =
  | 'entered'
  | 'step.entered'
  | 'email.sent'
  | 'email.deferred'
  | 'email.skipped'
  | 'email.opened'
  | 'email.clicked'
  /** at the email step credited with it (the last email sent within goal.attributionWindow before it), else at "_" */
  | 'converted'
  /** the goal's value (goal.value), at the step `converted` is counted at */
  | 'revenue'
  /** a customer's group at a split (label: the path's next step) or holdout step (label "holdout" or "journey") */
  | 'assigned'
  /** a conversion of a customer in that group (same step and label as `assigned`) */
  | 'converted.path'
  /** the conversion's value, by group */
  | 'revenue.path'
  /** value: milliseconds from entering the journey to converting */
  | 'converted.time'
  | 'completed'
  | 'exited'
  | 'holdout'
  | 'suppressed'
  | 'stage.entered'
  /** value: milliseconds spent in `stage` (with `stage.left`, the mean time in a stage) */
  | 'stage.time'
  /** one customer left `stage` (to another stage, or out of the journey) */
  | 'stage.left'
  /** a gauge: +1 when a customer comes to rest at `stepId`, -1 when they leave it */
  | 'waiting'
  /** a gauge per workflow version (label "v<version>"): +1 when a customer enters or moves onto it, -1 when they finish or move off */
  | 'version'
  /** a customer moved to this version at `stepId` (label "v<old version>") */
  | 'migrated'
  /** an email held because the workflow is paused (label "paused"), or dropped on resume (email.dropped) */
  | 'email.held'
  | 'email.dropped'
  /** a `wait.at` whose moment had passed (label "past") or could not be read (label "unreadable"): the journey went on at once */
  | 'wait.skipped'
  /** an event that would have started the journey was older than `entry.maxAge` when applied (label "too-old") */
  | 'entry.refused'
  /** something in the customer's data was not usable and a fallback was taken (label: the warning code) */
  | 'warning';

export interface Metric {
  metric: MetricName;
  at: number;
  value: number;
  stepId?: string;
  stage?: string;
  /** entered: the channel; email.deferred: window | cap; email.skipped: no-content | no-address; warning: its code */
  label?: string;
}

export type JourneyEventType = 'Journey Entered' | 'Journey Stage Changed' | 'Journey Converted' | 'Journey Finished';

/**
 * Customer data the engine could not use as given, and the fallback it took. Reported per
 * customer by `waymark run` and `test`, logged and counted by the handlers, shown on the map.
 */
export type WarningCode =
  /** profile.timezone is not an IANA zone: the workflow's zone was used */
  | 'timezone-invalid'
  /** profile.email is not a usable address: the email was skipped */
  | 'email-invalid'
  /** the attribute a `wait.at` reads is missing or not a date: the wait was skipped */
  | 'wait-at-unreadable'
  /** the event that would have started the journey was older than entry.maxAge */
  | 'entry-too-old'
  /** the goal event's goal.value field is missing or not a number: the conversion was counted without a value */
  | 'goal-value-unreadable';

export interface Warning {
  code: WarningCode;
  at: number;
  /** What was wrong, with the bad value, in words a marketer can act on. */
  message: string;
  stepId?: string;
}

export type Effect =
  | { type: 'send-email'; email: DecidedEmail }
  | { type: 'schedule'; at: number }
  | ({ type: 'metric' } & Metric)
  | { type: 'emit'; detailType: JourneyEventType; at: number; detail: Record<string, unknown> }
  | ({ type: 'warn' } & Warning);

export type EffectType = Effect['type'];

export type StepOutcome =
  /** The input changed the customer's state: write it (conditionally), then carry out the effects. */
  | 'applied'
  /** The event id was already applied: nothing to do. */
  | 'duplicate'
  /** Nothing in this workflow concerns the input: no write needed (effects may still hold warnings and their metrics). */
  | 'ignored';

export interface StepResult {
  outcome: StepOutcome;
  /** The new state (the same object as the input state when nothing changed). */
  state: JourneyState | null;
  effects: Effect[];
}

/**
 * An input is late when it is applied more than this after its own time (an event's `time`, a
 * timer's due time): the steps it reaches then run at the moment it is applied (WORKFLOWS.md,
 * "Time in production").
 */
export const LATE_AFTER_MS = 15 * 60_000;

/** When the first held email handed back on resume may go (HeldEmail.dueAt), or null when none waits. */
export function heldEmailsDueAt(state: JourneyState): number | null {
  let first: number | null = null;
  for (const held of state.heldEmails ?? []) if (held.dueAt != null && (first === null || held.dueAt < first)) first = held.dueAt;
  return first;
}

/**
 * The journey's next timer of any kind: its resting step's (while active), or a held email's.
 * Here, not in the interpreter, because the stores key the due index on it and their bundles need no engine.
 */
export function journeyDueAt(state: JourneyState): number | null {
  const resting = state.status === 'active' ? state.dueAt : null;
  const held = heldEmailsDueAt(state);
  return resting === null ? held : held === null ? resting : Math.min(resting, held);
}
