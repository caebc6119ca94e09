/**
 * The demo audience of `npm start`: cold-traffic leads and buyers arriving
 * over simulated time, who open and click some emails, sometimes buy, answer
 * the satisfaction survey, refer friends, and now and then bounce, complain
 * or unsubscribe. Everything goes in the way production's inputs do:
 * customer events through the EventBridge-compatible endpoint (with the real
 * EventBridge client), SES events through the ses-events handler, unsubscribes
 * through the one-click endpoint. Seeded, so two runs tell the same story.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ContentItem } from '../engine/schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime/local-servers';
import type { OutgoingEmail, SendOutcome } from '../runtime/mailer';
import { emailTags } from '../runtime/ses-events';
import type { OutboxEntry } from '../runtime/store';
import type { DevClock } from './clock';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

/** A small, fast, seedable generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Open and click rates by content kind (clicks are of all recipients). */
export const ENGAGEMENT_BY_KIND: Record<string, { open: number; click: number }> = {
  article: { open: 0.45, click: 0.12 },
  guide: { open: 0.42, click: 0.16 },
  testimonial: { open: 0.38, click: 0.11 },
  'case-study': { open: 0.36, click: 0.12 },
  demo: { open: 0.5, click: 0.24 },
  offer: { open: 0.47, click: 0.2 },
  onboarding: { open: 0.62, click: 0.3 },
  survey: { open: 0.55, click: 0.3 },
  support: { open: 0.7, click: 0.3 },
  loyalty: { open: 0.4, click: 0.12 },
  'review-request': { open: 0.45, click: 0.2 },
  referral: { open: 0.4, click: 0.14 },
  're-engagement': { open: 0.3, click: 0.1 },
};

const FIRST_NAMES = ['Ana', 'Ben', 'Cara', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Nils', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wen', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Silva', 'Okafor', 'Nguyen', 'Patel', 'Yilmaz', 'Haddad', 'Kim', 'Tanaka', 'Costa', 'Berg', 'Adeyemi', 'Romano', 'Cohen', 'Larsen', 'Petrova', 'Sharma', 'Walsh', 'Diaz', 'Haddad', 'Iyer'];
const COMPANIES = ['Studio North', 'Corner Café', 'Brightline Plumbing', 'Maple Bookkeeping', 'Fern & Co', 'Harbor Design', 'Quill Legal', 'Peak Fitness'];
const TIME_ZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Europe/Madrid', 'Australia/Sydney'];
const CHANNELS: Array<[string, number]> = [['search', 0.35], ['social', 0.25], ['webinar', 0.15], ['partner', 0.1], ['referral', 0.15]];

type Action =
  | { at: number; kind: 'event'; entry: PutEventsRequestEntry }
  | { at: number; kind: 'ses'; event: Record<string, unknown> }
  | { at: number; kind: 'unsubscribe'; url: string }
  | { at: number; kind: 'arrivals' };

export interface DemoAudienceOptions {
  clock: DevClock;
  eventsEndpoint: string;
  /** SES events go to the ses-events handler, as EventBridge would deliver them. */
  sesEvents: (event: Record<string, unknown>) => Promise<unknown>;
  catalogue: ReadonlyMap<string, ContentItem>;
  seed?: number;
  /** Mean new leads per simulated day. */
  leadsPerDay?: number;
  log?: (line: string) => void;
}

export class DemoAudience {
  private readonly random: () => number;
  private readonly client: EventBridgeClient;
  private readonly actions: Action[] = [];
  private readonly customers = new Map<string, { ordered: boolean; clicks: number }>();
  private timer: NodeJS.Timeout | undefined;
  private serial = 0;
  private readonly runId: string;
  private busy = false;

  constructor(private readonly options: DemoAudienceOptions) {
    this.random = seededRandom(options.seed ?? 20261123);
    this.client = new EventBridgeClient({ endpoint: options.eventsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    this.runId = options.clock.now().toString(36).slice(-4);
  }

  start(): void {
    const now = this.options.clock.now();
    // Something happens at once: a first wave of leads and a few buyers, then a steady stream.
    for (let i = 0; i < 10; i++) this.newLead(now + i * 3 * MINUTE);
    for (let i = 0; i < 3; i++) this.newBuyer(now + (i + 1) * 10 * MINUTE);
    this.schedule({ at: now + HOUR, kind: 'arrivals' });
    this.timer = setInterval(() => void this.tick(), 250);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.client.destroy();
  }

  /** The dev mailer tells the audience what it received: they may open, click, answer, refer. */
  onEmailSent(email: OutgoingEmail, outcome: SendOutcome): void {
    if (outcome.status !== 'sent') return;
    const { entry, item } = email;
    const rates = ENGAGEMENT_BY_KIND[item.kind] ?? { open: 0.35, click: 0.1 };
    const sentAt = Math.max(entry.at, this.options.clock.now());
    const roll = this.random();
    if (roll < 0.004) {
      this.schedule({ at: sentAt + 5 * MINUTE, kind: 'ses', event: this.sesEvent('Email Bounced', 'Bounce', entry, sentAt + 5 * MINUTE, { bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', bouncedRecipients: [{ emailAddress: entry.to }] } }) });
      return;
    }
    if (roll < 0.006) {
      this.schedule({ at: sentAt + 2 * HOUR, kind: 'ses', event: this.sesEvent('Email Complaint Received', 'Complaint', entry, sentAt + 2 * HOUR, { complaint: { complainedRecipients: [{ emailAddress: entry.to }], complaintFeedbackType: 'abuse' } }) });
      return;
    }
    if (roll < 0.012) {
      this.schedule({ at: sentAt + 30 * MINUTE, kind: 'unsubscribe', url: email.unsubscribe.url });
      return;
    }
    if (this.random() >= rates.open) return;
    const openedAt = sentAt + 10 * MINUTE + this.random() * 18 * HOUR;
    this.schedule({ at: openedAt, kind: 'ses', event: this.sesEvent('Email Opened', 'Open', entry, openedAt, { open: { timestamp: new Date(openedAt).toISOString() } }) });
    if (this.random() >= rates.click / rates.open) return;
    const clickedAt = openedAt + MINUTE + this.random() * 10 * MINUTE;
    this.schedule({ at: clickedAt, kind: 'ses', event: this.sesEvent('Email Clicked', 'Click', entry, clickedAt, { click: { link: 'https://ledgerly.example/', timestamp: new Date(clickedAt).toISOString() } }) });
    this.afterClick(entry, item, clickedAt);
  }

  private afterClick(entry: OutboxEntry, item: ContentItem, clickedAt: number): void {
    const customer = this.customers.get(entry.customerId) ?? { ordered: false, clicks: 0 };
    customer.clicks += 1;
    this.customers.set(entry.customerId, customer);
    if (item.kind === 'survey') {
      const score = this.npsScore();
      this.customerEvent(clickedAt + 2 * MINUTE, entry.customerId, 'com.ledgerly.app', 'survey.answered', { survey: 'nps', score });
    } else if (item.kind === 'referral' && this.random() < 0.5) {
      this.customerEvent(clickedAt + this.random() * 3 * DAY, entry.customerId, 'com.ledgerly.app', 'referral.sent', { referredEmail: `friend.${this.serial++}@example.com` });
    } else if (!customer.ordered && entry.workflowId === 'cold-traffic-nurture' && this.random() < 0.12 + 0.05 * customer.clicks) {
      customer.ordered = true;
      this.order(entry.customerId, clickedAt + this.random() * 3 * DAY);
    }
  }

  private npsScore(): number {
    const roll = this.random();
    if (roll < 0.45) return 9 + Math.floor(this.random() * 2);
    if (roll < 0.75) return 7 + Math.floor(this.random() * 2);
    return Math.floor(this.random() * 7);
  }

  private order(customerId: string, at: number): void {
    const pro = this.random() < 0.4;
    this.customerEvent(at, customerId, 'com.ledgerly.shop', 'order.placed', { orderId: `ORD-${this.runId}-${this.serial++}`, plan: pro ? 'Pro' : 'Starter', amount: pro ? 29 : 12 });
    if (this.random() < 0.03) this.customerEvent(at + this.random() * 3 * DAY, customerId, 'com.ledgerly.shop', 'order.refunded', { reason: 'changed my mind' });
  }

  private person(): { customerId: string; profile: Record<string, unknown> } {
    const first = FIRST_NAMES[Math.floor(this.random() * FIRST_NAMES.length)]!;
    const last = LAST_NAMES[Math.floor(this.random() * LAST_NAMES.length)]!;
    const n = this.serial++;
    const profile: Record<string, unknown> = {
      email: `${first}.${last}.${this.runId}${n}@example.com`.toLowerCase(),
      firstName: first,
      lastName: last,
      timezone: TIME_ZONES[Math.floor(this.random() * TIME_ZONES.length)],
    };
    if (this.random() < 0.5) profile.company = COMPANIES[Math.floor(this.random() * COMPANIES.length)];
    if (this.random() < 0.15) profile.plan = 'trial';
    return { customerId: `c-${this.runId}-${String(n).padStart(4, '0')}`, profile };
  }

  private newLead(at: number): void {
    const { customerId, profile } = this.person();
    let roll = this.random();
    const channel = CHANNELS.find(([, share]) => (roll -= share) < 0)?.[0] ?? 'search';
    this.customers.set(customerId, { ordered: false, clicks: 0 });
    this.customerEvent(at, customerId, 'com.ledgerly.web', 'lead.captured', { channel, profile, page: '/guides/get-paid-faster' });
    this.customerEvent(at + 2 * MINUTE, customerId, 'com.ledgerly.web', 'page.viewed', { url: 'https://ledgerly.example/pricing' });
    if (this.random() < 0.06) {
      this.customers.get(customerId)!.ordered = true;
      this.order(customerId, at + (1 + this.random() * 10) * DAY);
    }
  }

  private newBuyer(at: number): void {
    const { customerId, profile } = this.person();
    this.customers.set(customerId, { ordered: true, clicks: 0 });
    const pro = this.random() < 0.4;
    this.customerEvent(at, customerId, 'com.ledgerly.shop', 'order.placed', { channel: 'direct', profile, orderId: `ORD-${this.runId}-${this.serial++}`, plan: pro ? 'Pro' : 'Starter', amount: pro ? 29 : 12 });
  }

  private customerEvent(at: number, customerId: string, source: string, detailType: string, detail: Record<string, unknown>): void {
    this.schedule({ at, kind: 'event', entry: { Source: source, DetailType: detailType, Time: new Date(at), Detail: JSON.stringify({ customerId, ...detail }) } });
  }

  private sesEvent(detailType: string, eventType: string, entry: OutboxEntry, at: number, detail: Record<string, unknown>): Record<string, unknown> {
    const tags = Object.fromEntries(emailTags(entry).map((t) => [t.Name, [t.Value]]));
    return {
      version: '0',
      id: `demo-${eventType}-${this.serial++}`,
      source: 'aws.ses',
      'detail-type': detailType,
      account: '000000000000',
      region: LOCAL_REGION,
      resources: [],
      time: new Date(at).toISOString(),
      detail: { eventType, mail: { timestamp: new Date(entry.at).toISOString(), messageId: `local-${entry.seq}`, destination: [entry.to], tags }, ...detail },
    };
  }

  private schedule(action: Action): void {
    // Kept sorted by time; the queue is short (actions are due within days).
    const index = this.actions.findIndex((a) => a.at > action.at);
    if (index < 0) this.actions.push(action);
    else this.actions.splice(index, 0, action);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const now = this.options.clock.now();
      const due: Action[] = [];
      while (this.actions.length > 0 && this.actions[0]!.at <= now) due.push(this.actions.shift()!);
      const entries: PutEventsRequestEntry[] = [];
      for (const action of due) {
        if (action.kind === 'event') entries.push(action.entry);
        else if (action.kind === 'ses') await this.options.sesEvents(action.event);
        else if (action.kind === 'unsubscribe') await fetch(action.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
        else this.scheduleArrivals(action.at);
      }
      for (let i = 0; i < entries.length; i += 10) await this.client.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
    } catch (error) {
      this.options.log?.(`demo: ${(error as Error).message}`);
    } finally {
      this.busy = false;
    }
  }

  /** The next simulated hour of arrivals (a Poisson stream), and the hour after that. */
  private scheduleArrivals(from: number): void {
    const perHour = (this.options.leadsPerDay ?? 60) / 24;
    let at = from;
    for (;;) {
      at += (-Math.log(1 - this.random()) / perHour) * HOUR;
      if (at >= from + HOUR) break;
      if (this.random() < 0.85) this.newLead(at);
      else this.newBuyer(at);
    }
    this.schedule({ at: from + HOUR, kind: 'arrivals' });
  }
}
