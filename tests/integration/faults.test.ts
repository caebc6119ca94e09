/**
 * The fault suite: DESIGN.md's delivery guarantees while things go wrong,
 * against the real local servers (DynamoDB Local, the local SES server)
 * through the Lambda handlers.
 *
 * One short journey, played by many customers: a welcome email, then a wait
 * of up to a day for a click (a click → a demo email; no click → a nudge
 * email); some customers buy during the wait (converted), some click and buy
 * later (the journey is over by then). Its reference outcome is what
 * `waymark run` prints for the same events: the same journey service, on the
 * in-memory store, with nothing going wrong (tests/integration/parity.test.ts
 * shows the two agree on clean runs). Under each fault, the real servers must
 * end with the same journey states and the same emails:
 *
 * 1. every message (events and the sweep's wake-ups) delivered twice and shuffled;
 * 2. the same, consumed by 8 concurrent workers;
 * 3. SES throttling, 5xx and network errors at random: the mailer's own
 *    retries, SQS redelivery and the sweep send every email exactly once;
 * 4. the process killed at random points of the advance handler: nothing is
 *    lost, and the only duplicates are the documented window (a crash after
 *    SES accepted an email and before its confirmation was written);
 * 5. random journeys with random suppressions (bounces, complaints,
 *    unsubscribes, the list itself), some with crashes on top: nothing is ever
 *    sent to a suppressed address;
 * and one input that can never apply (a profile nested deeper than a DynamoDB
 * item allows) goes to the dead-letter path instead of being retried forever.
 *
 * Every random choice is seeded, and all but test 2 run on one worker, so a
 * failure replays exactly (test 2's interleavings are the scheduler's). The
 * numbers of each run (inputs, faults injected, duplicates seen) are printed.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent, LambdaFunctionURLEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JourneyState } from '../../lib/engine/model';
import type { Workflow } from '../../lib/engine/schema';
import type { FaultPoint } from '../../lib/runtime/journey-service';
import { runTimeline, sortTimeline, type TimelineItem, timelineItemsFor } from '../../lib/runtime/local-runner';
import { TAG } from '../../lib/runtime/ses-events';
import { VersionConflictError } from '../../lib/runtime/store';
import { signUnsubscribeToken } from '../../lib/runtime/unsubscribe-token';
import {
  type ConsumeOptions,
  type ConsumeStats,
  consume,
  countBy,
  duplicatesIn,
  injectSesFaults,
  onSesAccepted,
  redeliveredAndShuffled,
  runTimersUntil,
  scanJourneys,
  seededRandom,
  settleOutboxes,
} from '../support/faults';
import { defineWorkflow, registryOf, testContent } from '../support/journeys';
import { createLocalRuntime, type LocalRuntime, UNSUBSCRIBE_KEY, uniqueAddress } from '../support/local-runtime';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-02T09:00:00Z');
const iso = (at: number) => new Date(at).toISOString();

const workflow = defineWorkflow({
  id: 'faults',
  goal: { on: { 'detail-type': ['order.placed'] }, stage: 'purchase' },
  steps: {
    welcome: { type: 'email', stage: 'awareness', template: 'article-1', next: 'clicked?' },
    'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P1D' }, next: 'demo', timeoutNext: 'nudge' },
    demo: { type: 'email', stage: 'decision', template: 'demo' },
    nudge: { type: 'email', template: 'article-2' },
  },
});
const registry = registryOf(workflow);
const FIRST_NAMES = ['Ana', 'Bo', 'Chidi', 'Dana', 'Émile', 'Farah', 'Goran'];

/**
 * The workload's events, in time order: customer i is captured at T0 + i s;
 * by i mod 6, they click an hour later (→ demo), buy two hours later (→
 * converted), click then buy (the journey is over when they buy), or stay
 * silent (→ nudge after a day). A customer's events are hours apart, so even
 * shuffled within a window of 20 messages they arrive in their own order.
 */
function workload(customers: number, tag: string): string[] {
  const events: Array<{ at: number; body: object }> = [];
  for (let i = 0; i < customers; i++) {
    const customerId = `c${i}`;
    const captured = T0 + i * 1000;
    const at = (offset: number) => ({ at: captured + offset, time: iso(captured + offset) });
    const lead = at(0);
    events.push({ at: lead.at, body: { id: `lead-${i}`, source: 'test.web', 'detail-type': 'lead.captured', time: lead.time, detail: { customerId, profile: { email: `c${i}.${tag}@faults.example`, firstName: FIRST_NAMES[i % FIRST_NAMES.length] } } } });
    const click = () => {
      const when = at(HOUR);
      events.push({ at: when.at, body: { id: `click-${i}`, source: 'aws.ses', 'detail-type': 'Email Clicked', time: when.time, detail: { customerId, workflowId: 'faults', stepId: 'welcome', emailSeq: 1 } } });
    };
    const order = (offset: number) => {
      const when = at(offset);
      events.push({ at: when.at, body: { id: `order-${i}`, source: 'test.shop', 'detail-type': 'order.placed', time: when.time, detail: { customerId, amount: 49 } } });
    };
    if (i % 6 === 0) click();
    if (i % 6 === 1) order(2 * HOUR);
    if (i % 6 === 4) (click(), order(3 * HOUR));
  }
  return events.sort((a, b) => a.at - b.at).map((e) => JSON.stringify(e.body));
}

/** What is compared of a journey's final state. */
function summary(state: JourneyState) {
  return { status: state.status, stage: state.stage, stepId: state.stepId, emailsSent: state.emailsSent, clicks: state.clicks, entries: state.entries, sent: state.sent };
}

interface Outcome {
  /** "customerId workflowId" → summary */
  states: Map<string, ReturnType<typeof summary>>;
  /** "customerId subject" → how many times it was sent */
  emails: Map<string, number>;
}

/** The reference: `waymark run` on the same events (memory store, virtual clock, nothing failing). */
const references = new Map<number, Promise<Outcome>>();
function reference(customers: number): Promise<Outcome> {
  let outcome = references.get(customers);
  if (!outcome) {
    outcome = (async () => {
      const items: TimelineItem[] = workload(customers, 'reference').flatMap((body, index) => {
        const placed = timelineItemsFor(JSON.parse(body), index);
        if ('reason' in placed) throw new Error(placed.reason);
        return placed.items;
      });
      const run = await runTimeline(registry, { items: sortTimeline(items), rejected: [] });
      const states = new Map([...run.runner.store.journeys()].map((j) => [`${j.customerId} ${j.workflowId}`, summary(j.state)]));
      return { states, emails: countBy(run.emails, (e) => `${e.customerId} ${e.subject}`) };
    })();
    references.set(customers, outcome);
  }
  return outcome;
}

interface ServerRun extends Outcome {
  runtime: LocalRuntime;
  stats: ConsumeStats;
  /** Emails still in an outbox at the end (decided, never confirmed). */
  unconfirmed: number;
  /** Conditional writes that lost a race and were retried. */
  conflicts: number;
}

/**
 * The workload on the real servers: every event delivered (at 13:00, after
 * the last of them happened), timers run to T0 + 3 days, then the sweep past
 * the grace period until no outbox entry is left.
 */
async function onServers(
  customers: number,
  options: { messages?: (bodies: string[]) => string[]; consume?: ConsumeOptions; prepare?: (runtime: LocalRuntime) => void; faults?: (point: FaultPoint) => void } = {},
): Promise<ServerRun> {
  const tag = randomUUID().slice(0, 8);
  const runtime = await createLocalRuntime({ registry, start: iso(T0 + 4 * HOUR), ...(options.faults ? { faults: options.faults } : {}) });
  let conflicts = 0;
  const save = runtime.store.saveJourney.bind(runtime.store);
  runtime.store.saveJourney = async (write) => {
    try {
      return await save(write);
    } catch (error) {
      if (error instanceof VersionConflictError) conflicts += 1;
      throw error;
    }
  };
  options.prepare?.(runtime);

  const bodies = workload(customers, tag);
  const stats: ConsumeStats = { received: 0, failed: 0 };
  await consume(runtime, options.messages ? options.messages(bodies) : bodies, options.consume, stats);
  await runTimersUntil(runtime, T0 + 3 * DAY, options.consume, stats);
  await settleOutboxes(runtime, options.consume, stats);

  const states = new Map<string, ReturnType<typeof summary>>();
  let unconfirmed = 0;
  for (const [key, { state, outbox }] of await scanJourneys(runtime)) {
    states.set(key, summary(state));
    unconfirmed += outbox.length;
  }
  const ours = new RegExp(`^(c\\d+)\\.${tag}@faults\\.example$`);
  const sent = (await runtime.ses.messages()).flatMap((m) => m.destination.to.flatMap((to) => ours.exec(to)?.slice(1, 2).map((customerId) => `${customerId} ${m.subject}`) ?? []));
  return { runtime, stats, states, emails: countBy(sent, (key) => key), unconfirmed, conflicts };
}

const total = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);
/** Numbers for the reader of the test output. */
const report = (title: string, numbers: Record<string, unknown>) => console.info(`${title}: ${JSON.stringify(numbers)}`);

describe('redelivery and concurrency (1,000 customers)', () => {
  const CUSTOMERS = 1000;

  it('every message delivered twice, shuffled within 20 messages: the same final states and emails, no email twice', { timeout: 300_000 }, async () => {
    const expected = await reference(CUSTOMERS);
    const random = seededRandom(20261102);
    const twice = await onServers(CUSTOMERS, {
      messages: (bodies) => redeliveredAndShuffled(bodies, { copies: 2, window: 20, random }),
      consume: { copies: 2, window: 20, random },
    });

    expect(twice.states.size).toBe(CUSTOMERS);
    expect(twice.states).toEqual(expected.states);
    expect(duplicatesIn(twice.emails)).toEqual(new Map());
    expect(twice.emails).toEqual(expected.emails);
    expect(twice.unconfirmed).toBe(0);
    // One worker: no write ever raced; every second copy was recognised by the fingerprints of applied events.
    expect(twice.conflicts).toBe(0);
    report('redelivery', { customers: CUSTOMERS, inputs: twice.stats.received, emails: total(twice.emails), failedRecords: twice.stats.failed, conflicts: twice.conflicts });
  });

  it('8 workers consuming the duplicated messages at once: no lost update, no email twice', { timeout: 300_000 }, async () => {
    const expected = await reference(CUSTOMERS);
    const random = seededRandom(8);
    const raced = await onServers(CUSTOMERS, {
      messages: (bodies) => redeliveredAndShuffled(bodies, { copies: 2, window: 20, random }),
      consume: { workers: 8, copies: 2, window: 20, random },
    });

    expect(raced.states).toEqual(expected.states);
    expect(duplicatesIn(raced.emails)).toEqual(new Map());
    expect(raced.emails).toEqual(expected.emails);
    expect(raced.unconfirmed).toBe(0);
    // The copies did race: conditional writes lost, were retried on the fresh item, and found the event applied.
    expect(raced.conflicts).toBeGreaterThan(0);
    report('concurrency', { customers: CUSTOMERS, workers: 8, inputs: raced.stats.received, emails: total(raced.emails), conflicts: raced.conflicts, redeliveredRecords: raced.stats.failed });
  });
});

describe('SES throttling and failures', () => {
  it('throttling, 5xx and network errors at random: every decided email is sent exactly once in the end', { timeout: 300_000 }, async () => {
    const CUSTOMERS = 300;
    const expected = await reference(CUSTOMERS);
    let injected: ReturnType<typeof injectSesFaults> | undefined;
    const run = await onServers(CUSTOMERS, {
      prepare: (runtime) => {
        injected = injectSesFaults(runtime.ses.client, { random: seededRandom(429), rate: 0.2, burstRate: 0.01, burstLength: 8 });
      },
      consume: { workers: 1 },
    });

    // Throttling bursts outlast the mailer's retries, and 5xx/network errors are not retried by it: the queue and the sweep took over.
    expect(injected!.throttled).toBeGreaterThan(0);
    expect(injected!.serverErrors + injected!.networkErrors).toBeGreaterThan(0);
    expect(injected!.bursts).toBeGreaterThan(0);
    expect(run.stats.failed).toBeGreaterThan(0);

    expect([...run.emails].filter(([, n]) => n !== 1)).toEqual([]);
    expect(run.emails).toEqual(expected.emails);
    expect(run.states).toEqual(expected.states);
    expect(run.unconfirmed).toBe(0);
    report('ses faults', { customers: CUSTOMERS, emails: total(run.emails), sesCalls: injected!.calls, throttled: injected!.throttled, bursts: injected!.bursts, serverErrors: injected!.serverErrors, networkErrors: injected!.networkErrors, recordsRedelivered: run.stats.failed });
  });
});

describe('crashes in the advance handler', () => {
  it('killed at random after the state write, the send or the confirmation: nothing lost, duplicates only in the documented window', { timeout: 300_000 }, async () => {
    const CUSTOMERS = 300;
    const expected = await reference(CUSTOMERS);
    const random = seededRandom(1337);
    const crashes: Record<FaultPoint, number> = { 'after-state-write': 0, 'after-send': 0, 'after-confirm': 0 };
    /** Emails SES accepted just before a crash that came before their confirmation: "customerId subject" → times. */
    const window = new Map<string, number>();
    let lastAccepted: string | undefined;
    const run = await onServers(CUSTOMERS, {
      prepare: (runtime) =>
        onSesAccepted(runtime.ses.client, (input) => {
          lastAccepted = `${/^(c\d+)\./.exec(input.Destination?.ToAddresses?.[0] ?? '')?.[1]} ${input.Content?.Simple?.Subject?.Data}`;
        }),
      faults: (point) => {
        if (random() >= 0.1) return;
        crashes[point] += 1;
        // One worker: the email SES accepted last is the one this crash left unconfirmed.
        if (point === 'after-send') window.set(lastAccepted!, (window.get(lastAccepted!) ?? 0) + 1);
        throw new Error(`simulated crash: the process died ${point}`);
      },
      consume: { workers: 1 },
    });

    expect(crashes['after-state-write']).toBeGreaterThan(0);
    expect(crashes['after-send']).toBeGreaterThan(0);
    expect(crashes['after-confirm']).toBeGreaterThan(0);
    // Nothing lost: every email of the reference went out, and nothing else did.
    expect([...run.emails.keys()].sort()).toEqual([...expected.emails.keys()].sort());
    expect(run.unconfirmed).toBe(0);
    expect(run.states).toEqual(expected.states);
    // Duplicates ⊆ the window: each extra copy is one crash between SES accepting the email and its confirmation.
    const duplicates = duplicatesIn(run.emails);
    for (const [email, count] of duplicates) {
      expect({ email, inWindow: window.has(email) }).toEqual({ email, inWindow: true });
      expect(count - 1).toBeLessThanOrEqual(window.get(email)!);
    }
    report('crashes', { customers: CUSTOMERS, inputs: run.stats.received, emails: total(run.emails), crashes, inWindow: total(window), duplicatesObserved: total(duplicates) - duplicates.size });
  });
});

describe('input that can never apply', () => {
  it('a profile nested deeper than a DynamoDB item allows goes to the dead-letter path with its reason, not into endless retries', async () => {
    const runtime = await createLocalRuntime({ registry, start: iso(T0) });
    let deep: unknown = 'bottom';
    for (let i = 0; i < 40; i++) deep = { more: deep };
    const address = uniqueAddress('deep');
    const poison = { id: 'deep-1', source: 'test.web', 'detail-type': 'lead.captured', time: iso(T0), detail: { customerId: 'deep', profile: { email: address, preferences: deep } } };

    const failed = await runtime.send(poison);

    // Not a transient failure for SQS to retry until its redrive policy gives up, without a word.
    expect(failed).toEqual([]);
    expect(runtime.deadLetters.entries).toEqual([{ body: JSON.stringify(poison), reason: expect.stringMatching(/^detail\.profile: too deeply nested/) }]);
    expect(await runtime.messagesTo(address)).toEqual([]);
  });
});

describe('suppression, across random journeys', () => {
  type Suppression = 'bounce' | 'complaint' | 'unsubscribe' | 'list';
  interface Customer {
    plan: 'trial' | 'free';
    /** Minutes after T0 that the customer is captured. */
    capturedAfter: number;
    /** Minutes after capture that the customer clicks the last email, if ever. */
    clicksAfter: number | null;
    suppression: { how: Suppression; minutesAfter: number; upperCase: boolean; tagged: boolean } | null;
  }

  /** Random small workflows: a chain of steps, each next step later in the chain (so every step is reachable and there is no loop), the last an email. */
  const stepArbitrary = (index: number, count: number): fc.Arbitrary<[string, unknown]> => {
    const id = `s${index}`;
    const next = `s${index + 1}`;
    const email = fc
      .oneof(fc.constantFrom('article-1', 'article-2', 'demo', 'offer').map((template) => ({ template })), fc.constantFrom('article', 'testimonial').map((kind) => ({ content: { kind } })))
      .map((what) => ({ type: 'email', ...what, ...(index < count - 1 ? { next } : {}) }));
    if (index === count - 1) return email.map((step) => [id, step]);
    const later = fc.integer({ min: index + 1, max: count - 1 }).map((i) => `s${i}`);
    const steps = fc.oneof(
      email,
      fc.constantFrom('PT2H', 'PT20H', 'P1D', 'P2D').map((duration) => ({ type: 'wait', duration, next })),
      fc.tuple(fc.constantFrom('PT6H', 'P1D'), later).map(([timeout, timeoutNext]) => ({ type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout }, next, timeoutNext })),
      later.map((other) => ({ type: 'branch', cases: [{ if: { profile: { plan: ['trial'] } }, next: other }], else: next })),
      fc.tuple(later, fc.integer({ min: 1, max: 3 })).map(([other, weight]) => ({ type: 'split', paths: [{ weight, next }, { weight: 4 - weight, next: other }] })),
    );
    return steps.map((step) => [id, step]);
  };
  const workflowArbitrary = fc
    .integer({ min: 2, max: 6 })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => stepArbitrary(i, count))))
    .map((steps) => defineWorkflow({ id: 'suppression', goal: { on: { 'detail-type': ['order.placed'] } }, steps: Object.fromEntries(steps) }));
  const customerArbitrary: fc.Arbitrary<Customer> = fc.record({
    plan: fc.constantFrom('trial' as const, 'free' as const),
    capturedAfter: fc.integer({ min: 0, max: 120 }),
    clicksAfter: fc.option(fc.integer({ min: 1, max: 40 * 60 }), { nil: null, freq: 2 }),
    suppression: fc.option(
      fc.record({
        how: fc.constantFrom<Suppression>('bounce', 'complaint', 'unsubscribe', 'list'),
        // Odd minutes after capture (up to 3 days), often the very next minute, while a first email may still sit in the outbox.
        minutesAfter: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 36 * 60 }).map((m) => 2 * m + 1)),
        upperCase: fc.boolean(),
        tagged: fc.boolean(),
      }),
      { nil: null, freq: 4 },
    ),
  });

  /** An SES bounce or complaint as the configuration set's EventBridge destination delivers it. */
  function sesNotification(how: 'bounce' | 'complaint', address: string, at: number, customerId: string | undefined): EventBridgeEvent<string, unknown> {
    const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
    const tags = customerId === undefined ? {} : { [TAG.customer]: [base64url(customerId)], [TAG.workflow]: ['suppression'], [TAG.step]: [base64url('s0')], [TAG.seq]: ['1'] };
    const mail = { timestamp: iso(at - MINUTE), destination: [address], tags };
    return {
      version: '0',
      id: randomUUID(),
      source: 'aws.ses',
      'detail-type': how === 'bounce' ? 'Email Bounced' : 'Email Complaint Received',
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
      time: iso(at),
      detail:
        how === 'bounce'
          ? { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: address }] } }
          : { eventType: 'Complaint', mail, complaint: { complainedRecipients: [{ emailAddress: address }], complaintFeedbackType: 'abuse' } },
    };
  }

  /** The one-click POST a mail client sends to the List-Unsubscribe URL. */
  function oneClickUnsubscribe(address: string, customerId: string, at: number): LambdaFunctionURLEvent {
    const token = signUnsubscribeToken({ address, customerId, workflowId: 'suppression', stepId: 's0', issuedAt: Math.floor(at / 1000) }, UNSUBSCRIBE_KEY);
    return {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: `token=${token}`,
      queryStringParameters: { token },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'mail-client' } },
    } as unknown as LambdaFunctionURLEvent;
  }

  it('no email ever reaches a suppressed address after its suppression, and the journeys that would have emailed it end "suppressed"', { timeout: 300_000 }, async () => {
    const totals = { runs: 0, runsWithCrashes: 0, crashes: 0, customers: 0, suppressions: 0, suppressedWithAnEmailInTheOutbox: 0, endedSuppressed: 0, emailsBeforeSuppression: 0 };
    await fc.assert(
      fc.asyncProperty(workflowArbitrary, fc.array(customerArbitrary, { minLength: 2, maxLength: 4 }), fc.option(fc.integer(), { nil: null, freq: 2 }), async (randomWorkflow: Workflow, customers: Customer[], crashSeed: number | null) => {
        totals.runs += 1;
        // In some runs the process also dies after state writes (half of them): emails then wait in the outbox for the sweep,
        // and a suppression that lands meanwhile must stop them too.
        const crash = crashSeed === null ? undefined : seededRandom(crashSeed);
        if (crash) totals.runsWithCrashes += 1;
        const runtime = await createLocalRuntime({
          registry: registryOf(randomWorkflow, testContent),
          start: iso(T0),
          faults: (point) => {
            if (crash && point === 'after-state-write' && crash() < 0.5) {
              totals.crashes += 1;
              throw new Error('simulated crash after the state write');
            }
          },
        });
        /** Addresses SES accepted an email for, as it accepted them (the server's store is read once, at the end). */
        const accepted: string[] = [];
        onSesAccepted(runtime.ses.client, (input) => accepted.push(...(input.Destination?.ToAddresses ?? []).map((a) => a.toLowerCase())));
        /** Puts an event on the bus; SQS redelivers it until it is acknowledged. */
        const send = async (event: object) => {
          for (let failed = await runtime.send(event), attempts = 0; failed.length > 0; failed = await runtime.deliver(failed)) {
            if (++attempts > 20) throw new Error('an event keeps failing');
          }
        };
        type Action = { at: number; order: number; run: () => Promise<unknown> };
        const actions: Action[] = [];
        const events: object[] = [];
        const suppressedAt = new Map<number, { at: number; sentBefore: number }>();
        const addresses = customers.map((_, i) => uniqueAddress(`suppressed-${i}`));

        customers.forEach((customer, i) => {
          const customerId = `p${i}`;
          const address = addresses[i]!;
          const captured = T0 + customer.capturedAfter * MINUTE;
          const lead = { id: `lead-${i}`, source: 'test.web', 'detail-type': 'lead.captured', time: iso(captured), detail: { customerId, profile: { email: address, plan: customer.plan } } };
          events.push(lead);
          actions.push({ at: captured, order: actions.length, run: () => send(lead) });
          if (customer.clicksAfter !== null) {
            const at = captured + customer.clicksAfter * MINUTE;
            const click = { id: `click-${i}`, source: 'aws.ses', 'detail-type': 'Email Clicked', time: iso(at), detail: { customerId, workflowId: 'suppression' } };
            events.push(click);
            actions.push({ at, order: actions.length, run: () => send(click) });
          }
          const { suppression } = customer;
          if (suppression) {
            const at = captured + suppression.minutesAfter * MINUTE;
            const written = suppression.upperCase ? address.toUpperCase() : address;
            const tagged = suppression.tagged ? customerId : undefined;
            actions.push({
              at,
              order: actions.length,
              run: async () => {
                suppressedAt.set(i, { at, sentBefore: accepted.filter((a) => a === address).length });
                if (((await runtime.journey(customerId, 'suppression'))?.outbox.length ?? 0) > 0) totals.suppressedWithAnEmailInTheOutbox += 1;
                switch (suppression.how) {
                  case 'bounce':
                  case 'complaint':
                    return runtime.sesEvents(sesNotification(suppression.how, written, at, tagged));
                  case 'unsubscribe': {
                    const response = await runtime.unsubscribe(oneClickUnsubscribe(written, customerId, at));
                    expect(response).toMatchObject({ statusCode: 200 });
                    return response;
                  }
                  case 'list':
                    return runtime.store.suppress({ address: written, reason: 'manual', at });
                }
              },
            });
          }
        });

        for (const action of actions.sort((a, b) => a.at - b.at || a.order - b.order)) {
          await runtime.advanceTo(iso(action.at));
          await action.run();
        }
        await runtime.advanceTo(iso(T0 + 30 * DAY));
        await runtime.afterGracePeriod();

        // What the journey would have sent with no suppression at all.
        const unsuppressed = await runTimeline(registryOf(randomWorkflow, testContent), { items: sortTimeline(events.map((e, i) => (timelineItemsFor(e, i) as { items: TimelineItem[] }).items[0]!)), rejected: [] });
        const stored = await runtime.messagesTo(...addresses);
        expect(stored.length).toBe(accepted.filter((a) => addresses.includes(a)).length);
        for (const [i, customer] of customers.entries()) {
          const customerId = `p${i}`;
          const sent = stored.filter((m) => m.destination.to.includes(addresses[i]!));
          const state = (await runtime.journey(customerId, 'suppression'))?.state;
          const wouldSend = unsuppressed.emails.filter((e) => e.customerId === customerId);
          const suppressed = suppressedAt.get(i);
          totals.customers += 1;
          if (!suppressed) {
            // Unaffected customers get exactly what the journey says.
            expect(sent.map((m) => m.subject).sort()).toEqual(wouldSend.map((e) => e.subject).sort());
            continue;
          }
          totals.suppressions += 1;
          totals.emailsBeforeSuppression += suppressed.sentBefore;
          expect({ customer, emailsAfterSuppression: sent.length - suppressed.sentBefore }).toEqual({ customer, emailsAfterSuppression: 0 });
          // Before it, what the journey says (or less: an email a crash left in the outbox waits for the sweep, and the suppression may come first).
          const before = wouldSend.filter((e) => e.at <= suppressed.at).length;
          if (crash) expect(sent.length).toBeLessThanOrEqual(before);
          else expect(sent.length).toBe(before);
          if (wouldSend.some((e) => e.at > suppressed.at)) {
            totals.endedSuppressed += 1;
            expect({ customer, status: state?.status }).toEqual({ customer, status: 'suppressed' });
          }
        }
        expect(runtime.deadLetters.entries).toEqual([]);
      }),
      { seed: 3, numRuns: 10, endOnFailure: true },
    );
    expect(totals.endedSuppressed).toBeGreaterThan(0);
    expect(totals.crashes).toBeGreaterThan(0);
    expect(totals.suppressedWithAnEmailInTheOutbox).toBeGreaterThan(0);
    report('suppression', totals);
  });
});
