/**
 * The journey interpreter: `step(workflow, state, input, now, context)` returns
 * the customer's next state and the effects to carry out, and carries out none
 * of them. No I/O, no clock, no randomness: time is `now` and the event's own
 * `time`; splits and holdouts hash the customer id.
 *
 * Time rules (WORKFLOWS.md, "Steps"):
 * - an event is applied at its own time (never later than `now`), and a
 *   customer's clock never runs backwards: the steps an event reaches run at
 *   max(event time, the latest instant already applied to this customer);
 * - a timer fires at its due time, even when the wake-up comes later, so a
 *   late sweep does not shift the journey;
 * - a finished customer is never rewound by an older event.
 */
import { type CompiledStep, type CompiledWorkflow, ENGAGEMENT_DETAIL_TYPES, engagementWorkflowId } from './compile';
import { selectContent } from './content';
import { fingerprint, unitInterval } from './hash';
import { type CustomerEvent, type CustomerStatus, type Effect, emptyJourney, type Input, type JourneyState, type MetricName, type Profile, type StepResult } from './model';
import { addDuration, earliestUnderCap, isValidTimeZone, nextWindowOpening } from './time';

export interface StepContext {
  /** Needed to start a state; must equal `state.customerId` when there is one. */
  customerId: string;
  /** The customer's stored profile, with this event's `detail.profile` already merged. */
  profile: Profile;
  /** The customer's address is on the suppression list: no email may be decided. */
  suppressed?: boolean;
}

/** How many recent event fingerprints a state remembers (redelivery beyond this is still harmless: see the time rules). */
export const APPLIED_MEMORY = 12;
const STAGE_MEMORY = 12;
const ENGAGED_MEMORY = 8;
/** Steps one input may pass through; validation forbids loops without a wait, this guards the impossible. */
const MAX_STEPS_PER_INPUT = 1000;
const MAX_TIMERS_PER_WAKE = 100;

const EMAIL_ADDRESS = /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/;

/** A valid recipient address from the profile, or undefined. */
export function recipientOf(profile: Profile): string | undefined {
  const email = profile.email;
  return typeof email === 'string' && email.length <= 254 && EMAIL_ADDRESS.test(email) ? email : undefined;
}

/** The customer's time zone: `profile.timezone` when it is a valid IANA name, else the workflow's. */
export function timeZoneOf(workflow: CompiledWorkflow, profile: Profile): string {
  const tz = profile.timezone;
  return typeof tz === 'string' && isValidTimeZone(tz) ? tz : workflow.timezone;
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

export function step(workflow: CompiledWorkflow, state: JourneyState | null, input: Input, now: number, context: StepContext): StepResult {
  if (state && state.status === 'active' && state.version !== workflow.version) {
    throw new Error(`customer ${state.customerId} is on ${workflow.id} version ${state.version}: step it with that version, not ${workflow.version}`);
  }
  switch (input.kind) {
    case 'event':
      return applyEvent(workflow, state, input.event, now, context);
    case 'wake':
      return applyWake(workflow, state, now, context);
    case 'suppressed': {
      if (!state) return { outcome: 'ignored', state, effects: [] };
      const run = new Run(workflow, copyState(state), context);
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
  const eventTime = Math.min(Date.parse(event.time), now);
  const eventFingerprint = fingerprint(event.id);
  if (state && state.applied.includes(eventFingerprint)) return { outcome: 'duplicate', state, effects: [] };
  const scopedTo = engagementWorkflowId(event);
  if (scopedTo !== undefined && scopedTo !== workflow.id) return { outcome: 'ignored', state, effects: [] };

  let run: Run | undefined;
  if (state) {
    // Decide first, copy only if something changes: most events a journey sees change nothing.
    const engagement = scopedTo === workflow.id && engagementChanges(state, event);
    let action: 'exit' | 'convert' | 'resume' | 'enter' | undefined;
    let resting: CompiledStep | undefined;
    if (state.status === 'active') {
      resting = workflow.steps.get(state.stepId ?? '');
      if (workflow.exits.some((match) => match(event))) action = 'exit';
      else if (workflow.goal && state.convertedAt === null && workflow.goal.match(event)) action = 'convert';
      else if (resting?.type === 'wait-event' && eventTime >= (state.waitingSince ?? Infinity) && resting.match(event)) action = 'resume';
    } else if (mayReenter(workflow, state, eventTime) && workflow.entry(event)) {
      action = 'enter';
    }
    if (!engagement && action === undefined) return { outcome: 'ignored', state, effects: [] };
    run = new Run(workflow, copyState(state), context);
    const at = Math.max(eventTime, state.clock);
    if (engagement) run.recordEngagement(event, at);
    if (action === 'exit') run.finish('exited', at);
    else if (action === 'convert') run.convert(at, event);
    else if (action === 'resume' && resting?.type === 'wait-event') {
      run.leaveRestingStep();
      run.runFrom(resting.step.next, at, event);
    } else if (action === 'enter') run.enter(at, event);
  } else if (workflow.entry(event)) {
    run = new Run(workflow, newState(workflow, context.customerId, eventTime), context);
    run.enter(eventTime, event);
  }

  if (!run || !run.changed) return { outcome: 'ignored', state, effects: [] };
  const next = run.state;
  next.applied.push(eventFingerprint);
  if (next.applied.length > APPLIED_MEMORY) next.applied.splice(0, next.applied.length - APPLIED_MEMORY);
  next.clock = Math.max(next.clock, eventTime);
  return run.result(state);
}

function applyWake(workflow: CompiledWorkflow, state: JourneyState | null, now: number, context: StepContext): StepResult {
  if (!state || state.status !== 'active' || state.dueAt === null || state.dueAt > now) return { outcome: 'ignored', state, effects: [] };
  const run = new Run(workflow, copyState(state), context);
  // A late wake-up catches up on every timer that fell due meanwhile, each at its own due time.
  for (let fired = 0; fired < MAX_TIMERS_PER_WAKE; fired++) {
    const draft = run.state;
    if (draft.status !== 'active' || draft.dueAt === null || draft.dueAt > now) break;
    run.fireTimer(draft.dueAt);
  }
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

function newState(workflow: CompiledWorkflow, customerId: string, at: number): JourneyState {
  return { ...emptyJourney(customerId, workflow.id), version: workflow.version, enteredAt: at, clock: at };
}

function copyState(state: JourneyState): JourneyState {
  return {
    ...state,
    stages: state.stages.slice(),
    sent: state.sent.slice(),
    sendTimes: state.sendTimes.slice(),
    applied: state.applied.slice(),
    engaged: state.engaged.slice(),
  };
}

/** One input's worth of changes to a draft state, and the effects they produce. */
class Run {
  changed = false;
  readonly effects: Effect[] = [];
  private readonly restingBefore: string | null;

  constructor(
    private readonly workflow: CompiledWorkflow,
    readonly state: JourneyState,
    private readonly context: StepContext,
  ) {
    this.restingBefore = state.status === 'active' ? state.stepId : null;
  }

  result(before: JourneyState | null = null): StepResult {
    if (!this.changed) return { outcome: 'ignored', state: before, effects: [] };
    const restingAfter = this.state.status === 'active' ? this.state.stepId : null;
    if (restingAfter !== this.restingBefore) {
      const at = this.state.clock;
      if (this.restingBefore !== null) this.metric('waiting', at, { stepId: this.restingBefore, value: -1 });
      if (restingAfter !== null) this.metric('waiting', at, { stepId: restingAfter, value: 1 });
    }
    return { outcome: 'applied', state: this.state, effects: this.effects };
  }

  private metric(metric: MetricName, at: number, extra?: { stepId?: string; stage?: string; label?: string; value?: number }): void {
    // Built field by field: this runs several times per input, and spreads allocate.
    const effect: Extract<Effect, { type: 'metric' }> = { type: 'metric', metric, at, value: extra?.value ?? 1 };
    if (extra?.stepId !== undefined) effect.stepId = extra.stepId;
    if (extra?.stage !== undefined) effect.stage = extra.stage;
    if (extra?.label !== undefined) effect.label = extra.label;
    this.effects.push(effect);
  }

  private emit(detailType: Extract<Effect, { type: 'emit' }>['detailType'], at: number, entries?: number): void {
    const s = this.state;
    const detail: Record<string, unknown> = { customerId: s.customerId, workflowId: s.workflowId, version: s.version, stage: s.stage, status: s.status };
    if (entries !== undefined) detail.entries = entries;
    this.effects.push({ type: 'emit', detailType, at, detail });
  }

  private advanceClock(at: number): void {
    this.changed = true;
    if (at > this.state.clock) this.state.clock = at;
  }

  enter(at: number, event: CustomerEvent): void {
    const s = this.state;
    this.advanceClock(at);
    Object.assign(s, {
      version: this.workflow.version,
      status: 'active',
      stepId: null,
      stage: null,
      stages: [],
      entries: s.entries + 1,
      enteredAt: at,
      finishedAt: null,
      convertedAt: null,
      waitingSince: null,
      dueAt: null,
      emailsSent: 0,
      opens: 0,
      clicks: 0,
    } satisfies Partial<JourneyState>);
    const channel = event.detail.channel;
    this.metric('entered', at, { label: typeof channel === 'string' && channel.length > 0 ? channel.slice(0, 64) : event.source });
    this.emit('Journey Entered', at, s.entries);
    this.runFrom(this.workflow.start, at, event);
  }

  finish(status: Exclude<CustomerStatus, 'active'>, at: number): void {
    const s = this.state;
    this.advanceClock(at);
    this.closeStage(at);
    const stepId = s.stepId ?? undefined;
    Object.assign(s, { status, stepId: null, dueAt: null, waitingSince: null, finishedAt: at } satisfies Partial<JourneyState>);
    // A conversion is counted when it happens (convert), not again as the way out.
    if (status !== 'converted') this.metric(status, at, stepId === undefined ? {} : { stepId });
    this.emit('Journey Finished', at);
  }

  /** Changes how a finished run is counted (completed → suppressed), without counting its stage time twice. */
  relabelFinished(status: Exclude<CustomerStatus, 'active'>, at: number): void {
    const s = this.state;
    this.advanceClock(at);
    this.metric(s.status as MetricName, at, { value: -1 });
    s.status = status;
    this.metric(status, at);
    this.emit('Journey Finished', at);
  }

  convert(at: number, event: CustomerEvent): void {
    const goal = this.workflow.goal;
    if (!goal) return;
    const s = this.state;
    this.advanceClock(at);
    s.convertedAt = at;
    this.metric('converted', at, s.stepId === null ? {} : { stepId: s.stepId });
    this.metric('converted.time', at, { value: Math.max(0, at - s.enteredAt) });
    if (goal.stage !== undefined) this.setStage(goal.stage, at);
    this.emit('Journey Converted', at);
    if (goal.then === 'exit') {
      this.finish('converted', at);
    } else {
      this.leaveRestingStep();
      this.runFrom(goal.then, at, event);
    }
  }

  leaveRestingStep(): void {
    this.state.dueAt = null;
    this.state.waitingSince = null;
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
    const where = stepId === undefined ? {} : { stepId };
    if (!(before & 1)) {
      s.opens += 1;
      this.metric('email.opened', at, where);
    }
    if (wanted === 3 && !(before & 2)) {
      s.clicks += 1;
      this.metric('email.clicked', at, where);
    }
    if (seq !== undefined) {
      if (index >= 0) s.engaged[index] = [seq, before | wanted];
      else s.engaged.push([seq, wanted]);
      if (s.engaged.length > ENGAGED_MEMORY) s.engaged.splice(0, s.engaged.length - ENGAGED_MEMORY);
    }
  }

  fireTimer(at: number): void {
    const s = this.state;
    this.advanceClock(at);
    const resting = this.workflow.steps.get(s.stepId ?? '');
    this.leaveRestingStep();
    if (!resting) throw new Error(`${this.workflow.id}: customer ${s.customerId} rests at unknown step "${s.stepId}"`);
    switch (resting.type) {
      case 'wait-duration':
        this.runFrom(resting.step.next, at, undefined);
        return;
      case 'wait-event':
        this.runFrom(resting.step.timeoutNext ?? resting.step.next, at, undefined);
        return;
      case 'email':
        if (this.sendEmail(resting, at, true) === 'next') this.continueAfter(resting, at, undefined);
        return;
      default:
        throw new Error(`${this.workflow.id}: a timer fired at step "${resting.id}" of type ${resting.type}, which never waits`);
    }
  }

  private continueAfter(step: CompiledStep, at: number, event: CustomerEvent | undefined): void {
    const next = 'next' in step.step ? step.step.next : undefined;
    if (next === undefined) this.finish('completed', at);
    else this.runFrom(next, at, event);
  }

  runFrom(stepId: string, at: number, event: CustomerEvent | undefined): void {
    const s = this.state;
    this.advanceClock(at);
    let id: string | undefined = stepId;
    for (let passed = 0; id !== undefined; passed++) {
      if (passed >= MAX_STEPS_PER_INPUT) throw new Error(`${this.workflow.id}: more than ${MAX_STEPS_PER_INPUT} steps without a wait (a loop)`);
      const current = this.workflow.steps.get(id);
      if (!current) throw new Error(`${this.workflow.id}: no step "${id}"`);
      s.stepId = id;
      this.metric('step.entered', at, { stepId: id });
      if (current.step.stage !== undefined) this.setStage(current.step.stage, at);

      let next: string | undefined;
      switch (current.type) {
        case 'email':
          if (this.sendEmail(current, at, false) !== 'next') return;
          next = current.step.next;
          break;
        case 'wait-duration':
          this.rest(addDuration(at, current.duration), null);
          return;
        case 'wait-event':
          this.rest(addDuration(at, current.timeout), at);
          return;
        case 'branch': {
          const document = branchContext(s, this.context.profile, event);
          next = current.cases.find((c) => c.match(document))?.next ?? current.step.else;
          break;
        }
        case 'split':
          next = this.choosePath(current);
          break;
        case 'holdout':
          if (unitInterval(`${this.workflow.id}:${id}:${s.customerId}`) * 100 < current.step.percent) {
            this.finish('holdout', at);
            return;
          }
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

  private rest(dueAt: number, waitingSince: number | null): void {
    this.state.dueAt = dueAt;
    this.state.waitingSince = waitingSince;
    this.effects.push({ type: 'schedule', at: dueAt });
  }

  private choosePath(split: Extract<CompiledStep, { type: 'split' }>): string {
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
   * Decides the email of an email step at `at`: 'next' once it is sent (or skipped),
   * 'rest' when the send window or cap defers it, 'stop' when the customer finished.
   */
  private sendEmail(current: Extract<CompiledStep, { type: 'email' }>, at: number, resumed: boolean): 'next' | 'rest' | 'stop' {
    const s = this.state;
    const workflow = this.workflow;
    const { profile } = this.context;
    if (this.context.suppressed) {
      this.finish('suppressed', at);
      return 'stop';
    }
    const to = recipientOf(profile);
    if (to === undefined) {
      this.metric('email.skipped', at, { stepId: current.id, label: 'no-address' });
      return 'next';
    }
    const { template, content: selector } = current.step;
    const item = template !== undefined ? workflow.content.byId.get(template) : selectContent(workflow.content, selector!, s.sent);
    if (!item) {
      this.metric('email.skipped', at, { stepId: current.id, label: 'no-content' });
      return 'next';
    }

    const cap = workflow.frequencyCap;
    const underCap = cap ? earliestUnderCap(at, s.sendTimes, cap.max, cap.perMs) : at;
    const sendAt = workflow.sendWindow ? nextWindowOpening(underCap, workflow.sendWindow, timeZoneOf(workflow, profile)) : underCap;
    if (sendAt > at) {
      if (!resumed) this.metric('email.deferred', at, { stepId: current.id, label: underCap > at ? 'cap' : 'window' });
      this.rest(sendAt, null);
      return 'rest';
    }

    s.emailSeq += 1;
    s.emailsSent += 1;
    if (!s.sent.includes(item.id)) s.sent.push(item.id);
    if (cap) {
      s.sendTimes.push(at);
      const horizon = at - cap.perMs;
      s.sendTimes = s.sendTimes.filter((sentAt) => sentAt > horizon);
    }
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
    this.metric('email.sent', at, { stepId: current.id, ...(s.stage === null ? {} : { stage: s.stage }) });
    return 'next';
  }

  private setStage(stage: string, at: number): void {
    const s = this.state;
    if (s.stage === stage) return;
    this.closeStage(at);
    s.stage = stage;
    s.stages.push([stage, at]);
    if (s.stages.length > STAGE_MEMORY) s.stages.splice(0, s.stages.length - STAGE_MEMORY);
    this.metric('stage.entered', at, { stage });
    this.emit('Journey Stage Changed', at);
  }

  /** Counts the time spent in the current stage, when leaving it or the journey. */
  private closeStage(at: number): void {
    const s = this.state;
    const current = s.stages[s.stages.length - 1];
    if (s.stage !== null && current && current[0] === s.stage) {
      this.metric('stage.time', at, { stage: s.stage, value: Math.max(0, at - current[1]) });
      this.metric('stage.left', at, { stage: s.stage });
    }
  }
}
