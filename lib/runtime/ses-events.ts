/**
 * SES ↔ Waymark. Outgoing emails carry message tags naming the customer,
 * workflow, step and email; SES's events (through the configuration set's
 * EventBridge destination) come back with those tags, and are mapped here to
 * suppressions (permanent bounces, every complaint), per-step counters, and
 * customer events (`Email Opened`, `Email Clicked`) that journeys can wait on.
 */
import type { CustomerEvent } from '../engine/model';
import type { CounterRow, OutboxEntry, SuppressionEntry } from './store';

/** SES tag values allow only [A-Za-z0-9_-]: free text travels base64url-encoded. */
export const TAG = {
  customer: 'waymark-customer',
  workflow: 'waymark-workflow',
  version: 'waymark-version',
  step: 'waymark-step',
  seq: 'waymark-seq',
  content: 'waymark-content',
} as const;

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const decode = (text: string) => Buffer.from(text, 'base64url').toString('utf8');

export function emailTags(entry: OutboxEntry): Array<{ Name: string; Value: string }> {
  return [
    { Name: TAG.customer, Value: encode(entry.customerId) },
    { Name: TAG.workflow, Value: entry.workflowId },
    { Name: TAG.version, Value: String(entry.version) },
    { Name: TAG.step, Value: encode(entry.stepId) },
    { Name: TAG.seq, Value: String(entry.seq) },
    { Name: TAG.content, Value: entry.contentId },
  ];
}

export interface EmailIdentity {
  customerId: string;
  workflowId: string;
  version: number;
  stepId: string;
  seq: number;
  contentId: string;
}

/** The Waymark email an SES event is about, from its tags (undefined for mail Waymark did not send). */
export function identityFromTags(tags: unknown): EmailIdentity | undefined {
  if (typeof tags !== 'object' || tags === null) return undefined;
  const first = (name: string): string | undefined => {
    const value = (tags as Record<string, unknown>)[name];
    const text = Array.isArray(value) ? value[0] : value;
    return typeof text === 'string' && text.length > 0 ? text : undefined;
  };
  const customer = first(TAG.customer);
  const workflowId = first(TAG.workflow);
  const step = first(TAG.step);
  if (!customer || !workflowId || !step) return undefined;
  return {
    customerId: decode(customer),
    workflowId,
    version: Number(first(TAG.version) ?? 0),
    stepId: decode(step),
    seq: Number(first(TAG.seq) ?? 0),
    contentId: first(TAG.content) ?? '',
  };
}

export interface SesEventOutcome {
  /** A customer event for the journeys (opens and clicks). */
  engagement?: CustomerEvent;
  suppressions: SuppressionEntry[];
  counters: CounterRow[];
  /** Why nothing was done, for the log. */
  ignored?: string;
}

const ENGAGEMENT: Record<string, 'Email Opened' | 'Email Clicked'> = { Open: 'Email Opened', Click: 'Email Clicked' };
const EVENT_TYPE_BY_DETAIL_TYPE: Record<string, string> = {
  'Email Sent': 'Send',
  'Email Delivered': 'Delivery',
  'Email Opened': 'Open',
  'Email Clicked': 'Click',
  'Email Bounced': 'Bounce',
  'Email Complaint Received': 'Complaint',
  'Email Rejected': 'Reject',
  'Email Rendering Failed': 'RenderingFailure',
  'Email Delivery Delayed': 'DeliveryDelay',
  'Email Subscribed': 'Subscription',
};

export function isSesEvent(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { source?: unknown }).source === 'aws.ses';
}

/**
 * Maps an SES event (as EventBridge delivers it from a configuration set) to
 * what Waymark does about it. An SES event already in customer form (with
 * `detail.customerId`, as in example files) passes through as engagement.
 */
export function classifySesEvent(raw: unknown): SesEventOutcome {
  const outcome: SesEventOutcome = { suppressions: [], counters: [] };
  if (!isSesEvent(raw)) return { ...outcome, ignored: 'not an SES event' };
  const event = raw as { id?: unknown; time?: unknown; 'detail-type'?: unknown; detail?: Record<string, unknown> };
  const detail = event.detail ?? {};
  const detailType = typeof event['detail-type'] === 'string' ? event['detail-type'] : '';
  if (typeof detail.customerId === 'string') {
    return detailType in ENGAGEMENT_BY_DETAIL_TYPE ? { ...outcome, engagement: raw as CustomerEvent } : { ...outcome, ignored: `${detailType} in customer form is not an engagement event` };
  }

  const eventType = typeof detail.eventType === 'string' ? detail.eventType : EVENT_TYPE_BY_DETAIL_TYPE[detailType];
  const mail = (detail.mail ?? {}) as { tags?: unknown; timestamp?: unknown; destination?: unknown };
  const time = typeof event.time === 'string' && !Number.isNaN(Date.parse(event.time)) ? event.time : typeof mail.timestamp === 'string' ? mail.timestamp : undefined;
  if (!time) return { ...outcome, ignored: 'SES event without a time' };
  const at = Date.parse(time);
  const identity = identityFromTags(mail.tags);
  const count = (name: string) => {
    if (identity) outcome.counters.push({ workflowId: identity.workflowId, day: time.slice(0, 10), stepId: identity.stepId, name, value: 1 });
  };

  switch (eventType) {
    case 'Open':
    case 'Click': {
      if (!identity) return { ...outcome, ignored: 'engagement with an email Waymark did not send' };
      const click = (detail.click ?? {}) as { link?: unknown };
      outcome.engagement = {
        id: typeof event.id === 'string' ? event.id : `ses-${eventType}-${identity.customerId}-${identity.workflowId}-${identity.seq}-${at}`,
        source: 'aws.ses',
        'detail-type': ENGAGEMENT[eventType]!,
        time,
        detail: {
          customerId: identity.customerId,
          workflowId: identity.workflowId,
          version: identity.version,
          stepId: identity.stepId,
          emailSeq: identity.seq,
          contentId: identity.contentId,
          ...(typeof click.link === 'string' ? { link: click.link } : {}),
        },
      };
      return outcome;
    }
    case 'Bounce': {
      const bounce = (detail.bounce ?? {}) as { bounceType?: unknown; bounceSubType?: unknown; bouncedRecipients?: unknown };
      const permanent = bounce.bounceType === 'Permanent';
      count(permanent ? 'email.bounced' : 'email.bounced.transient');
      if (!permanent) return { ...outcome, ignored: `${String(bounce.bounceType)} bounce: the address is kept` };
      for (const address of recipients(bounce.bouncedRecipients)) {
        outcome.suppressions.push({ address, reason: 'bounce', at, ...(identity ? { customerId: identity.customerId } : {}), detail: String(bounce.bounceSubType ?? 'Permanent') });
      }
      return outcome;
    }
    case 'Complaint': {
      count('email.complained');
      const complaint = (detail.complaint ?? {}) as { complainedRecipients?: unknown; complaintFeedbackType?: unknown };
      const addresses = recipients(complaint.complainedRecipients);
      // A complaint without recipients still names the message's destination.
      const fallback = addresses.length > 0 ? addresses : (Array.isArray(mail.destination) ? mail.destination.filter((a): a is string => typeof a === 'string') : []);
      for (const address of fallback) {
        outcome.suppressions.push({ address, reason: 'complaint', at, ...(identity ? { customerId: identity.customerId } : {}), detail: String(complaint.complaintFeedbackType ?? 'complaint') });
      }
      return outcome;
    }
    case 'Delivery':
      count('email.delivered');
      return outcome;
    case 'Reject':
    case 'RenderingFailure':
      count('email.rejected');
      return outcome;
    default:
      return { ...outcome, ignored: `SES ${eventType ?? detailType} events are not used` };
  }
}

const ENGAGEMENT_BY_DETAIL_TYPE: Record<string, true> = { 'Email Opened': true, 'Email Clicked': true };

function recipients(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((r) => (typeof r === 'object' && r !== null && typeof (r as { emailAddress?: unknown }).emailAddress === 'string' ? [(r as { emailAddress: string }).emailAddress] : []));
}
