/**
 * The send handler: a batch of the table's stream records, as Lambda's event
 * source mapping delivers them. Given journey writes (their new and old
 * images), expect these emails handed to the mailer, these counters written
 * once per batch, and a partial batch failure naming the first record that
 * hit a transient error, so the stream retries from it and nothing before it
 * is sent twice.
 */
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { emptyJourney, type JourneyState } from '../../lib/engine/model';
import { DeliveryService } from '../../lib/runtime/delivery';
import { journeyImage } from '../../lib/runtime/dynamo-store';
import { createSendHandler } from '../../lib/runtime/handlers/send';
import { silentLogger } from '../../lib/runtime/journey-service';
import type { Mailer, OutgoingEmail, SendOutcome } from '../../lib/runtime/mailer';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { MemoryUnknownOutcomes } from '../../lib/runtime/queue';
import { EmailRenderer } from '../../lib/runtime/render';
import { MailThrottledError } from '../../lib/runtime/ses-mailer';
import type { CounterRow, OutboxEntry } from '../../lib/runtime/store';
import { SignedUnsubscribeLinks } from '../../lib/runtime/unsubscribe-token';
import { defineWorkflow, registryOf } from '../support/journeys';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const workflow = defineWorkflow({ steps: { welcome: { type: 'email', template: 'article-1', next: 'demo' }, demo: { type: 'email', template: 'demo' } } });
const registry = registryOf(workflow);

function entry(customerId: string, seq: number, contentId = 'article-1'): OutboxEntry {
  return { seq, customerId, workflowId: 'test-journey', version: 1, stepId: seq === 1 ? 'welcome' : 'demo', stage: null, contentId, to: `${customerId}@example.com`, at: NOW, decidedAt: NOW };
}

function state(customerId: string): JourneyState {
  return { ...emptyJourney(customerId, 'test-journey'), status: 'active', stepId: 'welcome', enteredAt: NOW, clock: NOW };
}

let sequence = 100;
/** The stream record of a journey write: its new image, and the image it replaced. */
function written(customerId: string, version: number, outbox: OutboxEntry[], counters: CounterRow[] = [], before?: { version: number; outbox: OutboxEntry[] }): DynamoDBRecord {
  const image = (v: number, ob: OutboxEntry[], mx: CounterRow[]) => journeyImage({ customerId, workflowId: 'test-journey', state: state(customerId), outbox: ob, counters: mx }, v);
  return {
    eventName: before ? 'MODIFY' : 'INSERT',
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: { pk: { S: `C#${customerId}` }, sk: { S: 'J#test-journey' } },
      NewImage: image(version, outbox, counters) as Record<string, never>,
      ...(before ? { OldImage: image(before.version, before.outbox, []) as Record<string, never> } : {}),
      SequenceNumber: String(++sequence),
    },
  };
}

const sent = (customerId: string): CounterRow => ({ workflowId: 'test-journey', day: '2026-11-02', stepId: 'welcome', name: 'email.sent', value: 1 });

class ScriptedMailer implements Mailer {
  readonly sent: string[] = [];
  /** Per address, what SES does with the next attempts. */
  readonly script = new Map<string, Array<'throttle' | 'reject' | 'unknown'>>();

  async send(email: OutgoingEmail): Promise<SendOutcome> {
    const next = this.script.get(email.entry.to)?.shift();
    if (next === 'throttle') throw new MailThrottledError('SES throttled 5 attempts to send');
    if (next === 'reject') return { status: 'rejected', reason: 'MessageRejected: Email address is not verified.' };
    if (next === 'unknown') return { status: 'unknown', reason: 'TimeoutError: read ECONNRESET' };
    this.sent.push(`${email.entry.customerId} ${email.entry.seq} ${email.rendered.subject}`);
    return { status: 'sent', messageId: `m-${this.sent.length}` };
  }
}

function setUp() {
  const store = new MemoryStore();
  const mailer = new ScriptedMailer();
  const unknown = new MemoryUnknownOutcomes();
  const notices: string[] = [];
  const delivery = new DeliveryService({
    registry,
    store,
    mailer,
    links: new SignedUnsubscribeLinks({ baseUrl: 'https://unsubscribe.example/u', key: 'send-test-signing-key-01' }),
    renderer: new EmailRenderer(),
    notices: { suppressed: async (customerId, workflowId) => void notices.push(`${customerId} ${workflowId}`) },
    unknown,
    log: silentLogger,
  });
  const counterWrites: CounterRow[][] = [];
  const counters = { addCounters: async (rows: CounterRow[]) => void counterWrites.push(rows) };
  const handler = createSendHandler({ delivery, store: counters, now: () => NOW, log: silentLogger });
  return { store, mailer, unknown, notices, counterWrites, handler };
}

describe('send handler: new outbox entries', () => {
  it('sends the emails a write added, not the ones its previous write had (the stream carried those already)', async () => {
    const { handler, mailer } = setUp();
    const first = written('ana', 1, [entry('ana', 1)], [sent('ana')]);
    const second = written('ana', 2, [entry('ana', 2, 'demo')], [], { version: 1, outbox: [entry('ana', 1)] });

    const response = await handler({ Records: [first, second] });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent).toEqual(['ana 1 Article 1 for you', 'ana 2 Book a demo']);
  });

  it("ignores writes that did not move the journey's version (a journey parked by the sweep) and items that are not journeys", async () => {
    const { handler, mailer, counterWrites } = setUp();
    // Parking moves the item in the due index only: its outbox and counters are those of the last journey write, already handled.
    const parked = written('ben', 3, [entry('ben', 1)], [sent('ben')], { version: 3, outbox: [entry('ben', 1)] });
    const profile: DynamoDBRecord = { eventName: 'MODIFY', dynamodb: { NewImage: { pk: { S: 'C#ben' }, sk: { S: 'P' } } as unknown as Record<string, never>, SequenceNumber: '1' } };

    await handler({ Records: [parked, profile] });

    expect(mailer.sent).toEqual([]);
    expect(counterWrites).toEqual([]);
  });

  it('adds up the counters of the whole batch and writes them once', async () => {
    const { handler, counterWrites } = setUp();

    await handler({ Records: [written('ana', 1, [entry('ana', 1)], [sent('ana')]), written('ben', 1, [entry('ben', 1)], [sent('ben')])] });

    expect(counterWrites).toEqual([[{ workflowId: 'test-journey', day: '2026-11-02', stepId: 'welcome', name: 'email.sent', value: 2 }]]);
  });
});

describe('send handler: failures', () => {
  it('stops at the first record SES throttles beyond its retries and names it, so the stream retries from there', async () => {
    const { handler, mailer, counterWrites } = setUp();
    mailer.script.set('ben@example.com', ['throttle']);
    const records = [written('ana', 1, [entry('ana', 1)], [sent('ana')]), written('ben', 1, [entry('ben', 1)], [sent('ben')]), written('cara', 1, [entry('cara', 1)], [sent('cara')])];

    const response = await handler({ Records: records });

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]!.dynamodb!.SequenceNumber }] });
    expect(mailer.sent).toEqual(['ana 1 Article 1 for you']);
    // Counters of the records before the failed one only: the retried ones count when they succeed.
    expect(counterWrites).toEqual([[expect.objectContaining({ name: 'email.sent', value: 1 })]]);

    // The stream retries from Ben: nobody gets a second email.
    const retried = await handler({ Records: records.slice(1) });
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(mailer.sent).toEqual(['ana 1 Article 1 for you', 'ben 1 Article 1 for you', 'cara 1 Article 1 for you']);
  });

  it('a batch delivered again to the same process sends nothing twice', async () => {
    const { handler, mailer } = setUp();
    const records = [written('ana', 1, [entry('ana', 1)]), written('ben', 1, [entry('ben', 1)])];

    await handler({ Records: records });
    await handler({ Records: records });

    expect(mailer.sent).toEqual(['ana 1 Article 1 for you', 'ben 1 Article 1 for you']);
  });

  it('a permanent rejection marks the email failed (counted, logged) and goes on', async () => {
    const { handler, mailer, counterWrites } = setUp();
    mailer.script.set('ana@example.com', ['reject']);

    const response = await handler({ Records: [written('ana', 1, [entry('ana', 1)]), written('ben', 1, [entry('ben', 1)])] });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(mailer.sent).toEqual(['ben 1 Article 1 for you']);
    expect(counterWrites.flat()).toContainEqual(expect.objectContaining({ stepId: 'welcome', name: 'email.failed', value: 1 }));
  });

  it('an email whose outcome is unknown is recorded for an operator and never resent blindly', async () => {
    const { handler, mailer, unknown, counterWrites } = setUp();
    mailer.script.set('ana@example.com', ['unknown']);
    const records = [written('ana', 1, [entry('ana', 1)])];

    await handler({ Records: records });
    await handler({ Records: records });

    expect(mailer.sent).toEqual([]);
    expect(unknown.entries).toEqual([{ entry: expect.objectContaining({ customerId: 'ana', seq: 1 }), reason: 'TimeoutError: read ECONNRESET' }]);
    expect(counterWrites.flat()).toContainEqual(expect.objectContaining({ name: 'email.unknown', value: 1 }));
  });

  it('an address suppressed since the decision gets nothing; its journey is told through the work queue', async () => {
    const { handler, mailer, store, notices } = setUp();
    await store.suppress({ address: 'ANA@example.com', reason: 'unsubscribe', at: NOW - 1 });

    await handler({ Records: [written('ana', 1, [entry('ana', 1)])] });

    expect(mailer.sent).toEqual([]);
    expect(notices).toEqual(['ana test-journey']);
  });

  it('content that fails to render is marked failed with the reason, never retried', async () => {
    const broken = registryOf(defineWorkflow({ steps: { welcome: { type: 'email', template: 'article-1' } } }), [{ id: 'article-1', kind: 'article', subject: '{{ profile.name | nosuchfilter }}', html: '<p>x</p>' }]);
    const store = new MemoryStore();
    const mailer = new ScriptedMailer();
    const rows: CounterRow[] = [];
    const delivery = new DeliveryService({ registry: broken, store, mailer, links: new SignedUnsubscribeLinks({ baseUrl: 'https://u.example/u', key: 'send-test-signing-key-01' }), renderer: new EmailRenderer(), notices: { suppressed: async () => {} }, unknown: new MemoryUnknownOutcomes(), log: silentLogger });

    const outcome = await delivery.deliver(entry('ana', 1), NOW, rows);

    expect(outcome).toEqual({ status: 'failed', reason: expect.stringContaining('article-1') });
    expect(rows).toEqual([expect.objectContaining({ name: 'email.failed' })]);
  });
});
