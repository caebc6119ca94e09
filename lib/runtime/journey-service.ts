/**
 * Applies one input to a customer: load → step (pure engine) → one conditional
 * write per changed journey → send the decided emails → confirm them.
 *
 * The same service runs in the `advance` Lambda (DynamoDB, SES), in
 * `waymark dev` (DynamoDB Local, local SES) and in `waymark run`/`simulate`
 * (memory), so what a marketer tests is what production does.
 *
 * Delivery guarantee: emails are written to the item's outbox in the same
 * write as the state that decided them, sent, then confirmed. A crash between
 * the write and the confirmation leaves them in the outbox, and the sweep
 * resends them after OUTBOX_GRACE_MS. The one window for a duplicate is a
 * crash after SES accepted a message and before its confirmation was written.
 */
import { mergeProfile, parseCustomerEvent } from '../engine/events';
import { branchContext, step } from '../engine/interpreter';
import type { CustomerEvent, Effect, Input, JourneyState, Metric, Profile, StepOutcome } from '../engine/model';
import type { ContentItem } from '../engine/schema';
import type { Mailer, UnsubscribeLinks } from './mailer';
import type { WorkflowRegistry } from './registry';
import { type EmailRenderer, RenderError } from './render';
import { type CounterRow, countersFrom, type CustomerRecord, type JourneyStore, nextWakeAt, OUTBOX_GRACE_MS, type OutboxEntry, type StoredJourney, VersionConflictError } from './store';

export type ServiceInput =
  | { kind: 'event'; event: unknown }
  | { kind: 'wake'; customerId: string; workflowId: string };

export interface JourneyOutcome {
  workflowId: string;
  outcome: StepOutcome | 'failed';
  reason?: string;
}

export type ApplyReport =
  | { status: 'rejected'; reason: string }
  | { status: 'ignored' }
  | { status: 'applied'; customerId: string; journeys: JourneyOutcome[]; sent: number; suppressed: number; failed: number };

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
  mailer: Mailer;
  links: UnsubscribeLinks;
  /** null: do not render (simulations that only count emails). */
  renderer: EmailRenderer | null;
  counters?: CounterSink;
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
}

export interface AppliedStep {
  customerId: string;
  workflowId: string;
  /** Processing time. */
  now: number;
  state: JourneyState;
  effects: readonly Effect[];
}

export type FaultPoint = 'after-state-write' | 'after-send' | 'after-confirm';

/** Suppression outcomes are data: the journey records them, nothing throws. */
interface Delivery {
  sent: number;
  suppressed: number;
  failed: number;
}

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

  /** Applies one input at processing time `now`. Throws only transient errors (the queue retries them). */
  async apply(input: ServiceInput, now: number): Promise<ApplyReport> {
    return input.kind === 'event' ? this.applyEvent(input.event, now) : this.applyWake(input.customerId, input.workflowId, now);
  }

  private async applyEvent(raw: unknown, now: number): Promise<ApplyReport> {
    const parsed = parseCustomerEvent(raw);
    if (!parsed.ok) return { status: 'rejected', reason: parsed.reason };
    const event = parsed.event;
    const workflowIds = this.options.registry.concernedBy(event);
    // An event no workflow wants, carrying no profile, costs nothing: not even a read.
    if (workflowIds.length === 0 && !event.detail.profile) return { status: 'ignored' };

    const { store } = this.options;
    const customerId = event.detail.customerId;
    const customer = await store.loadCustomer(customerId);
    const profile = mergeProfile(customer.profile, event.detail.profile);
    if (profile !== customer.profile) {
      await store.saveProfile(customerId, profile, changedAttributes(customer.profile, event.detail.profile ?? {}), now);
      customer.profile = profile;
    }

    const journeys: JourneyOutcome[] = [];
    const delivery: Delivery = { sent: 0, suppressed: 0, failed: 0 };
    for (const workflowId of workflowIds) {
      const applied = await this.applyToJourney(customer, workflowId, { kind: 'event', event }, now, event);
      journeys.push({ workflowId, outcome: applied.outcome, ...(applied.reason ? { reason: applied.reason } : {}) });
      // Entries left by an earlier attempt (a redelivered event is a duplicate) go out with this one.
      const stale = staleEntries(customer.journeys.get(workflowId), applied.newEntries, now);
      if (applied.stored) customer.journeys.set(workflowId, applied.stored);
      await this.deliver(customer, workflowId, { fresh: applied.newEntries, stale }, now, event, delivery);
    }
    return { status: 'applied', customerId, journeys, ...delivery };
  }

  private async applyWake(customerId: string, workflowId: string, now: number): Promise<ApplyReport> {
    const { store } = this.options;
    const customer = await store.loadCustomer(customerId);
    const before = customer.journeys.get(workflowId);
    if (!before) return { status: 'ignored' };
    const applied = await this.applyToJourney(customer, workflowId, { kind: 'wake' }, now, undefined);
    const delivery: Delivery = { sent: 0, suppressed: 0, failed: 0 };
    const current = applied.stored ?? before;
    const stale = staleEntries(current, applied.newEntries, now);
    customer.journeys.set(workflowId, current);
    await this.deliver(customer, workflowId, { fresh: applied.newEntries, stale }, now, undefined, delivery);
    if (applied.outcome !== 'applied' && stale.length === 0) {
      // Woken for nothing (the index pointed at a resend that was confirmed meanwhile): fix the index.
      await store.reindexDue(customerId, workflowId);
    }
    return { status: 'applied', customerId, journeys: [{ workflowId, outcome: applied.outcome, ...(applied.reason ? { reason: applied.reason } : {}) }], ...delivery };
  }

  /** Steps one journey and writes it, retrying on version conflicts. */
  private async applyToJourney(
    customer: CustomerRecord,
    workflowId: string,
    input: Input,
    now: number,
    event: CustomerEvent | undefined,
  ): Promise<{ outcome: StepOutcome | 'failed'; reason?: string; stored: StoredJourney | undefined; newEntries: OutboxEntry[] }> {
    const { store, registry } = this.options;
    const customerId = customer.customerId;
    let stored = customer.journeys.get(workflowId);
    for (let attempt = 1; ; attempt++) {
      const state = stored?.state ?? null;
      let result;
      try {
        const workflow = registry.forState(workflowId, state);
        result = step(workflow, state, input, now, { customerId, profile: customer.profile, suppressed: customer.suppressed });
        // About to decide an email: check the address against the suppression list first, so the
        // decision itself (and its one write) is right, not corrected after the fact.
        if (!customer.suppressed && (await this.decidesSuppressedEmail(result.effects))) {
          customer.suppressed = true;
          result = step(workflow, state, input, now, { customerId, profile: customer.profile, suppressed: true });
        }
      } catch (error) {
        // A journey that cannot be stepped (its version is gone) must not block the customer's other journeys.
        this.log.error('journey could not be stepped', { customerId, workflowId, error: (error as Error).message });
        return { outcome: 'failed', reason: (error as Error).message, stored: undefined, newEntries: [] };
      }
      if (result.outcome !== 'applied' || !result.state) return { outcome: result.outcome, stored: undefined, newEntries: [] };

      const newEntries = result.effects.flatMap((effect) =>
        effect.type === 'send-email' ? [{ ...effect.email, decidedAt: now, ...this.eventSnapshot(workflowId, effect.email.version, effect.email.contentId, event) }] : [],
      );
      try {
        const version = await store.saveJourney({
          customerId,
          workflowId,
          state: result.state,
          expectedVersion: stored?.version ?? null,
          addOutbox: newEntries,
          removeOutbox: [],
          existingOutbox: stored?.outbox ?? [],
          now,
        });
        this.options.faults?.('after-state-write');
        const next: StoredJourney = { state: result.state, version, outbox: [...(stored?.outbox ?? []), ...newEntries] };
        await this.recordEffects(workflowId, result.effects);
        this.options.observer?.({ customerId, workflowId, now, state: result.state, effects: result.effects });
        return { outcome: 'applied', stored: next, newEntries };
      } catch (error) {
        if (!(error instanceof VersionConflictError) || attempt >= this.maxAttempts) throw error;
        await this.sleep(Math.random() * 25 * 2 ** attempt);
        stored = await store.loadJourney(customerId, workflowId);
      }
    }
  }

  private async decidesSuppressedEmail(effects: readonly Effect[]): Promise<boolean> {
    for (const effect of effects) {
      if (effect.type === 'send-email' && (await this.options.store.isSuppressed(effect.email.to))) return true;
    }
    return false;
  }

  private async recordEffects(workflowId: string, effects: readonly Effect[]): Promise<void> {
    const metrics: Metric[] = [];
    const emits: Array<Extract<Effect, { type: 'emit' }>> = [];
    for (const effect of effects) {
      switch (effect.type) {
        case 'metric':
          metrics.push(effect);
          break;
        case 'emit':
          emits.push(effect);
          break;
        case 'send-email': // in the outbox with the state; delivered after the write
        case 'schedule': // the due-time index is derived from the state by the store
          break;
        default:
          effect satisfies never;
      }
    }
    if (metrics.length > 0) await this.addCounters(countersFrom(workflowId, metrics));
    if (emits.length > 0 && this.options.events) {
      try {
        await this.options.events.publish(emits);
      } catch (error) {
        this.log.warn('journey events could not be published', { workflowId, error: (error as Error).message });
      }
    }
  }

  private async addCounters(rows: CounterRow[]): Promise<void> {
    if (this.options.counters) await this.options.counters.add(rows);
    else await this.options.store.addCounters(rows);
  }

  /** Keeps the triggering event's detail with an outbox entry whose template uses `event`, so a resend renders the same. */
  private eventSnapshot(workflowId: string, version: number, contentId: string, event: CustomerEvent | undefined): { event?: Record<string, unknown> } {
    if (!event) return {};
    const item = this.options.registry.get(workflowId, version)?.content.byId.get(contentId);
    if (!item || !this.templateUsesEvent(item)) return {};
    const { profile: _profile, ...detail } = event.detail;
    const snapshot = { source: event.source, 'detail-type': event['detail-type'], time: event.time, detail };
    return JSON.stringify(snapshot).length <= EVENT_SNAPSHOT_MAX_BYTES ? { event: snapshot } : {};
  }

  private templateUsesEvent(item: ContentItem): boolean {
    let uses = this.usesEvent.get(item.id);
    if (uses === undefined) {
      uses = /\bevent\b/.test(`${item.subject}${item.html}${item.text ?? ''}`);
      this.usesEvent.set(item.id, uses);
    }
    return uses;
  }

  /**
   * Sends outbox entries and confirms each; suppression and permanent rejections are recorded, not thrown.
   * `fresh` entries were decided by this invocation, after a suppression check a moment ago; `stale`
   * ones (resends of an earlier attempt) are checked against the suppression list again.
   */
  private async deliver(
    customer: CustomerRecord,
    workflowId: string,
    entries: { fresh: OutboxEntry[]; stale: OutboxEntry[] },
    now: number,
    event: CustomerEvent | undefined,
    delivery: Delivery,
  ): Promise<void> {
    const { store, mailer, registry, renderer, links } = this.options;
    const resends = new Set(entries.stale);
    for (const entry of [...entries.fresh, ...entries.stale]) {
      const customerId = customer.customerId;
      if (customer.suppressed || (resends.has(entry) && (await store.isSuppressed(entry.to)))) {
        await this.confirm(customer, workflowId, entry.seq);
        await this.addCounters([{ workflowId, day: dayOf(now), stepId: entry.stepId, name: 'email.suppressed', value: 1 }]);
        delivery.suppressed += 1;
        const applied = await this.applyToJourney({ ...customer, suppressed: true }, workflowId, { kind: 'suppressed' }, now, undefined);
        if (applied.stored) customer.journeys.set(workflowId, applied.stored);
        continue;
      }
      const workflow = registry.get(workflowId, entry.version) ?? registry.latestOf(workflowId);
      const item = workflow?.content.byId.get(entry.contentId);
      const state = customer.journeys.get(workflowId)?.state;
      if (!workflow || !item || !state) {
        await this.fail(customer, workflowId, entry, `content "${entry.contentId}" of ${workflowId} v${entry.version} is not deployed`, now, delivery);
        continue;
      }
      const unsubscribe = links.forEmail(entry);
      let rendered = { subject: '', html: '', text: '' };
      if (renderer) {
        try {
          rendered = renderer.render(item, {
            profile: { customerId, ...customer.profile },
            event: entry.event ?? (event ? { source: event.source, 'detail-type': event['detail-type'], time: event.time, detail: event.detail } : {}),
            journey: { ...(branchContext(state, customer.profile, undefined).journey as Record<string, unknown>), workflowId, stepId: entry.stepId, stage: entry.stage },
            unsubscribeUrl: unsubscribe.url,
          });
        } catch (error) {
          if (!(error instanceof RenderError)) throw error;
          await this.fail(customer, workflowId, entry, error.message, now, delivery);
          continue;
        }
      }
      const settings = workflow.definition.settings;
      const outcome = await mailer.send({ entry, from: settings.from, replyTo: settings.replyTo, rendered, unsubscribe, item });
      this.options.faults?.('after-send');
      if (outcome.status === 'rejected') {
        await this.fail(customer, workflowId, entry, outcome.reason, now, delivery);
        continue;
      }
      await this.confirm(customer, workflowId, entry.seq);
      this.options.faults?.('after-confirm');
      delivery.sent += 1;
    }
  }

  /** Takes an entry out of the outbox, and out of this invocation's view of the journey. */
  private async confirm(customer: CustomerRecord, workflowId: string, seq: number): Promise<void> {
    const stored = customer.journeys.get(workflowId);
    if (!stored) {
      await this.options.store.confirmOutbox(customer.customerId, workflowId, seq);
      return;
    }
    const outbox = stored.outbox.filter((e) => e.seq !== seq);
    await this.options.store.confirmOutbox(customer.customerId, workflowId, seq, { version: stored.version, wakeAt: nextWakeAt(stored.state, outbox) });
    customer.journeys.set(workflowId, { ...stored, outbox });
  }

  private async fail(customer: CustomerRecord, workflowId: string, entry: OutboxEntry, reason: string, now: number, delivery: Delivery): Promise<void> {
    const customerId = customer.customerId;
    this.log.error('email failed permanently', { customerId, workflowId, stepId: entry.stepId, contentId: entry.contentId, reason });
    await this.confirm(customer, workflowId, entry.seq);
    await this.addCounters([{ workflowId, day: dayOf(now), stepId: entry.stepId, name: 'email.failed', value: 1 }]);
    delivery.failed += 1;
  }
}

/** Outbox entries older than the grace period: their first delivery attempt must have failed. */
function staleEntries(stored: StoredJourney | undefined, fresh: readonly OutboxEntry[], now: number): OutboxEntry[] {
  if (!stored) return [];
  return stored.outbox.filter((entry) => entry.decidedAt + OUTBOX_GRACE_MS <= now && !fresh.some((f) => f.seq === entry.seq));
}

function changedAttributes(before: Profile, update: Record<string, unknown>): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(update)) {
    if (value !== undefined && JSON.stringify(before[key]) !== JSON.stringify(value)) changed[key] = value;
  }
  return changed;
}

export function dayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

export type { JourneyState };
