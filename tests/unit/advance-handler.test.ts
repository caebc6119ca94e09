/**
 * The advance handler: one SQS batch of inputs, applied through the journey
 * service (here on a memory store, as `waymark run` wires it), different
 * customers at once and each customer's inputs in order. It
 * decides: the emails of each journey write are in the write's outbox, for
 * the stream to carry to the send path; it sends nothing itself.
 *
 * - An input that can never apply goes to the dead-letter queue with its
 *   reason, and is acknowledged: it never blocks the batch.
 * - An input that hit a transient error is reported in `batchItemFailures`, so
 *   SQS retries that one record alone.
 * - SES events (from the configuration set's rule) suppress bounced and
 *   complaining addresses, and opens and clicks reach the journeys.
 * - Counters that do not ride on a journey write (bounces, refused entries)
 *   are added up for the whole batch and written once at its end; a failed
 *   counter write is logged and never fails the batch.
 */
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BufferedCounters } from '../../lib/runtime/counters';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { JourneyService, type Logger } from '../../lib/runtime/journey-service';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { encodeWorkMessage, MemoryDeadLetters } from '../../lib/runtime/queue';
import { TAG } from '../../lib/runtime/ses-events';
import { type CounterRow, type JourneyWrite, type OutboxEntry, UnstorableInputError } from '../../lib/runtime/store';
import type { Workflow } from '../../lib/engine/schema';
import { JOURNEY_PARKED } from '../../lib/runtime/log-messages';
import { defineWorkflow, event, lead, registryOf } from '../support/journeys';

const NOW = Date.parse('2026-11-02T10:00:00Z');

const workflow = defineWorkflow({
  steps: {
    welcome: { type: 'email', template: 'article-1', next: 'pause' },
    pause: { type: 'wait', duration: 'P2D', next: 'follow-up' },
    'follow-up': { type: 'email', template: 'article-2' },
  },
});

/** A memory store whose journey writes can be made to fail, and whose counter writes are counted (and can fail). */
class InstrumentedStore extends MemoryStore {
  /** Customers whose next journey write throws a transient error (once each). */
  readonly failNextSaveOf = new Set<string>();
  readonly counterWrites: CounterRow[][] = [];
  failCounterWrites = false;
  /** DynamoDB's message when it refuses every journey write (a value it cannot hold). */
  unstorable: string | undefined;

  override async saveJourney(write: JourneyWrite): Promise<number> {
    // As the DynamoDB store reports a ValidationException.
    if (this.unstorable !== undefined) throw new UnstorableInputError(`DynamoDB cannot store this: ${this.unstorable}`);
    if (this.failNextSaveOf.delete(write.customerId)) {
      throw Object.assign(new Error('Throughput exceeds the current capacity of your table'), { name: 'ProvisionedThroughputExceededException' });
    }
    return super.saveJourney(write);
  }

  override async addCounters(rows: CounterRow[]): Promise<void> {
    this.counterWrites.push(rows);
    if (this.failCounterWrites) throw new Error('DynamoDB is unavailable');
    return super.addCounters(rows);
  }
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; data: Record<string, unknown> }> = [];
  const log: Logger = {
    info: (message, data = {}) => void lines.push({ level: 'info', message, data }),
    warn: (message, data = {}) => void lines.push({ level: 'warn', message, data }),
    error: (message, data = {}) => void lines.push({ level: 'error', message, data }),
  };
  return { log, lines };
}

/** The advance handler wired as in Lambda, but on memory: store, memory dead letters. */
function setUp(options: { concurrency?: number; store?: InstrumentedStore; workflows?: Workflow[] } = {}) {
  const store = options.store ?? new InstrumentedStore();
  const deadLetters = new MemoryDeadLetters();
  const counters = new BufferedCounters(store);
  const { log, lines } = recordingLogger();
  const service = new JourneyService({ registry: registryOf(options.workflows ?? workflow), store, counters, log });
  /** Processing time; a test may move it on. */
  const clock = { now: NOW };
  /** Each input's start and end, in the order they happened (the service's calls, as the handler makes them). */
  const timeline: string[] = [];
  const apply = service.apply.bind(service);
  service.apply = async (input, now) => {
    const who = input.kind === 'event' ? `${(input.event as { detail: { customerId: string } }).detail.customerId}:${(input.event as { 'detail-type': string })['detail-type']}` : `${input.customerId}:${input.kind}`;
    timeline.push(`start ${who}`);
    // A DynamoDB round trip: what concurrent customers overlap.
    await new Promise((resolve) => setTimeout(resolve, 5));
    try {
      return await apply(input, now);
    } finally {
      timeline.push(`end ${who}`);
    }
  };
  const handler = createAdvanceHandler({ service, store, deadLetters, counters, now: () => clock.now, log, ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) });
  /** The emails decided so far: what the stream would carry to the send path. */
  const decided: OutboxEntry[] = [];
  const outbox = () => {
    decided.push(...store.takeStream());
    return decided.map((e) => `${e.customerId} ${e.stepId} ${e.contentId}`);
  };
  return { store, deadLetters, handler, lines, clock, outbox, timeline };
}

let messageCounter = 0;

/** An SQS record carrying this body. */
function record(body: string, messageId = `msg-${++messageCounter}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(NOW), SenderId: 'AIDAEXAMPLE', ApproximateFirstReceiveTimestamp: String(NOW) },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:waymark-work',
    awsRegion: 'eu-west-1',
  };
}

const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const leadMessage = (customerId: string, messageId?: string) => record(JSON.stringify(lead(customerId, '2026-11-02T10:00:00Z')), messageId);

describe('advance handler: a batch of valid inputs', () => {
  it('applies every input and reports no failures', async () => {
    // Prepare
    const { handler, deadLetters, outbox } = setUp();

    // Act
    const response = await handler(batch(leadMessage('ana'), leadMessage('ben')));

    // Assess: decided and written, for the stream to carry; nothing sent by advance itself.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(outbox()).toEqual(['ana welcome article-1', 'ben welcome article-1']);
    expect(deadLetters.entries).toEqual([]);
  });

  it('applies a wake-up message from the sweep to the customer it names', async () => {
    // Prepare: Ana is waiting; two days later the sweep wakes her.
    const { handler, clock, outbox } = setUp();
    await handler(batch(leadMessage('ana')));
    clock.now = NOW + 2 * 86_400_000;
    const wake = record(encodeWorkMessage({ kind: 'wake', customerId: 'ana' }));

    // Act
    const response = await handler(batch(wake));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(outbox()).toEqual(['ana welcome article-1', 'ana follow-up article-2']);
  });

  it('applies the send path\'s notice that an address turned out to be suppressed: the journey ends "suppressed"', async () => {
    const { handler, store, clock } = setUp();
    await handler(batch(leadMessage('ana')));
    clock.now = NOW + 60_000;

    const response = await handler(batch(record(encodeWorkMessage({ kind: 'suppressed', customerId: 'ana', workflowId: 'test-journey' }))));

    expect(response).toEqual({ batchItemFailures: [] });
    expect((await store.loadJourney('ana', 'test-journey'))?.state).toMatchObject({ status: 'suppressed', stepId: null, dueAt: null });
  });
});

describe('advance handler: SES events from the configuration set', () => {
  const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  const sesEvent = (detailType: string, detail: Record<string, unknown>) =>
    record(JSON.stringify({ version: '0', id: `ses-${++messageCounter}`, source: 'aws.ses', 'detail-type': detailType, account: '111122223333', region: 'eu-west-1', resources: [], time: '2026-11-02T10:30:00Z', detail }));
  const mail = { timestamp: '2026-11-02T10:00:00Z', destination: ['ana@example.com'], tags: { [TAG.customer]: [base64url('ana')], [TAG.workflow]: ['test-journey'], [TAG.step]: [base64url('welcome')], [TAG.seq]: ['1'], [TAG.content]: ['article-1'] } };

  it('a permanent bounce suppresses the address at once and counts it on the email\'s step', async () => {
    const { handler, store } = setUp();
    await handler(batch(leadMessage('ana')));

    await handler(batch(sesEvent('Email Bounced', { eventType: 'Bounce', mail, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'ana@example.com' }] } })));

    expect(await store.isSuppressed('ana@example.com')).toBe(true);
    expect(await store.readCounters('test-journey')).toContainEqual(expect.objectContaining({ stepId: 'welcome', name: 'email.bounced', value: 1 }));
  });

  it('a click reaches the journey whose email it was: counted once, unique per email', async () => {
    const { handler, store } = setUp();
    await handler(batch(leadMessage('ana')));

    await handler(batch(sesEvent('Email Clicked', { eventType: 'Click', mail, click: { link: 'https://ledgerly.example/a' } }), sesEvent('Email Clicked', { eventType: 'Click', mail, click: { link: 'https://ledgerly.example/b' } })));

    expect((await store.loadJourney('ana', 'test-journey'))?.state).toMatchObject({ clicks: 1, opens: 1 });
  });
});

describe('advance handler: inputs that can never apply', () => {
  it('sends each to the dead-letter queue with its reason, and applies the rest of the batch', async () => {
    // Prepare: three unusable messages around a good one.
    const { handler, deadLetters, lines, outbox } = setUp();
    const notJson = record('{"detail-type": "lead.captured",');
    const noCustomer = record(JSON.stringify({ id: 'e-1', source: 'test.app', 'detail-type': 'lead.captured', time: '2026-11-02T10:00:00Z', detail: { profile: { email: 'x@example.com' } } }));
    const wakeWithoutCustomer = record(JSON.stringify({ type: 'waymark.wake', workflowId: 'test-journey' }));

    // Act
    const response = await handler(batch(notJson, noCustomer, leadMessage('ana'), wakeWithoutCustomer));

    // Assess: acknowledged (not retried), kept with their reasons, and Ana's lead applied.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters.entries).toEqual([
      { body: notJson.body, reason: expect.stringMatching(/^the message is not JSON: /) },
      { body: noCustomer.body, reason: expect.stringContaining('customerId') },
      { body: wakeWithoutCustomer.body, reason: 'a wake-up message needs a customerId (and, optionally, a workflowId)' },
    ]);
    expect(outbox()).toEqual(['ana welcome article-1']);
    expect(lines.filter((l) => l.message === 'input rejected: sent to the dead-letter queue').map((l) => l.data.messageId)).toEqual([notJson.messageId, noCustomer.messageId, wakeWithoutCustomer.messageId]);
  });

  it.each([
    ['a JSON array', '[1, 2, 3]', 'the message is not a JSON object'],
    ['JSON null', 'null', 'the message is not a JSON object'],
    ['a wake without customerId', JSON.stringify({ type: 'waymark.wake', workflowId: 'test-journey' }), 'a wake-up message needs a customerId (and, optionally, a workflowId)'],
    ['a suppression notice without its journey', JSON.stringify({ type: 'waymark.suppressed', customerId: 'ana' }), 'a suppression notice needs customerId and workflowId'],
    ['a profile holding 1e400 (Infinity once read)', '{"id":"p","source":"s","detail-type":"x","time":"2026-11-02T10:00:00Z","detail":{"customerId":"a","profile":{"score":1e400}}}', 'detail.profile: score: Infinity is not a number DynamoDB can store (the text was probably a number too large to read, like 1e400)'],
    ['a profile holding 1e200', '{"id":"p","source":"s","detail-type":"x","time":"2026-11-02T10:00:00Z","detail":{"customerId":"a","profile":{"score":1e200}}}', 'detail.profile: score: 1e+200 is outside the numbers DynamoDB can store (magnitudes from 1e-130 to below 1e126)'],
    ['a profile with an empty attribute name', '{"id":"p","source":"s","detail-type":"x","time":"2026-11-02T10:00:00Z","detail":{"customerId":"a","profile":{"":"x"}}}', 'detail.profile: an attribute name cannot be empty ("")'],
  ])('dead-letters %s with its reason', async (_case, body, reason) => {
    // Prepare
    const { handler, deadLetters } = setUp();

    // Act
    const response = await handler(batch(record(body)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters.entries).toEqual([{ body, reason }]);
  });
});

describe('advance handler: inputs the store cannot keep', () => {
  it('a profile that would grow past 32 KB stored is rejected with its size, on the first delivery; what was stored stays', async () => {
    const { handler, deadLetters, store } = setUp();
    // Five events of about 7 KB of new attributes each: each is under the 8 KB an event may carry.
    const bodies = Array.from({ length: 5 }, (_, i) => JSON.stringify(event('profile.updated', 'ana', `2026-11-02T0${i}:00:00Z`, { profile: { [`notes${i}`]: 'x'.repeat(7000) } })));

    const response = await handler(batch(...bodies.map((body) => record(body))));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters.entries).toEqual([{ body: bodies[4], reason: expect.stringMatching(/^detail\.profile: the customer's stored profile would be 35\d{3} bytes with this event, more than 32768: send only the attributes journeys use$/) }]);
    expect(Object.keys((await store.loadCustomer('ana')).profile)).toEqual(['notes0', 'notes1', 'notes2', 'notes3']);
  });

  it('a value DynamoDB refuses (its ValidationException) is a rejection with DynamoDB\'s reason, not a retry', async () => {
    const { handler, deadLetters, store } = setUp();
    store.unstorable = 'One or more parameter values were invalid: Number overflow. Attempting to store a number with magnitude larger than supported range';
    const body = JSON.stringify(lead('ana', '2026-11-02T10:00:00Z'));

    const response = await handler(batch(record(body)));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters.entries).toEqual([{ body, reason: `DynamoDB cannot store this: ${store.unstorable}` }]);
  });
});

describe('advance handler: transient errors', () => {
  it('reports the record that failed by its messageId, and applies the others', async () => {
    // Prepare: Ben's journey write fails once (DynamoDB throttling).
    const { handler, store, deadLetters, lines, outbox } = setUp();
    store.failNextSaveOf.add('ben');

    // Act
    const response = await handler(batch(leadMessage('ana', 'msg-ana'), leadMessage('ben', 'msg-ben'), leadMessage('cara', 'msg-cara')));

    // Assess: only Ben's record is retried; it is not a dead letter; Ana's and Cara's emails are decided.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-ben' }] });
    expect(deadLetters.entries).toEqual([]);
    expect(outbox().map((e) => e.split(' ')[0])).toEqual(['ana', 'cara']);
    expect(await store.loadJourney('ben', 'test-journey')).toBeUndefined();
    expect(lines).toContainEqual({
      level: 'error',
      message: 'input failed: SQS will retry it',
      data: { messageId: 'msg-ben', error: 'Throughput exceeds the current capacity of your table', name: 'ProvisionedThroughputExceededException' },
    });
  });

  it('applies the failed record when SQS delivers it again', async () => {
    // Prepare: the first delivery failed.
    const { handler, store, outbox } = setUp();
    store.failNextSaveOf.add('ben');
    const benLead = leadMessage('ben', 'msg-ben');
    await handler(batch(benLead));

    // Act
    const response = await handler(batch(benLead));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(outbox()).toEqual(['ben welcome article-1']);
  });
});

describe('advance handler: what the operator is told', () => {
  it('a journey on a workflow version that is no longer deployed is logged as "journey parked", the message the JourneysParked alarm counts', async () => {
    // Prepare: Ana waits in version 1; version 1 is removed and only version 2 is deployed.
    const before = setUp();
    await before.handler(batch(leadMessage('ana')));
    const after = setUp({ store: before.store, workflows: [defineWorkflow({ version: 2, steps: { welcome: { type: 'email', template: 'article-1' } } })] });
    after.clock.now = NOW + 2 * 86_400_000;

    // Act: the sweep wakes her.
    const response = await after.handler(batch(record(encodeWorkMessage({ kind: 'wake', customerId: 'ana' }), 'wake-ana')));

    // Assess: not retried (nothing would change), logged with the alarm's exact message, counted, out of the due index.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(after.lines.filter((l) => l.level === 'error')).toContainEqual({ level: 'error', message: JOURNEY_PARKED, data: expect.objectContaining({ messageId: 'wake-ana', customerId: 'ana', workflowId: 'test-journey', outcome: 'parked' }) });
    expect(JOURNEY_PARKED).toBe('journey parked');
    expect(await before.store.readCounters('test-journey')).toContainEqual(expect.objectContaining({ name: 'journey.parked:v1', value: 1 }));
    expect((await before.store.loadJourney('ana', 'test-journey'))?.state.dueAt).not.toBeNull();
  });

  it('customer data the engine could not use is logged once per customer and reason, with the journey, and counted', async () => {
    const windowed = defineWorkflow({ settings: { timezone: 'UTC', sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' } }, steps: { welcome: { type: 'email', template: 'article-1' } } });
    const { handler, lines, store } = setUp({ workflows: [windowed] });

    await handler(batch(record(JSON.stringify(lead('chi', '2026-11-02T10:00:00Z', { timezone: 'America/Chicgo' })))));

    expect(lines.filter((l) => l.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'customer data not usable: a fallback was taken',
        data: expect.objectContaining({ customerId: 'chi', workflowId: 'test-journey', reason: expect.stringContaining('"America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?)') }),
      },
    ]);
    expect(await store.readCounters('test-journey')).toContainEqual(expect.objectContaining({ name: 'warning:timezone-invalid', value: 1 }));
  });
});

describe('advance handler: counters', () => {
  const refused = (customerId: string) => record(JSON.stringify(lead(customerId, '2026-10-01T10:00:00Z')));

  it('a journey write carries its own counters (the stream adds them up); nothing else is written per input', async () => {
    // Prepare
    const { handler, store } = setUp();

    // Act
    await handler(batch(leadMessage('ana'), leadMessage('ben'), leadMessage('cara')));

    // Assess: no separate counter write for applied inputs; their counters rode on the journey writes.
    expect(store.counterWrites).toEqual([]);
    expect(await store.readCounters('test-journey')).toContainEqual(expect.objectContaining({ stepId: 'welcome', name: 'email.sent', value: 3 }));
  });

  it('writes the batch\'s other counters once, at its end, added up (here: three entries refused as too old)', async () => {
    const { handler, store } = setUp();

    await handler(batch(refused('ana'), refused('ben'), refused('cara')));

    expect(store.counterWrites).toHaveLength(1);
    expect(store.counterWrites[0]).toContainEqual(expect.objectContaining({ stepId: '_', name: 'entry.refused:too-old', value: 3 }));
    const keys = store.counterWrites[0]!.map((r) => `${r.day} ${r.stepId} ${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('writes no counters for a batch that counted nothing', async () => {
    // Prepare
    const { handler, store } = setUp();

    // Act
    await handler(batch(record('not json')));

    // Assess
    expect(store.counterWrites).toEqual([]);
  });

  it('does not fail the batch when the counter write fails: counters are analytics', async () => {
    // Prepare
    const { handler, store, lines } = setUp();
    store.failCounterWrites = true;

    // Act
    const response = await handler(batch(refused('ana'), leadMessage('ben')));

    // Assess: nothing retried, Ben's email decided, and the failure is in the log.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(store.takeStream()).toHaveLength(1);
    expect(store.counterWrites).toHaveLength(1);
    expect(lines).toContainEqual({ level: 'warn', message: 'counters could not be written', data: expect.objectContaining({ error: 'DynamoDB is unavailable' }) });
  });

  it('starts each batch with empty counters (a failed write is not carried into the next batch)', async () => {
    // Prepare: the first batch's counter write fails.
    const { handler, store } = setUp();
    store.failCounterWrites = true;
    await handler(batch(refused('ana')));
    store.failCounterWrites = false;

    // Act
    await handler(batch(refused('ben')));

    // Assess: the second write holds Ben's refusal only.
    expect(store.counterWrites).toHaveLength(2);
    expect(store.counterWrites[1]).toContainEqual(expect.objectContaining({ name: 'entry.refused:too-old', value: 1 }));
  });
});

describe('advance handler: different customers at once, each customer in order', () => {
  /** The most inputs in flight at once, from a timeline of starts and ends. */
  const mostAtOnce = (timeline: string[]) => {
    let now = 0;
    let most = 0;
    for (const line of timeline) most = Math.max(most, (now += line.startsWith('start') ? 1 : -1));
    return most;
  };
  const click = (customerId: string) =>
    record(JSON.stringify({ id: `click-${customerId}-${++messageCounter}`, source: 'com.ledgerly.web', 'detail-type': 'plan.viewed', time: '2026-11-02T10:05:00Z', detail: { customerId } }));

  it('applies the inputs of different customers concurrently, so a batch waits for DynamoDB about once, not once per customer', async () => {
    // Prepare
    const { handler, outbox, timeline } = setUp();

    // Act: five customers' leads in one batch.
    const response = await handler(batch(...['ana', 'ben', 'cara', 'dan', 'eve'].map((c) => leadMessage(c))));

    // Assess: all five in flight together, and all five decided.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mostAtOnce(timeline)).toBe(5);
    expect(outbox().sort()).toEqual(['ana', 'ben', 'cara', 'dan', 'eve'].map((c) => `${c} welcome article-1`));
  });

  it('applies one customer\'s inputs in the batch\'s order, one after the other', async () => {
    // Prepare
    const { handler, timeline } = setUp();

    // Act: Ana's lead, Ben's lead, then Ana's page view.
    await handler(batch(leadMessage('ana'), leadMessage('ben'), click('ana')));

    // Assess: Ana's second input starts only when her first has ended; Ben's overlaps them.
    const at = (line: string) => timeline.indexOf(line);
    expect(at('start ana:plan.viewed')).toBeGreaterThan(at('end ana:lead.captured'));
    expect(at('start ben:lead.captured')).toBeLessThan(at('end ana:lead.captured'));
  });

  it('keeps to its concurrency: 1 applies the batch in order, one input at a time', async () => {
    // Prepare
    const { handler, timeline } = setUp({ concurrency: 1 });

    // Act
    await handler(batch(leadMessage('ana'), leadMessage('ben'), leadMessage('cara')));

    // Assess
    expect(timeline).toEqual(['start ana:lead.captured', 'end ana:lead.captured', 'start ben:lead.captured', 'end ben:lead.captured', 'start cara:lead.captured', 'end cara:lead.captured']);
  });

  it('reports a failed record by its messageId while the other customers\' inputs apply', async () => {
    // Prepare: Ben's journey write fails once.
    const { handler, store, outbox } = setUp();
    store.failNextSaveOf.add('ben');

    // Act
    const response = await handler(batch(leadMessage('ana', 'm-ana'), leadMessage('ben', 'm-ben'), leadMessage('cara', 'm-cara')));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-ben' }] });
    expect(outbox().sort()).toEqual(['ana welcome article-1', 'cara welcome article-1']);
  });
});
