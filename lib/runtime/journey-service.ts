/**
 * Decides: applies one input to a customer. Load (one read) → merge the
 * profile → step each concerned journey with the pure engine → one
 * conditional write per changed journey, holding its state, the fingerprints
 * of applied events, its counters and the emails it decided (the outbox).
 *
 * It sends nothing. The table's stream carries each new outbox entry to the
 * send path (delivery.ts), which checks suppression, renders and hands it to
 * SES. The same service runs in the `advance` Lambda (DynamoDB), in
 * `waymark dev` (DynamoDB Local) and in `waymark run`/`test`/`simulate`
 * (memory), so what a marketer tests is what production decides.
 */
import { MAX_STORED_PROFILE_BYTES, mergeProfile, parseCustomerEvent, unstorableValue } from '../engine/events';
import { type BudgetContext, type JourneyControl, migrateJourney, type Pins, step } from '../engine/interpreter';
import { type ControlSource, engineControl } from './controls';
import { type CustomerEvent, type Effect, type HeldEmail, type Input, journeyDueAt, type JourneyState, type Metric, type StepOutcome, type StepResult, type Warning } from '../engine/model';
import type { ContentItem } from '../engine/schema';
import { type WorkflowRegistry, UnknownWorkflowVersionError } from './registry';
import {
  type BudgetSend,
  type CounterRow,
  counterRow,
  countersFrom,
  type CustomerRecord,
  type JourneyStore,
  type OutboxEntry,
  type StoredJourney,
  UnstorableInputError,
  VersionConflictError,
} from './store';

export type ServiceInput =
  | { kind: 'event'; event: unknown }
  /** The customer's timers may be due: every due journey (or only `workflowId`) is stepped, highest priority first. */
  | { kind: 'wake'; customerId: string; workflowId?: string }
  /** The send path found the address of an email of this journey suppressed. */
  | { kind: 'suppressed'; customerId: string; workflowId: string }
  /** An email of this journey held by a pause on its way to SES, handed back on resume: decided again now. */
  | { kind: 'held-email'; customerId: string; workflowId: string; email: HeldEmail };

export interface JourneyOutcome {
  workflowId: string;
  outcome: StepOutcome | 'failed' | 'parked';
  reason?: string;
}

/** A warning about one customer in one journey (a bad time zone, an unusable address…). */
export interface CustomerWarning extends Warning {
  customerId: string;
  workflowId: string;
}

export type ApplyReport =
  | { status: 'rejected'; reason: string }
  | { status: 'ignored' }
  | { status: 'applied'; customerId: string; journeys: JourneyOutcome[]; decided: number; warnings: CustomerWarning[] };

export interface CounterSink {
  add(rows: CounterRow[]): void | Promise<void>;
}

export interface JourneyEventSink {
  publish(effects: Array<Extract<Effect, { type: 'emit' }>>): Promise<void>;
}

export interface Logger {
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export interface JourneyServiceOptions {
  registry: WorkflowRegistry;
  store: JourneyStore;
  /** Counters that do not travel with a journey write (refused entries, warnings, parked journeys). */
  counters: CounterSink;
  events?: JourneyEventSink;
  log?: Logger;
  /** Conditional-write attempts before a conflict is handed back to the queue as a retry. */
  maxAttempts?: number;
  /** Back-off between attempts (injectable for tests). */
  sleep?: (ms: number) => Promise<void>;
  /** Test hook: called at named points, may throw to simulate a crash there. */
  faults?: (point: FaultPoint) => void;
  /** Told of every applied (written) step, with its effects: activity feeds, journey maps. */
  observer?: (applied: AppliedStep) => void;
  /** Split paths or holdout fixed for a customer (`waymark test` scenarios that pin a variant); never in production. */
  pins?: (customerId: string, workflowId: string) => Pins | undefined;
  /** Workflows' live controls (pause, resume, stop); absent: every workflow is active. */
  controls?: ControlSource;
}

export interface AppliedStep {
  customerId: string;
  workflowId: string;
  /** Processing time. */
  now: number;
  state: JourneyState;
  effects: readonly Effect[];
}

export type FaultPoint = 'after-profile-write' | 'after-state-write';

/** The event detail kept with an email whose template reads `event`, at most this big. */
const EVENT_SNAPSHOT_MAX_BYTES = 1024;

export class JourneyService {
  private readonly log: Logger;
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly usesEvent = new Map<string, boolean>();

  constructor(private readonly options: JourneyServiceOptions) {
    this.log = options.log ?? silentLogger;
    this.maxAttempts = options.maxAttempts ?? 6;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get registry(): WorkflowRegistry {
    return this.options.registry;
  }

  /**
   * Applies one input at processing time `now`. Returns a rejection (with its reason) for input
   * that can never apply; throws only transient errors (the queue retries them).
   */
  async apply(input: ServiceInput, now: number): Promise<ApplyReport> {
    try {
      switch (input.kind) {
        case 'event':
          return await this.applyEvent(input.event, now);
        case 'wake':
          return await this.applyToDue(input.customerId, input.workflowId, now);
        case 'suppressed':
          return await this.applyToCustomer(input.customerId, [input.workflowId], { kind: 'suppressed' }, now, undefined);
        case 'held-email':
          return await this.applyToCustomer(input.customerId, [input.workflowId], { kind: 'held-email', email: input.email }, now, undefined);
      }
    } catch (error) {
      if (error instanceof UnstorableInputError) return { status: 'rejected', reason: error.message };
      throw error;
    }
  }

  private async applyEvent(raw: unknown, now: number): Promise<ApplyReport> {
    const parsed = parseCustomerEvent(raw);
    if (!parsed.ok) return { status: 'rejected', reason: parsed.reason };
    const event = parsed.event;
    const workflowIds = this.options.registry.concernedBy(event);
    // An event no workflow wants, carrying no profile, costs nothing: not even a read.
    if (workflowIds.length === 0 && !event.detail.profile) return { status: 'ignored' };
    return this.applyToCustomer(event.detail.customerId, workflowIds, { kind: 'event', event }, now, event);
  }

  /** A wake-up: the customer's journeys whose timer is due, highest priority first, then the earliest due. */
  private async applyToDue(customerId: string, only: string | undefined, now: number): Promise<ApplyReport> {
    const customer = await this.options.store.loadCustomer(customerId);
    const candidates: Array<[string, StoredJourney]> = [];
    for (const [workflowId, j] of customer.journeys) {
      if (only !== undefined && workflowId !== only) continue;
      // Due by its timer (its resting step's, or a held email's that was handed back on resume, which may outlive the run),
      const dueAt = journeyDueAt(j.state);
      if (j.state.status !== 'active') {
        if (dueAt !== null && dueAt <= now) candidates.push([workflowId, j]);
        continue;
      }
      // held by a pause (released once resumed), or in a stopped workflow (to exit).
      const control = j.state.held || dueAt === null || dueAt > now ? await this.controlOf(workflowId) : undefined;
      if ((dueAt !== null && dueAt <= now) || (j.state.held && !control?.paused) || control?.stopped) candidates.push([workflowId, j]);
    }
    const due = candidates
      // Same-instant emails under the budget: higher priority first, then the one due first, then by id.
      .sort(([a, ja], [b, jb]) => this.priorityOf(b) - this.priorityOf(a) || (ja.state.pendingSince ?? ja.state.dueAt ?? now) - (jb.state.pendingSince ?? jb.state.dueAt ?? now) || compare(a, b))
      .map(([workflowId]) => workflowId);
    if (due.length === 0) return { status: 'ignored' };
    return this.stepJourneys(customer, due, { kind: 'wake' }, now, undefined);
  }

  private async applyToCustomer(customerId: string, workflowIds: string[], input: Input, now: number, event: CustomerEvent | undefined): Promise<ApplyReport> {
    const { store } = this.options;
    let customer = await store.loadCustomer(customerId);
    if (event?.detail.profile) {
      for (let attempt = 1; ; attempt++) {
        const merged = mergeProfile(customer.profile, customer.profileTimes, event.detail.profile, Math.min(Date.parse(event.time), now));
        if (!merged.changed) break;
        const bytes = JSON.stringify(merged.profile).length;
        if (bytes > MAX_STORED_PROFILE_BYTES) {
          return { status: 'rejected', reason: `detail.profile: the customer's stored profile would be ${bytes} bytes with this event, more than ${MAX_STORED_PROFILE_BYTES}: send only the attributes journeys use` };
        }
        try {
          const version = await store.saveProfile({ customerId, profile: merged.profile, times: merged.times, expectedVersion: customer.profileVersion, now });
          Object.assign(customer, { profile: merged.profile, profileTimes: merged.times, profileVersion: version });
          this.options.faults?.('after-profile-write');
          break;
        } catch (error) {
          if (!(error instanceof VersionConflictError) || attempt >= this.maxAttempts) throw error;
          await this.backOff(attempt);
          customer = await store.loadCustomer(customerId);
        }
      }
    }
    const ordered = [...workflowIds].sort((a, b) => this.priorityOf(b) - this.priorityOf(a) || compare(a, b));
    return this.stepJourneys(customer, ordered, input, now, event);
  }

  private async stepJourneys(customer: CustomerRecord, workflowIds: string[], input: Input, now: number, event: CustomerEvent | undefined): Promise<ApplyReport> {
    if (this.options.registry.budget) return this.stepUnderBudget(customer, workflowIds, input, now, event);
    const report = newReport(customer.customerId);
    for (const workflowId of workflowIds) {
      const applied = await this.applyToJourney(customer, workflowId, input, now, event);
      addOutcome(report, customer.customerId, workflowId, applied);
      if (applied.stored) customer.journeys.set(workflowId, applied.stored);
    }
    return report;
  }

  /**
   * Under a send budget across workflows (WORKFLOWS.md, "Send budget across journeys, and
   * priority"): every concerned journey is decided first, in priority order, each against the budget
   * after the ones before it; the counted emails they decide are reserved on the customer's ledger
   * with one conditional write (another input reserving meanwhile makes it fail: everything is
   * decided again on fresh data), and only then are the journeys written. The budget is never
   * exceeded, whatever runs concurrently; a crash between the two writes leaves a reservation that
   * only makes the budget stricter until it ages out.
   */
  private async stepUnderBudget(customer: CustomerRecord, workflowIds: string[], input: Input, now: number, event: CustomerEvent | undefined): Promise<ApplyReport> {
    const budget = this.options.registry.budget!;
    const { store } = this.options;
    for (let attempt = 1; ; attempt++) {
      const report = newReport(customer.customerId);
      const ledger = customer.budget.sends.filter(([at]) => at > now - budget.perMs);
      const sends = [...ledger];
      const decisions: Array<{ workflowId: string; decided: Decided }> = [];
      for (const workflowId of workflowIds) {
        const stored = customer.journeys.get(workflowId);
        // A held email handed back on resume is decided again as if for the first time: its reservation,
        // made when it was first decided, is taken out (it is reserved anew, at the moment it goes).
        // (Only when the input applies: a hand-back delivered twice must not take out the new reservation.)
        const held = heldSeqs(stored?.state, input);
        const isHeld = ([, w, seq]: BudgetSend) => w === workflowId && held.has(seq);
        const decided = await this.decide(customer, workflowId, stored, input, now, event, { ...budget, sends: (held.size > 0 ? sends.filter((send) => !isHeld(send)) : sends).map(([at]) => at) });
        if (held.size > 0 && decided.kind === 'step' && decided.result.outcome === 'applied') {
          for (let i = sends.length - 1; i >= 0; i--) if (isHeld(sends[i]!)) sends.splice(i, 1);
        }
        if (decided.kind === 'step' && decided.counted) {
          for (const effect of decided.result.effects) {
            if (effect.type !== 'send-email') continue;
            // A reservation is its workflow and email: deciding the same email again (a retry) reserves nothing more.
            const existing = sends.findIndex(([, w, seq]) => w === workflowId && seq === effect.email.seq);
            if (existing >= 0) sends[existing] = [effect.email.at, workflowId, effect.email.seq];
            else sends.push([effect.email.at, workflowId, effect.email.seq]);
          }
        }
        decisions.push({ workflowId, decided });
      }
      try {
        if (sends.length !== ledger.length || sends.some((send, i) => send !== ledger[i])) {
          const version = await store.saveBudget(customer.customerId, sends, customer.budget.version);
          customer.budget = { version, sends };
        }
        for (const { workflowId, decided } of decisions) {
          const applied = await this.commit(customer, workflowId, decided, now, event);
          addOutcome(report, customer.customerId, workflowId, applied);
          if (applied.stored) customer.journeys.set(workflowId, applied.stored);
        }
        return report;
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= this.maxAttempts) throw error;
        await this.backOff(attempt);
        // Decide again on fresh data: journeys already written see this input as applied.
        const fresh = await store.loadCustomer(customer.customerId);
        Object.assign(customer, { journeys: fresh.journeys, budget: fresh.budget, suppressed: customer.suppressed || fresh.suppressed });
      }
    }
  }

  private async controlOf(workflowId: string): Promise<JourneyControl | undefined> {
    if (!this.options.controls) return undefined;
    return engineControl(await this.options.controls.get(workflowId), this.options.registry.latestOf(workflowId)?.version ?? 0);
  }

  private priorityOf(workflowId: string): number {
    return this.options.registry.latestOf(workflowId)?.priority ?? 0;
  }

  /** Steps one journey and writes it, retrying on version conflicts (no budget: journeys are independent). */
  private async applyToJourney(customer: CustomerRecord, workflowId: string, input: Input, now: number, event: CustomerEvent | undefined): Promise<Applied> {
    let stored = customer.journeys.get(workflowId);
    for (let attempt = 1; ; attempt++) {
      const decided = await this.decide(customer, workflowId, stored, input, now, event, undefined);
      try {
        return await this.commit(customer, workflowId, decided, now, event);
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= this.maxAttempts) throw error;
        await this.backOff(attempt);
        stored = await this.options.store.loadJourney(customer.customerId, workflowId);
      }
    }
  }

  /** Steps one journey with the pure engine; writes nothing. */
  private async decide(
    customer: CustomerRecord,
    workflowId: string,
    stored: StoredJourney | undefined,
    input: Input,
    now: number,
    event: CustomerEvent | undefined,
    budget: BudgetContext | undefined,
  ): Promise<Decided> {
    const customerId = customer.customerId;
    const { registry } = this.options;
    try {
      const pins = this.options.pins?.(customerId, workflowId);
      const control = await this.controlOf(workflowId);
      const context = { customerId, profile: customer.profile, suppressed: customer.suppressed, ...(pins ? { pins } : {}), ...(budget ? { budget } : {}), ...(control ? { control } : {}) };
      const decideWith = (suppressed: boolean): StepResult => {
        const withSuppression = suppressed ? { ...context, suppressed: true } : context;
        let state = stored?.state ?? null;
        // A customer on an older version at a step the latest maps moves onto it first (WORKFLOWS.md, "Moving customers").
        const latest = registry.latestOf(workflowId);
        const moved = state && latest ? migrateJourney(latest, registry.get(workflowId, state.version), state, now, withSuppression) : undefined;
        if (moved?.state) state = moved.state;
        const result = step(registry.forState(workflowId, state), state, input, now, withSuppression);
        if (!moved) return result;
        return { outcome: 'applied', state: result.state ?? state, effects: [...moved.effects, ...result.effects] };
      };
      let result = decideWith(false);
      // About to decide an email: check the address against the suppression list first, so the
      // decision itself (and its one write) is right, not corrected after the fact.
      if (!customer.suppressed && (await this.decidesSuppressedEmail(result.effects))) {
        customer.suppressed = true;
        result = decideWith(true);
      }
      const workflow = registry.forState(workflowId, result.state ?? stored?.state ?? null);
      return { kind: 'step', stored, result, counted: workflow.budgeted };
    } catch (error) {
      // A journey that cannot be stepped must not block the customer's other journeys.
      return { kind: 'cannot-step', stored, error: error as Error };
    }
  }

  /** Writes a decided journey (one conditional write); throws VersionConflictError when it changed since it was read. */
  private async commit(customer: CustomerRecord, workflowId: string, decided: Decided, now: number, event: CustomerEvent | undefined): Promise<Applied> {
    const customerId = customer.customerId;
    if (decided.kind === 'cannot-step') return this.cannotStep(customerId, workflowId, decided.stored, decided.error, now);
    const { result, stored } = decided;
    const warnings = result.effects.flatMap((effect) => (effect.type === 'warn' ? [effect] : []));
    if (result.outcome !== 'applied' || !result.state) {
      // Nothing to write, but refusals and warnings are still counted.
      if (result.effects.length > 0) await this.options.counters.add(countersFrom(workflowId, metricsOf(result.effects)));
      return { outcome: result.outcome, stored: undefined, decided: 0, warnings };
    }
    const outbox = result.effects.flatMap((effect) =>
      effect.type === 'send-email' ? [{ ...effect.email, decidedAt: now, ...this.eventSnapshot(workflowId, effect.email.version, effect.email.contentId, event) }] : [],
    );
    const version = await this.options.store.saveJourney({
      customerId,
      workflowId,
      state: result.state,
      expectedVersion: stored?.version ?? null,
      outbox,
      counters: countersFrom(workflowId, metricsOf(result.effects)),
      now,
    });
    this.options.faults?.('after-state-write');
    await this.publish(workflowId, result.effects);
    this.options.observer?.({ customerId, workflowId, now, state: result.state, effects: result.effects });
    return { outcome: 'applied', stored: { state: result.state, version, outbox }, decided: outbox.length, warnings };
  }

  /**
   * A journey whose workflow version is not deployed is parked: out of the due index (so the sweep
   * stops waking it), counted (the JourneysParked alarm), and put back by the sweep when the version
   * is deployed again. Anything else that keeps a journey from being stepped is logged and counted.
   */
  private async cannotStep(customerId: string, workflowId: string, stored: StoredJourney | undefined, error: Error, now: number): Promise<Applied> {
    const missingVersion = error instanceof UnknownWorkflowVersionError && stored !== undefined && stored.state.status === 'active';
    this.log.error(missingVersion ? 'journey parked: its workflow version is not deployed' : 'journey could not be stepped', { customerId, workflowId, error: error.message });
    if (missingVersion) {
      await this.options.store.parkJourney(customerId, workflowId, stored.state.version, stored.version);
      await this.options.counters.add([counterRow(workflowId, now, '_', `journey.parked:v${stored.state.version}`)]);
      return { outcome: 'parked' as const, reason: error.message, stored: undefined, decided: 0, warnings: [] };
    }
    await this.options.counters.add([counterRow(workflowId, now, '_', 'journey.failed')]);
    return { outcome: 'failed' as const, reason: error.message, stored: undefined, decided: 0, warnings: [] };
  }

  private async backOff(attempt: number): Promise<void> {
    await this.sleep(Math.random() * 25 * 2 ** attempt);
  }

  private async decidesSuppressedEmail(effects: readonly Effect[]): Promise<boolean> {
    for (const effect of effects) {
      if (effect.type === 'send-email' && (await this.options.store.isSuppressed(effect.email.to))) return true;
    }
    return false;
  }

  private async publish(workflowId: string, effects: readonly Effect[]): Promise<void> {
    if (!this.options.events) return;
    const emits = effects.flatMap((effect) => (effect.type === 'emit' ? [effect] : []));
    if (emits.length === 0) return;
    try {
      await this.options.events.publish(emits);
    } catch (error) {
      this.log.warn('journey events could not be published', { workflowId, error: (error as Error).message });
    }
  }

  /** Keeps the triggering event's detail with an outbox entry whose template uses `event`, so it renders as decided. */
  private eventSnapshot(workflowId: string, version: number, contentId: string, event: CustomerEvent | undefined): { event?: Record<string, unknown> } {
    if (!event) return {};
    const item = this.options.registry.get(workflowId, version)?.content.byId.get(contentId);
    if (!item || !this.templateUsesEvent(item)) return {};
    const { profile: _profile, ...detail } = event.detail;
    const snapshot = { source: event.source, 'detail-type': event['detail-type'], time: event.time, detail };
    // Kept only when small and storable: a template reading a missing field renders it empty, which beats a stuck journey.
    return JSON.stringify(snapshot).length <= EVENT_SNAPSHOT_MAX_BYTES && unstorableValue(detail) === undefined ? { event: snapshot } : {};
  }

  private templateUsesEvent(item: ContentItem): boolean {
    let uses = this.usesEvent.get(item.id);
    if (uses === undefined) {
      uses = /\bevent\b/.test(`${item.subject}${item.html}${item.text ?? ''}`);
      this.usesEvent.set(item.id, uses);
    }
    return uses;
  }
}

/** The emails a journey holds that were handed back on resume, and the one this input hands back. */
function heldSeqs(state: JourneyState | undefined, input: Input): Set<number> {
  const seqs = new Set<number>((state?.heldEmails ?? []).map((held) => held.seq));
  if (input.kind === 'held-email') seqs.add(input.email.seq);
  return seqs;
}

/** One journey stepped and not yet written. */
type Decided =
  | { kind: 'step'; stored: StoredJourney | undefined; result: StepResult; counted: boolean }
  | { kind: 'cannot-step'; stored: StoredJourney | undefined; error: Error };

interface Applied {
  outcome: JourneyOutcome['outcome'];
  reason?: string;
  stored: StoredJourney | undefined;
  decided: number;
  warnings: Warning[];
}

function newReport(customerId: string): Extract<ApplyReport, { status: 'applied' }> {
  return { status: 'applied', customerId, journeys: [], decided: 0, warnings: [] };
}

function addOutcome(report: Extract<ApplyReport, { status: 'applied' }>, customerId: string, workflowId: string, applied: Applied): void {
  report.journeys.push({ workflowId, outcome: applied.outcome, ...(applied.reason ? { reason: applied.reason } : {}) });
  report.decided += applied.decided;
  for (const warning of applied.warnings) report.warnings.push({ ...warning, customerId, workflowId });
}

/** The metric effects among an input's effects, in order. */
function metricsOf(effects: readonly Effect[]): Metric[] {
  const metrics: Metric[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'metric':
        metrics.push(effect);
        break;
      case 'send-email': // in the outbox with the state: the stream carries it to the send path
      case 'schedule': // the due index is derived from the state by the store
      case 'emit': // published after the write
      case 'warn': // reported to the caller; counted through its 'warning' metric
        break;
      default:
        effect satisfies never;
    }
  }
  return metrics;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export type { JourneyState, OutboxEntry };
