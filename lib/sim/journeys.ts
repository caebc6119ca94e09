/**
 * A batch's journeys: where the clock loop applies each input. Two ways, one result.
 *
 * - `InterpreterJourneys` (what `simulate` uses) steps the pure interpreter (`step()`) directly,
 *   as the journey service does for one workflow that has no budget, no live control, no
 *   suppression list and no other workflow beside it (a simulation's situation), and keeps
 *   states, timers and counters in arrays instead of a store: no event validation (the simulator
 *   makes its events), no store writes, no counter row per input, no promise per input.
 * - `ServiceJourneys` runs every input through the real journey service and delivery on a memory
 *   store (`MemoryEngine`, as `waymark run` does): the reference. A test checks that both give
 *   the same counters, row for row, and the same forecast.
 */
import type { CompiledWorkflow } from '../engine/compile';
import { mergeProfile } from '../engine/events';
import { type StepContext, step } from '../engine/interpreter';
import type { CustomerEvent, Effect, JourneyState, Profile } from '../engine/model';
import type { AppliedStep } from '../runtime/journey-service';
import { MemoryEngine } from '../runtime/local-runner';
import type { UnsubscribeLinks } from '../runtime/mailer';
import type { WorkflowRegistry } from '../runtime/registry';
import { type CounterTotals, MetricTable } from './counters';

/**
 * Told of every input that changed a journey: the customer (their number in the batch), the
 * state before and after, the effects in the order the interpreter produced them, and the event
 * (undefined for a timer).
 */
export type StepObserver = (local: number, before: JourneyState | null, after: JourneyState, effects: readonly Effect[], event: CustomerEvent | undefined) => void;

export interface BatchJourneys {
  /** Applies a customer event at `at`; a promise only when the work is asynchronous. */
  event(local: number, event: CustomerEvent, at: number): void | Promise<void>;
  /** The instant of the earliest timer (Infinity: none). */
  nextWakeAt(): number;
  /** Fires the earliest timer, due at `at`. */
  wake(at: number): void | Promise<void>;
  /** Each customer's journey (null: never entered). */
  state(local: number): JourneyState | null;
  /** Each customer's stored profile. */
  profile(local: number): Profile;
  /** Once the batch is done: its counter rows, into `totals`. */
  addCountersTo(totals: CounterTotals): void;
}

export interface BatchJourneysOptions {
  workflow: CompiledWorkflow;
  registry: WorkflowRegistry;
  /** Customer ids, by their number in the batch. */
  ids: readonly string[];
  localIndex: (customerId: string) => number;
  observer: StepObserver;
  firstDay: number;
  days: number;
}

/** Timers as a binary min-heap of (instant, customer) in two typed arrays: no object per timer. */
class TimerHeap {
  private at = new Float64Array(1024);
  private who = new Int32Array(1024);
  size = 0;

  push(at: number, who: number): void {
    if (this.size === this.at.length) {
      const at2 = new Float64Array(this.size * 2);
      at2.set(this.at);
      this.at = at2;
      const who2 = new Int32Array(this.size * 2);
      who2.set(this.who);
      this.who = who2;
    }
    const ats = this.at;
    const whos = this.who;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      // Equal instants: the lower customer number first, so replays are identical.
      if (ats[parent]! < at || (ats[parent] === at && whos[parent]! <= who)) break;
      ats[i] = ats[parent]!;
      whos[i] = whos[parent]!;
      i = parent;
    }
    ats[i] = at;
    whos[i] = who;
  }

  peekAt(): number {
    return this.size > 0 ? this.at[0]! : Number.POSITIVE_INFINITY;
  }

  peekWho(): number {
    return this.who[0]!;
  }

  pop(): void {
    const ats = this.at;
    const whos = this.who;
    const n = --this.size;
    if (n === 0) return;
    const at = ats[n]!;
    const who = whos[n]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (ats[r]! < ats[l]! || (ats[r] === ats[l] && whos[r]! < whos[l]!))) c = r;
      if (at < ats[c]! || (at === ats[c] && who <= whos[c]!)) break;
      ats[i] = ats[c]!;
      whos[i] = whos[c]!;
      i = c;
    }
    ats[i] = at;
    whos[i] = who;
  }
}

const NO_PROFILE: Profile = Object.freeze({}) as Profile;
const NO_TIMES: Record<string, number> = Object.freeze({}) as Record<string, number>;

/** The interpreter, stepped directly: see the top of this file for what it leaves out, and why that is the same. */
export class InterpreterJourneys implements BatchJourneys {
  private readonly states: Array<JourneyState | null>;
  private readonly profiles: Profile[];
  private readonly profileTimes: Array<Record<string, number>>;
  private readonly timers = new TimerHeap();
  private readonly metrics: MetricTable;
  /** Under a send budget (workflows/settings.json): each customer's counted sends, as the service's ledger keeps them. */
  private readonly budget: { max: number; perMs: number } | undefined;
  private readonly ledgers: number[][] | undefined;

  constructor(private readonly options: BatchJourneysOptions) {
    const size = options.ids.length;
    this.states = new Array<JourneyState | null>(size).fill(null);
    this.profiles = new Array<Profile>(size).fill(NO_PROFILE);
    this.profileTimes = new Array<Record<string, number>>(size).fill(NO_TIMES);
    this.metrics = new MetricTable(options.workflow.id, options.firstDay, options.days);
    this.budget = options.registry.budget && options.workflow.budgeted ? options.registry.budget : undefined;
    if (this.budget) this.ledgers = Array.from({ length: size }, () => []);
  }

  event(local: number, event: CustomerEvent, at: number): void {
    const update = event.detail.profile;
    if (update) {
      // As the service merges `detail.profile` before stepping (the simulator's events are valid by construction).
      const merged = mergeProfile(this.profiles[local]!, this.profileTimes[local]!, update, Math.min(Date.parse(event.time), at));
      this.profiles[local] = merged.profile;
      this.profileTimes[local] = merged.times;
    }
    if (!this.options.workflow.concerns(event)) return;
    this.step(local, { kind: 'event', event }, at, event);
  }

  nextWakeAt(): number {
    // Timers of journeys that moved on since are skipped here (lazily, as the store's due index does).
    const timers = this.timers;
    for (;;) {
      const at = timers.peekAt();
      if (at === Number.POSITIVE_INFINITY) return at;
      const state = this.states[timers.peekWho()];
      if (state && state.status === 'active' && state.dueAt === at) return at;
      timers.pop();
    }
  }

  wake(at: number): void {
    const local = this.timers.peekWho();
    this.timers.pop();
    this.step(local, { kind: 'wake' }, at, undefined);
  }

  state(local: number): JourneyState | null {
    return this.states[local]!;
  }

  profile(local: number): Profile {
    return this.profiles[local]!;
  }

  addCountersTo(totals: CounterTotals): void {
    totals.add(this.metrics.rows());
  }

  private step(local: number, input: { kind: 'event'; event: CustomerEvent } | { kind: 'wake' }, at: number, event: CustomerEvent | undefined): void {
    const before = this.states[local]!;
    const context: StepContext = { customerId: this.options.ids[local]!, profile: this.profiles[local]!, suppressed: false };
    let ledger: number[] | undefined;
    if (this.budget) {
      // As stepUnderBudget does: the sends within the period before now, and this journey's new ones reserved after.
      ledger = this.ledgers![local]!.filter((sentAt) => sentAt > at - this.budget!.perMs);
      this.ledgers![local] = ledger;
      context.budget = { max: this.budget.max, perMs: this.budget.perMs, sends: ledger };
    }
    const result = step(this.options.workflow, before, input, at, context);
    const effects = result.effects;
    if (ledger) for (const effect of effects) if (effect.type === 'send-email') ledger.push(effect.email.at);
    // The service counts every metric, whether or not the state changed (refusals, warnings).
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === 'metric') this.metrics.add(effect);
    }
    if (result.outcome !== 'applied' || !result.state) return;
    const after = result.state;
    this.states[local] = after;
    // A new timer (a wake consumed the old one): indexed, as the store indexes a saved journey's due time.
    if (after.status === 'active' && after.dueAt !== null && (input.kind === 'wake' || before === null || before.status !== 'active' || before.dueAt !== after.dueAt)) this.timers.push(after.dueAt, local);
    this.options.observer(local, before, after, effects, event);
  }
}

/** Emails need no unsubscribe links in a simulation (nothing is rendered): a constant, not an HMAC per email. */
const NO_LINKS: UnsubscribeLinks = { forEmail: () => ({ url: 'https://unsubscribe.invalid/simulated' }) };

/** Every input through the journey service and delivery on a memory store: the reference the interpreter path is checked against. */
export class ServiceJourneys implements BatchJourneys {
  private readonly engine: MemoryEngine;
  private readonly states: Array<JourneyState | null>;
  private pendingEvent: CustomerEvent | undefined;
  /** The profiles the store holds, merged the same way (the store's own copy is read asynchronously). */
  private readonly profiles: Profile[];
  private readonly profileTimes: Array<Record<string, number>>;

  /** `counters`: where the service adds its counter rows as it goes. */
  constructor(options: BatchJourneysOptions, counters: CounterTotals) {
    this.states = new Array<JourneyState | null>(options.ids.length).fill(null);
    this.profiles = new Array<Profile>(options.ids.length).fill(NO_PROFILE);
    this.profileTimes = new Array<Record<string, number>>(options.ids.length).fill(NO_TIMES);
    const observer = (applied: AppliedStep) => {
      const local = options.localIndex(applied.customerId);
      const before = this.states[local]!;
      this.states[local] = applied.state;
      options.observer(local, before, applied.state, applied.effects, this.pendingEvent);
    };
    // Deciding and delivering as `waymark run` does, without rendering: the simulation only counts.
    this.engine = new MemoryEngine(options.registry, { render: false, links: NO_LINKS, counters, observer });
  }

  async event(local: number, event: CustomerEvent, at: number): Promise<void> {
    if (event.detail.profile) {
      const merged = mergeProfile(this.profiles[local]!, this.profileTimes[local]!, event.detail.profile, Math.min(Date.parse(event.time), at));
      this.profiles[local] = merged.profile;
      this.profileTimes[local] = merged.times;
    }
    this.pendingEvent = event;
    await this.engine.apply({ kind: 'event', event }, at);
    this.pendingEvent = undefined;
    this.engine.mailer.sent.length = 0;
  }

  nextWakeAt(): number {
    return this.engine.store.nextWake()?.at ?? Number.POSITIVE_INFINITY;
  }

  async wake(at: number): Promise<void> {
    const wake = this.engine.store.nextWake()!;
    await this.engine.apply({ kind: 'wake', customerId: wake.customerId }, at);
    this.engine.mailer.sent.length = 0;
  }

  state(local: number): JourneyState | null {
    return this.states[local]!;
  }

  profile(local: number): Profile {
    return this.profiles[local]!;
  }

  addCountersTo(): void {
    // The service adds its rows as it goes (the counters were given to the memory store).
  }
}
