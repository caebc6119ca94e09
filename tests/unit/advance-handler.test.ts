/**
 * The advance handler: one SQS batch of inputs, applied one by one through the
 * journey service (here on a memory store with a recording mailer, as
 * `waymark run` wires them).
 *
 * - An input that can never apply goes to the dead-letter queue with its
 *   reason, and is acknowledged: it never blocks the batch.
 * - An input that hit a transient error is reported in `batchItemFailures`, so
 *   SQS retries that one record alone.
 * - Counters are added up for the whole batch and written once at its end; a
 *   failed counter write is logged and never fails the batch.
 */
import { createHash } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { BufferedCounters } from '../../lib/runtime/counters';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { JourneyService, type Logger } from '../../lib/runtime/journey-service';
import { RecordingMailer } from '../../lib/runtime/mailer';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { encodeWorkMessage, MemoryDeadLetters } from '../../lib/runtime/queue';
import { EmailRenderer } from '../../lib/runtime/render';
import type { CounterRow, JourneyWrite } from '../../lib/runtime/store';
import { SignedUnsubscribeLinks } from '../../lib/runtime/unsubscribe-token';
import { defineWorkflow, lead, registryOf } from '../support/journeys';

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

  override async saveJourney(write: JourneyWrite): Promise<number> {
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

/** The advance handler wired as in Lambda, but on memory: store, recording mailer, memory dead letters. */
function setUp() {
  const store = new InstrumentedStore();
  const mailer = new RecordingMailer();
  const deadLetters = new MemoryDeadLetters();
  const counters = new BufferedCounters(store);
  const { log, lines } = recordingLogger();
  const service = new JourneyService({
    registry: registryOf(workflow),
    store,
    mailer,
    links: new SignedUnsubscribeLinks({ baseUrl: 'https://unsubscribe.example/u', key: 'advance-test-signing-key' }),
    renderer: new EmailRenderer(),
    counters,
    log,
  });
  /** Processing time; a test may move it on. */
  const clock = { now: NOW };
  const handler = createAdvanceHandler({ service, deadLetters, counters, now: () => clock.now, log });
  return { store, mailer, deadLetters, handler, lines, clock };
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
    const { handler, mailer, deadLetters } = setUp();

    // Act
    const response = await handler(batch(leadMessage('ana'), leadMessage('ben')));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent.map((e) => `${e.customerId} ${e.stepId} ${e.contentId}`)).toEqual(['ana welcome article-1', 'ben welcome article-1']);
    expect(deadLetters.entries).toEqual([]);
  });

  it('applies a wake-up message from the sweep to the journey it names', async () => {
    // Prepare: Ana is waiting; two days later the sweep wakes her journey.
    const { handler, mailer, clock } = setUp();
    await handler(batch(leadMessage('ana')));
    clock.now = NOW + 2 * 86_400_000;
    const wake = record(encodeWorkMessage({ kind: 'wake', customerId: 'ana', workflowId: 'test-journey' }));

    // Act
    const response = await handler(batch(wake));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent.map((e) => `${e.customerId} ${e.stepId}`)).toEqual(['ana welcome', 'ana follow-up']);
  });
});

describe('advance handler: inputs that can never apply', () => {
  it('sends each to the dead-letter queue with its reason, and applies the rest of the batch', async () => {
    // Prepare: three unusable messages around a good one.
    const { handler, mailer, deadLetters, lines } = setUp();
    const notJson = record('{"detail-type": "lead.captured",');
    const noCustomer = record(JSON.stringify({ id: 'e-1', source: 'test.app', 'detail-type': 'lead.captured', time: '2026-11-02T10:00:00Z', detail: { profile: { email: 'x@example.com' } } }));
    const wakeWithoutWorkflow = record(JSON.stringify({ type: 'waymark.wake', customerId: 'ana' }));

    // Act
    const response = await handler(batch(notJson, noCustomer, leadMessage('ana'), wakeWithoutWorkflow));

    // Assess: acknowledged (not retried), kept with their reasons, and Ana's lead applied.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(deadLetters.entries).toEqual([
      { body: notJson.body, reason: expect.stringMatching(/^the message is not JSON: /) },
      { body: noCustomer.body, reason: expect.stringContaining('customerId') },
      { body: wakeWithoutWorkflow.body, reason: 'a wake-up message needs customerId and workflowId' },
    ]);
    expect(mailer.sent.map((e) => e.customerId)).toEqual(['ana']);
    expect(lines.filter((l) => l.message === 'input rejected: sent to the dead-letter queue').map((l) => l.data.messageId)).toEqual([notJson.messageId, noCustomer.messageId, wakeWithoutWorkflow.messageId]);
  });

  it.each([
    ['a JSON array', '[1, 2, 3]', 'the message is not a JSON object'],
    ['JSON null', 'null', 'the message is not a JSON object'],
    ['a wake without customerId', JSON.stringify({ type: 'waymark.wake', workflowId: 'test-journey' }), 'a wake-up message needs customerId and workflowId'],
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

describe('advance handler: transient errors', () => {
  it('reports the record that failed by its messageId, and applies the others', async () => {
    // Prepare: Ben's journey write fails once (DynamoDB throttling).
    const { handler, store, mailer, deadLetters, lines } = setUp();
    store.failNextSaveOf.add('ben');

    // Act
    const response = await handler(batch(leadMessage('ana', 'msg-ana'), leadMessage('ben', 'msg-ben'), leadMessage('cara', 'msg-cara')));

    // Assess: only Ben's record is retried; it is not a dead letter; Ana and Cara got their email.
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-ben' }] });
    expect(deadLetters.entries).toEqual([]);
    expect(mailer.sent.map((e) => e.customerId)).toEqual(['ana', 'cara']);
    expect(await store.loadJourney('ben', 'test-journey')).toBeUndefined();
    expect(lines).toContainEqual({
      level: 'error',
      message: 'input failed: SQS will retry it',
      data: { messageId: 'msg-ben', error: 'Throughput exceeds the current capacity of your table', name: 'ProvisionedThroughputExceededException' },
    });
  });

  it('applies the failed record when SQS delivers it again', async () => {
    // Prepare: the first delivery failed.
    const { handler, store, mailer } = setUp();
    store.failNextSaveOf.add('ben');
    const benLead = leadMessage('ben', 'msg-ben');
    await handler(batch(benLead));

    // Act
    const response = await handler(batch(benLead));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent.map((e) => `${e.customerId} ${e.stepId}`)).toEqual(['ben welcome']);
  });
});

describe('advance handler: counters', () => {
  it('writes the batch\'s counters once, at its end, added up', async () => {
    // Prepare
    const { handler, store } = setUp();

    // Act
    await handler(batch(leadMessage('ana'), leadMessage('ben'), leadMessage('cara')));

    // Assess: one write for three inputs, each row already summed over the batch.
    expect(store.counterWrites).toHaveLength(1);
    const rows = await store.readCounters('test-journey');
    expect(rows).toContainEqual(expect.objectContaining({ stepId: 'welcome', name: 'email.sent', value: 3 }));
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
    const { handler, store, mailer, lines } = setUp();
    store.failCounterWrites = true;

    // Act
    const response = await handler(batch(leadMessage('ana'), leadMessage('ben')));

    // Assess: nothing retried, the emails went, and the failure is in the log.
    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent).toHaveLength(2);
    expect(store.counterWrites).toHaveLength(1);
    expect(lines).toContainEqual({ level: 'warn', message: 'counters could not be written', data: expect.objectContaining({ error: 'DynamoDB is unavailable' }) });
  });

  it('starts each batch with empty counters (a failed write is not carried into the next batch)', async () => {
    // Prepare: the first batch's counter write fails.
    const { handler, store } = setUp();
    store.failCounterWrites = true;
    await handler(batch(leadMessage('ana')));
    store.failCounterWrites = false;

    // Act
    await handler(batch(leadMessage('ben')));

    // Assess: the second write holds Ben's counts only.
    expect(store.counterWrites).toHaveLength(2);
    expect(store.counterWrites[1]).toContainEqual(expect.objectContaining({ stepId: 'welcome', name: 'email.sent', value: 1 }));
  });
});
