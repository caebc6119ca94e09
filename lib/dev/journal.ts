/**
 * What `waymark dev` remembers for the journey map beyond the table: the
 * latest activity, each customer's path through the steps, and the emails
 * they were sent (with the local SES server's message id). In memory and
 * bounded: it is a window on a local run, not a record.
 */
import type { Activity } from './api-types';
import type { ApplyReport, AppliedStep } from '../runtime/journey-service';
import type { OutgoingEmail, SendOutcome } from '../runtime/mailer';

const MAX_ACTIVITY = 50;
const MAX_CUSTOMERS = 5000;
const MAX_PATH = 200;

export interface JournalEmail {
  at: number;
  workflowId: string;
  stepId: string;
  contentId: string;
  subject: string;
  to: string;
  messageId: string | null;
}

interface CustomerJournal {
  lastSeen: number;
  paths: Map<string, Array<{ stepId: string; at: number }>>;
  emails: JournalEmail[];
}

export class DevJournal {
  readonly activity: Activity[] = [];
  private readonly customers = new Map<string, CustomerJournal>();
  counts = { eventsApplied: 0, emailsSent: 0, rejected: 0 };

  private customer(customerId: string, now: number): CustomerJournal {
    let journal = this.customers.get(customerId);
    if (journal) {
      this.customers.delete(customerId); // re-insert: the map's order is recency
    } else {
      journal = { lastSeen: now, paths: new Map(), emails: [] };
    }
    journal.lastSeen = now;
    this.customers.set(customerId, journal);
    if (this.customers.size > MAX_CUSTOMERS) this.customers.delete(this.customers.keys().next().value!);
    return journal;
  }

  record(kind: Activity['kind'], at: number, customerId: string | null, workflowId: string | null, text: string): void {
    this.activity.unshift({ at: new Date(at).toISOString(), kind, customerId, workflowId, text });
    if (this.activity.length > MAX_ACTIVITY) this.activity.length = MAX_ACTIVITY;
  }

  /** The journey service's observer. */
  onApplied = (applied: AppliedStep): void => {
    const { customerId, workflowId, effects, state } = applied;
    const journal = this.customer(customerId, applied.now);
    let path = journal.paths.get(workflowId);
    if (!path) journal.paths.set(workflowId, (path = []));
    for (const effect of effects) {
      if (effect.type === 'metric') {
        if (effect.metric === 'step.entered' && effect.stepId) {
          path.push({ stepId: effect.stepId, at: effect.at });
          if (path.length > MAX_PATH) path.shift();
        } else if (effect.metric === 'entered') {
          this.record('entered', effect.at, customerId, workflowId, `${customerId} entered ${workflowId}${effect.label ? ` (from ${effect.label})` : ''}`);
        } else if (effect.metric === 'email.opened' || effect.metric === 'email.clicked') {
          const kind = effect.metric === 'email.opened' ? 'opened' : 'clicked';
          this.record(kind, effect.at, customerId, workflowId, `${customerId} ${kind} the ${effect.stepId ?? ''} email`.replace(/\s+/g, ' '));
        }
      } else if (effect.type === 'emit') {
        if (effect.detailType === 'Journey Stage Changed') this.record('stage', effect.at, customerId, workflowId, `${customerId} moved to ${String(effect.detail.stage)} in ${workflowId}`);
        if (effect.detailType === 'Journey Converted') this.record('converted', effect.at, customerId, workflowId, `${customerId} converted in ${workflowId}`);
        if (effect.detailType === 'Journey Finished' && state.status !== 'converted') {
          this.record(state.status === 'suppressed' ? 'suppressed' : 'finished', effect.at, customerId, workflowId, `${customerId} ${state.status} ${workflowId}`);
        }
      }
    }
  };

  /**
   * The advance handler's report of each input. Warnings come from here, not from `onApplied`:
   * an input can warn without changing a journey (an entry older than entry.maxAge starts nothing).
   */
  onReport = (report: ApplyReport): void => {
    if (report.status !== 'applied') return;
    for (const warning of report.warnings) {
      this.record('warning', warning.at, warning.customerId, warning.workflowId, `${warning.customerId} in ${warning.workflowId}: ${warning.message}`);
    }
  };

  /** Called by the dev mailer after each send. */
  onSent(email: OutgoingEmail, outcome: SendOutcome, now: number): void {
    const { entry } = email;
    const journal = this.customer(entry.customerId, now);
    journal.emails.push({
      at: entry.at,
      workflowId: entry.workflowId,
      stepId: entry.stepId,
      contentId: entry.contentId,
      subject: email.rendered.subject,
      to: entry.to,
      messageId: outcome.status === 'sent' ? outcome.messageId : null,
    });
    if (outcome.status === 'sent') {
      this.counts.emailsSent += 1;
      this.record('email', entry.at, entry.customerId, entry.workflowId, `${entry.customerId} was sent “${email.rendered.subject}” (${entry.workflowId}/${entry.stepId})`);
    }
  }

  /** A page of the customers seen, most recent first (those whose id or an address they were sent to contains the query), and how many match. */
  recentCustomers(query: string, offset = 0, limit = 20): { customers: Array<{ customerId: string; lastSeen: number }>; total: number } {
    const q = query.trim().toLowerCase();
    const customers: Array<{ customerId: string; lastSeen: number }> = [];
    let total = 0;
    for (const [customerId, journal] of [...this.customers].reverse()) {
      if (q !== '' && !customerId.toLowerCase().includes(q) && !journal.emails.some((e) => e.to.toLowerCase().includes(q))) continue;
      if (total >= offset && customers.length < limit) customers.push({ customerId, lastSeen: journal.lastSeen });
      total += 1;
    }
    return { customers, total };
  }

  pathOf(customerId: string, workflowId: string): Array<{ stepId: string; at: number }> {
    return this.customers.get(customerId)?.paths.get(workflowId) ?? [];
  }

  emailsOf(customerId: string): JournalEmail[] {
    return this.customers.get(customerId)?.emails ?? [];
  }

  get customerCount(): number {
    return this.customers.size;
  }
}
