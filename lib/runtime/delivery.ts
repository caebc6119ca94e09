/**
 * Delivers: one decided email (an outbox entry the table's stream carried)
 * → check the address against the suppression list → render → hand it to
 * the mailer (SES v2). Deciding happened before, in the journey service;
 * nothing here changes a journey, except telling it, through the work queue,
 * that its address turned out to be suppressed.
 *
 * Outcomes are data (sent, suppressed, failed for good, outcome unknown);
 * only transient failures (SES throttling beyond the mailer's retries, SES or
 * the network unavailable before the request was accepted) are thrown, so the
 * stream retries the record.
 */
import { branchContext } from '../engine/interpreter';
import { emptyJourney } from '../engine/model';
import type { Logger } from './journey-service';
import type { Mailer, UnsubscribeLinks } from './mailer';
import type { WorkflowRegistry } from './registry';
import { type EmailRenderer, RenderError } from './render';
import { type ControlSource, engineControl } from './controls';
import { type CounterRow, counterRow, type JourneyStore, type OutboxEntry } from './store';

export type DeliveryOutcome =
  | { status: 'sent'; messageId: string; subject: string }
  /** Already sent by this process (a stream record delivered again): nothing was done. */
  | { status: 'duplicate' }
  | { status: 'suppressed' }
  /**
   * The workflow is paused: kept until it is resumed, then handed back to its journey, which decides
   * it again (window, cap, budget, --drop-held) rather than this path sending it as first decided.
   */
  | { status: 'held' }
  /** The workflow is stopped: not sent. */
  | { status: 'dropped' }
  | { status: 'failed'; reason: string }
  /** SES may or may not have accepted it (the connection broke after the request went): not retried, recorded. */
  | { status: 'unknown'; reason: string };

/** Where the send path tells a journey its address is suppressed (the work queue). */
export interface SuppressedNotices {
  suppressed(customerId: string, workflowId: string): Promise<void>;
}

/** Where emails whose outcome is unknown are recorded for an operator's decision (never resent blindly). */
export interface UnknownOutcomes {
  record(entry: OutboxEntry, reason: string): Promise<void>;
}

export interface DeliveryOptions {
  registry: WorkflowRegistry;
  store: Pick<JourneyStore, 'isSuppressed' | 'loadCustomer' | 'holdEmail'>;
  /** Workflows' live controls: a paused workflow's emails are held here too, not only where they are decided. */
  controls?: ControlSource;
  mailer: Mailer;
  links: UnsubscribeLinks;
  /** null: do not render (simulations that only count emails). */
  renderer: EmailRenderer | null;
  notices: SuppressedNotices;
  unknown: UnknownOutcomes;
  log: Logger;
  /** Told of each email handed to the mailer (the dev journal, the demo audience). */
  onSent?: (entry: OutboxEntry, outcome: DeliveryOutcome) => void;
}

/** How many recently sent emails a process remembers, so a stream batch retried on the same process sends nothing twice. */
const RECENTLY_SENT = 5000;

export class DeliveryService {
  private readonly recentlySent = new Set<string>();

  constructor(private readonly options: DeliveryOptions) {}

  /** Delivers one entry at `now`; the counters it produced (suppressed, failed, unknown) are added to `counters`. */
  async deliver(entry: OutboxEntry, now: number, counters: CounterRow[]): Promise<DeliveryOutcome> {
    const key = `${entry.customerId}\u0000${entry.workflowId}\u0000${entry.seq}`;
    if (this.recentlySent.has(key)) return { status: 'duplicate' };
    const outcome = await this.attempt(entry, now);
    switch (outcome.status) {
      case 'sent':
        this.remember(key);
        break;
      case 'suppressed':
        counters.push(counterRow(entry.workflowId, now, entry.stepId, 'email.suppressed'));
        await this.options.notices.suppressed(entry.customerId, entry.workflowId);
        break;
      case 'failed':
        counters.push(counterRow(entry.workflowId, now, entry.stepId, 'email.failed'));
        this.options.log.error('email failed permanently', { customerId: entry.customerId, workflowId: entry.workflowId, stepId: entry.stepId, contentId: entry.contentId, reason: outcome.reason });
        break;
      case 'unknown':
        // Remembered like a sent email: a retry of this record must not send it again.
        this.remember(key);
        counters.push(counterRow(entry.workflowId, now, entry.stepId, 'email.unknown'));
        await this.options.unknown.record(entry, outcome.reason);
        this.options.log.error('email outcome unknown: recorded, not resent', { customerId: entry.customerId, workflowId: entry.workflowId, seq: entry.seq, reason: outcome.reason });
        break;
      case 'held':
        counters.push(counterRow(entry.workflowId, now, entry.stepId, 'email.held:in-flight'));
        break;
      case 'dropped':
        counters.push(counterRow(entry.workflowId, now, entry.stepId, 'email.dropped:stopped'));
        break;
      case 'duplicate':
        break;
    }
    this.options.onSent?.(entry, outcome);
    return outcome;
  }

  private remember(key: string): void {
    this.recentlySent.add(key);
    if (this.recentlySent.size > RECENTLY_SENT) this.recentlySent.delete(this.recentlySent.values().next().value!);
  }

  private async attempt(entry: OutboxEntry, now: number): Promise<DeliveryOutcome> {
    const { store, registry, renderer, links, mailer } = this.options;
    // A workflow paused after this email was decided: it waits for the resume, here too (within the control cache's life).
    if (this.options.controls) {
      const control = engineControl(await this.options.controls.get(entry.workflowId), registry.latestOf(entry.workflowId)?.version ?? 0);
      if (control?.stopped) return { status: 'dropped' };
      if (control?.paused) {
        await store.holdEmail(entry);
        return { status: 'held' };
      }
    }
    // Checked again at send time: an address suppressed after the decision never gets the email.
    if (await store.isSuppressed(entry.to)) return { status: 'suppressed' };
    const workflow = registry.get(entry.workflowId, entry.version) ?? registry.latestOf(entry.workflowId);
    const item = workflow?.content.byId.get(entry.contentId);
    if (!workflow || !item) return { status: 'failed', reason: `content "${entry.contentId}" of ${entry.workflowId} v${entry.version} is not deployed` };
    const unsubscribe = links.forEmail(entry);
    let rendered = { subject: '', html: '', text: '' };
    if (renderer) {
      // The profile as it is now (an address or name fixed since the decision is used), one read.
      const customer = await store.loadCustomer(entry.customerId);
      const state = customer.journeys.get(entry.workflowId)?.state ?? emptyJourney(entry.customerId, entry.workflowId);
      try {
        rendered = await renderer.render(item, {
          profile: { customerId: entry.customerId, ...customer.profile },
          event: entry.event ?? {},
          journey: { ...(branchContext(state, customer.profile, undefined).journey as Record<string, unknown>), workflowId: entry.workflowId, stepId: entry.stepId, stage: entry.stage },
          unsubscribeUrl: unsubscribe.url,
        });
      } catch (error) {
        if (error instanceof RenderError) return { status: 'failed', reason: error.message };
        throw error;
      }
    }
    const settings = workflow.definition.settings;
    const sent = await mailer.send({ entry, from: settings.from, replyTo: settings.replyTo, rendered, unsubscribe, item });
    if (sent.status === 'rejected') return { status: 'failed', reason: sent.reason };
    if (sent.status === 'unknown') return { status: 'unknown', reason: sent.reason };
    return { status: 'sent', messageId: sent.messageId, subject: rendered.subject };
  }
}
