/**
 * The demo audience of `npm start`: customers arriving over simulated time in
 * every workflow of `workflows/`, who open and click some emails, answer what
 * the journeys wait for (more often right after clicking the email that asked),
 * convert after some engagement, now and then leave (the workflow's exit
 * events), and rarely bounce, complain or unsubscribe. What they send is
 * derived from the workflows (demo-plan.ts), so a new workflow with event names
 * of its own gets customers too. Everything goes in the way production's inputs
 * do: customer events through the EventBridge-compatible endpoint (with the
 * real EventBridge client), SES events through the work queue as the
 * configuration set's rule delivers them, unsubscribes through the one-click
 * endpoint. Seeded, so two runs tell the same story.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { ContentItem } from '../engine/schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime/local-servers';
import type { OutgoingEmail, SendOutcome } from '../runtime/mailer';
import { emailTags } from '../runtime/ses-events';
import type { AppliedStep } from '../runtime/journey-service';
import type { OutboxEntry } from '../runtime/store';
import type { DevClock } from './clock';
import type { DemoEvent, DemoPerson, WorkflowStory } from './demo-plan';
import { ENGAGEMENT_BY_KIND } from '../sim/engagement';
import { seededRandom, stream } from '../sim/random';

const HOUR = 3_600_000;
const MINUTE = 60_000;
const DAY = 24 * HOUR;

export { seededRandom } from '../sim/random';
export { ENGAGEMENT_BY_KIND } from '../sim/engagement';

const FIRST_NAMES = ['Ana', 'Ben', 'Cara', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Nils', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara', 'Umar', 'Vera', 'Wen', 'Yusuf', 'Zoe'];
const LAST_NAMES = ['Silva', 'Okafor', 'Nguyen', 'Patel', 'Yilmaz', 'Haddad', 'Kim', 'Tanaka', 'Costa', 'Berg', 'Adeyemi', 'Romano', 'Cohen', 'Larsen', 'Petrova', 'Sharma', 'Walsh', 'Diaz', 'Haddad', 'Iyer'];
const COMPANIES = ['Studio North', 'Corner Café', 'Brightline Plumbing', 'Maple Bookkeeping', 'Fern & Co', 'Harbor Design', 'Quill Legal', 'Peak Fitness'];
const TIME_ZONES = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Europe/Madrid', 'Australia/Sydney'];

/** How customers behave, besides opening and clicking (ENGAGEMENT_BY_KIND). */
const BEHAVIOUR = {
  /** A customer who starts waiting for an event sends it before the timeout (early rather than late). */
  answersUnprompted: 0.3,
  /** ...and right after clicking the email that asked for it (the survey link, the booking page). */
  answersAfterClick: 0.7,
  /** Converts after a click: this, plus `conversionPerClick` per click so far in the journey, at most `conversionMax`. */
  conversionAfterClick: 0.08,
  conversionPerClick: 0.05,
  conversionMax: 0.45,
  /** Converts whatever the journey does, within 1 to 10 days of entering. */
  conversionUnprompted: 0.05,
  /** Leaves (one of the workflow's exit events) within 1 to 14 days of entering. */
  exit: 0.03,
} as const;

type Action =
  | { at: number; kind: 'event'; entry: PutEventsRequestEntry }
  | { at: number; kind: 'ses'; event: Record<string, unknown> }
  | { at: number; kind: 'unsubscribe'; url: string }
  | { at: number; kind: 'clicked'; customerId: string; workflowId: string }
  | { at: number; kind: 'arrivals' };

export interface DemoAudienceOptions {
  clock: DevClock;
  eventsEndpoint: string;
  /** SES events go to the work queue, as the configuration set's rule delivers them. */
  sesEvents: (event: Record<string, unknown>) => Promise<unknown>;
  catalogue: ReadonlyMap<string, ContentItem>;
  /** What to send for each workflow (demoStories of the workflows loaded). */
  stories: readonly WorkflowStory[];
  seed?: number;
  /** Mean new customers per simulated day, over all workflows. */
  leadsPerDay?: number;
  log?: (line: string) => void;
}

interface DemoCustomer {
  /**
   * This customer's own draws (opens, clicks, answers, conversions): what one customer does does not
   * depend on the order in which other customers' emails happen to be sent, so a seed gives the same
   * audience however the work is scheduled.
   */
  random: () => number;
  /** Clicks so far, by workflow. */
  clicks: Map<string, number>;
  /** Workflows whose goal this customer has already been given. */
  converted: Set<string>;
  /** By workflow: the wait for an event they are at (from the journey's state), and whether they have answered it. */
  waiting: Map<string, { stepId: string; since: number; answered: boolean }>;
}

export class DemoAudience {
  /** Who arrives, when, and as whom (the customers' own behaviour draws from their own streams). */
  private readonly random: () => number;
  private readonly seed: number;
  private readonly client: EventBridgeClient;
  private readonly actions: Action[] = [];
  private readonly customers = new Map<string, DemoCustomer>();
  private readonly stories: ReadonlyMap<string, WorkflowStory>;
  private timer: NodeJS.Timeout | undefined;
  private serial = 0;
  private readonly runId: string;
  private running: Promise<number> | undefined;
  private stopped = false;

  constructor(private readonly options: DemoAudienceOptions) {
    this.seed = options.seed ?? 20261123;
    this.random = seededRandom(this.seed);
    this.client = new EventBridgeClient({ endpoint: options.eventsEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
    this.runId = options.clock.now().toString(36).slice(-4);
    this.stories = new Map(options.stories.map((story) => [story.workflowId, story]));
  }

  start(): void {
    const now = this.options.clock.now();
    // Something happens at once in every journey: a first wave (at least two customers each), then a steady stream.
    const stories = this.options.stories;
    if (stories.length === 0) return;
    const firstWave = Math.max(10, 2 * stories.length);
    for (let i = 0; i < firstWave; i++) this.arrive(now + i * 3 * MINUTE, stories[i % stories.length]!);
    this.schedule({ at: now + HOUR, kind: 'arrivals' });
    this.timer = setInterval(() => void this.runDue(), 250);
    this.timer.unref();
  }

  /** Stops sending; resolves once what was being sent has been sent. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    this.client.destroy();
  }

  /** The dev mailer tells the audience what it received: they may open and click it, bounce, complain or unsubscribe. */
  onEmailSent(email: OutgoingEmail, outcome: SendOutcome): void {
    if (outcome.status !== 'sent' || this.stopped) return;
    const { entry, item } = email;
    const rates = ENGAGEMENT_BY_KIND[item.kind] ?? { open: 0.35, click: 0.1 };
    const sentAt = Math.max(entry.at, this.options.clock.now());
    const random = this.customers.get(entry.customerId)?.random ?? this.random;
    const roll = random();
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
    if (random() >= rates.open) return;
    const openedAt = sentAt + 10 * MINUTE + random() * 18 * HOUR;
    this.schedule({ at: openedAt, kind: 'ses', event: this.sesEvent('Email Opened', 'Open', entry, openedAt, { open: { timestamp: new Date(openedAt).toISOString() } }) });
    if (random() >= rates.click / rates.open) return;
    const clickedAt = openedAt + MINUTE + random() * 10 * MINUTE;
    this.schedule({ at: clickedAt, kind: 'ses', event: this.sesEvent('Email Clicked', 'Click', entry, clickedAt, { click: { link: 'https://example.com/', timestamp: new Date(clickedAt).toISOString() } }) });
    // What the click leads to is decided when it happens, from where the customer is then.
    this.schedule({ at: clickedAt, kind: 'clicked', customerId: entry.customerId, workflowId: entry.workflowId });
  }

  /**
   * The journey service tells the audience where its customers are (the dev server's observer):
   * a customer who comes to rest at a wait for an event may send it.
   */
  onApplied(applied: AppliedStep): void {
    if (this.stopped) return;
    const customer = this.customers.get(applied.customerId);
    const story = this.stories.get(applied.workflowId);
    if (!customer || !story) return;
    const { state } = applied;
    const awaited = state.status === 'active' && state.stepId !== null ? story.awaited.get(state.stepId) : undefined;
    if (!awaited || state.waitingSince === null || state.dueAt === null) {
      customer.waiting.delete(applied.workflowId);
      return;
    }
    const current = customer.waiting.get(applied.workflowId);
    if (current && current.stepId === state.stepId && current.since === state.waitingSince) return;
    const waiting = { stepId: state.stepId!, since: state.waitingSince, answered: false };
    customer.waiting.set(applied.workflowId, waiting);
    const window = state.dueAt - state.waitingSince;
    if (window > 2 * MINUTE && customer.random() < BEHAVIOUR.answersUnprompted) {
      waiting.answered = true;
      const u = customer.random();
      this.customerEvent(state.waitingSince + MINUTE + u * u * (window - 2 * MINUTE), applied.customerId, awaited(customer.random));
    }
  }

  /** A click: the customer may answer what the journey waits for, or convert. */
  private afterClick(customerId: string, workflowId: string, clickedAt: number): void {
    const customer = this.customers.get(customerId);
    const story = this.stories.get(workflowId);
    if (!customer || !story) return;
    const clicks = (customer.clicks.get(workflowId) ?? 0) + 1;
    customer.clicks.set(workflowId, clicks);
    const waiting = customer.waiting.get(workflowId);
    const awaited = waiting && !waiting.answered ? story.awaited.get(waiting.stepId) : undefined;
    if (waiting && awaited && customer.random() < BEHAVIOUR.answersAfterClick) {
      waiting.answered = true;
      this.customerEvent(clickedAt + 2 * MINUTE + customer.random() * 28 * MINUTE, customerId, awaited(customer.random));
    } else if (story.goal && !customer.converted.has(workflowId) && customer.random() < Math.min(BEHAVIOUR.conversionMax, BEHAVIOUR.conversionAfterClick + BEHAVIOUR.conversionPerClick * clicks)) {
      customer.converted.add(workflowId);
      this.customerEvent(clickedAt + 10 * MINUTE + customer.random() * 3 * DAY, customerId, story.goal(customer.random));
    }
  }

  private person(): { customerId: string; person: DemoPerson } {
    const first = FIRST_NAMES[Math.floor(this.random() * FIRST_NAMES.length)]!;
    const last = LAST_NAMES[Math.floor(this.random() * LAST_NAMES.length)]!;
    const n = this.serial++;
    const person: DemoPerson = {
      email: `${first}.${last}.${this.runId}${n}@example.com`.toLowerCase(),
      firstName: first,
      lastName: last,
      timezone: TIME_ZONES[Math.floor(this.random() * TIME_ZONES.length)]!,
    };
    if (this.random() < 0.5) person.company = COMPANIES[Math.floor(this.random() * COMPANIES.length)]!;
    return { customerId: `c-${this.runId}-${String(n).padStart(4, '0')}`, person };
  }

  /** A new customer enters `story`'s workflow at `at`; some will convert or leave whatever the journey does. */
  private arrive(at: number, story: WorkflowStory): void {
    const { customerId, person } = this.person();
    const customer: DemoCustomer = { random: stream(this.seed, customerId), clicks: new Map(), converted: new Set(), waiting: new Map() };
    this.customers.set(customerId, customer);
    this.customerEvent(at, customerId, story.entry(this.random, person, at));
    if (story.goal && this.random() < BEHAVIOUR.conversionUnprompted) {
      customer.converted.add(story.workflowId);
      this.customerEvent(at + (1 + this.random() * 9) * DAY, customerId, story.goal(this.random));
    }
    if (story.exits.length > 0 && this.random() < BEHAVIOUR.exit) {
      const exit = story.exits[Math.floor(this.random() * story.exits.length)]!;
      this.customerEvent(at + (1 + this.random() * 13) * DAY, customerId, exit(this.random));
    }
  }

  private customerEvent(at: number, customerId: string, event: DemoEvent): void {
    this.schedule({ at, kind: 'event', entry: { Source: event.source, DetailType: event.detailType, Time: new Date(at), Detail: JSON.stringify({ ...event.detail, customerId }) } });
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

  /** Whether something is due on the clock and not sent yet. */
  get hasDue(): boolean {
    return !this.stopped && this.actions.length > 0 && this.actions[0]!.at <= this.options.clock.now();
  }

  /**
   * Sends what is due on the clock (every 250 ms while running; the dev server also calls it when
   * it moves the clock forward): resolves with how many actions were due.
   */
  runDue(): Promise<number> {
    if (this.running) return this.running;
    if (this.stopped) return Promise.resolve(0);
    this.running = this.sendDue().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sendDue(): Promise<number> {
    const now = this.options.clock.now();
    const due: Action[] = [];
    while (this.actions.length > 0 && this.actions[0]!.at <= now) due.push(this.actions.shift()!);
    try {
      const entries: PutEventsRequestEntry[] = [];
      for (const action of due) {
        if (action.kind === 'event') entries.push(action.entry);
        else if (action.kind === 'ses') await this.options.sesEvents(action.event);
        else if (action.kind === 'unsubscribe') await fetch(action.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
        else if (action.kind === 'clicked') this.afterClick(action.customerId, action.workflowId, action.at);
        else this.scheduleArrivals(action.at);
      }
      for (let i = 0; i < entries.length; i += 10) await this.client.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
    } catch (error) {
      if (!this.stopped) this.options.log?.(`demo: ${(error as Error).message}`);
    }
    return due.length;
  }

  /** The next simulated hour of arrivals (a Poisson stream, shared by the workflows by weight), and the hour after that. */
  private scheduleArrivals(from: number): void {
    const perHour = (this.options.leadsPerDay ?? 60) / 24;
    const stories = this.options.stories;
    const total = stories.reduce((sum, story) => sum + story.arrivalWeight, 0);
    let at = from;
    for (;;) {
      at += (-Math.log(1 - this.random()) / perHour) * HOUR;
      if (at >= from + HOUR) break;
      let roll = this.random() * total;
      const story = stories.find((s) => (roll -= s.arrivalWeight) < 0) ?? stories.at(-1)!;
      this.arrive(at, story);
    }
    this.schedule({ at: from + HOUR, kind: 'arrivals' });
  }
}
