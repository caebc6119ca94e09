/**
 * The delivery guarantees of DESIGN.md, each against the real local servers
 * (DynamoDB Local, the local SES server) through the Lambda handlers:
 * - redelivery and racing batches send each email once and leave one state;
 * - a crash after the state write still sends the email once (the write is what sends it, through the stream);
 * - nothing is ever sent to a suppressed address; the customer becomes "suppressed";
 * - older events apply by their own time where the workflow allows, and never rewind a finished customer;
 * - a paused journey sends nothing, an email already on its way included, and sends what it held once on resume.
 */
import { describe, expect, it } from 'vitest';
import { defineWorkflow, registryOf } from '../support/journeys';
import { createLocalRuntime, uniqueAddress } from '../support/local-runtime';

const workflow = defineWorkflow({
  id: 'guarantees',
  entry: { on: { 'detail-type': ['lead.captured'] }, reentry: 'after-exit' },
  goal: { on: { 'detail-type': ['order.placed'] }, stage: 'purchase' },
  steps: {
    welcome: { type: 'email', stage: 'awareness', template: 'article-1', next: 'clicked?' },
    'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P2D' }, next: 'demo', timeoutNext: 'follow-up' },
    demo: { type: 'email', stage: 'decision', template: 'demo' },
    'follow-up': { type: 'email', template: 'article-2' },
  },
});
const registry = registryOf(workflow);

let counter = 0;
function lead(customerId: string, email: string, time: string, id = `lead-${++counter}`) {
  return { id, source: 'test.web', 'detail-type': 'lead.captured', time, detail: { customerId, profile: { email, firstName: 'Ana' } } };
}

describe('the same event delivered twice, or racing batches', () => {
  it('a redelivered event sends each email once and leaves one consistent state', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('twice');
    const event = lead('c-twice', address, '2026-11-02T10:00:00Z');
    await runtime.send(event);
    await runtime.send(event);
    await runtime.advanceTo('2026-11-05T00:00:00Z');
    await runtime.send(event);

    const messages = await runtime.messagesTo(address);
    expect(messages.map((m) => m.subject)).toEqual(['Article 1 for Ana', 'Article 2']);
    const journey = await runtime.journey('c-twice', 'guarantees');
    expect(journey?.state).toMatchObject({ status: 'completed', entries: 1, emailsSent: 2 });
  });

  it('two batches racing for one customer (many workers) send each email once', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('race');
    const event = JSON.stringify(lead('c-race', address, '2026-11-02T10:00:00Z'));
    const click = JSON.stringify({ id: 'click-1', source: 'aws.ses', 'detail-type': 'Email Clicked', time: '2026-11-02T11:00:00Z', detail: { customerId: 'c-race', workflowId: 'guarantees', stepId: 'welcome', emailSeq: 1 } });
    runtime.clock.now = Date.parse('2026-11-02T11:00:00Z');
    // Eight workers receive the same messages at once (SQS at-least-once delivery, a retried batch).
    const failures = await Promise.all(Array.from({ length: 8 }, () => runtime.deliver([event, click])));
    // A worker that lost every race may hand its input back to the queue: SQS would redeliver it.
    await runtime.deliver(failures.flat());

    const messages = await runtime.messagesTo(address);
    expect(messages.map((m) => m.subject).sort()).toEqual(['Article 1 for Ana', 'Book a demo']);
    const journey = await runtime.journey('c-race', 'guarantees');
    expect(journey?.state).toMatchObject({ status: 'completed', stage: 'decision', emailsSent: 2, clicks: 1 });
  });
});

describe('a crash after the state write', () => {
  it('still sends the email, once: the write put it on the stream, and the redelivered input is a duplicate', async () => {
    let crash = true;
    const runtime = await createLocalRuntime({
      registry,
      start: '2026-11-02T10:00:00Z',
      faults: (point) => {
        if (point === 'after-state-write' && crash) {
          crash = false;
          throw new Error('simulated crash: the process died after writing the state');
        }
      },
    });
    const address = uniqueAddress('crash');
    const event = lead('c-crash', address, '2026-11-02T10:00:00Z');

    const failed = await runtime.advanceOnly([JSON.stringify(event)]);
    expect(failed).toHaveLength(1); // the batch item failed: SQS will redeliver it
    expect((await runtime.journey('c-crash', 'guarantees'))?.outbox.map((e) => e.contentId)).toEqual(['article-1']);

    // SQS redelivers the event: a duplicate, nothing new is decided. The stream sends what the first write decided.
    await runtime.send(event);
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana']);
    await runtime.advanceTo('2026-11-03T00:00:00Z');
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana']);
  });
});

describe('suppressed addresses', () => {
  it('never receive an email, whatever the journey says; the customer becomes "suppressed"', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('suppressed');
    await runtime.store.suppress({ address: address.toUpperCase(), reason: 'complaint', at: Date.parse('2026-11-01T00:00:00Z') });
    await runtime.send(lead('c-suppressed', address, '2026-11-02T10:00:00Z'));
    await runtime.advanceTo('2026-11-06T00:00:00Z');

    expect(await runtime.messagesTo(address)).toEqual([]);
    expect((await runtime.journey('c-suppressed', 'guarantees'))?.state).toMatchObject({ status: 'suppressed', stepId: null, dueAt: null });
  });

  it('an address suppressed mid-journey gets nothing more', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('bounced');
    await runtime.send(lead('c-bounced', address, '2026-11-02T10:00:00Z'));
    await runtime.sesEvents({
      version: '0',
      id: 'bounce-1',
      source: 'aws.ses',
      'detail-type': 'Email Bounced',
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
      time: '2026-11-02T10:05:00Z',
      detail: { eventType: 'Bounce', mail: { destination: [address] }, bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: address }] } },
    });
    await runtime.advanceTo('2026-11-06T00:00:00Z');
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana']);
    expect((await runtime.journey('c-bounced', 'guarantees'))?.state.status).toBe('suppressed');
  });
});

describe('a paused journey, through the handlers', () => {
  it('an email decided before the pause and reaching the send path after it is held, not sent, and goes once on resume', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('in-flight');
    // advance decides the welcome email; the pause lands before the send function reads the stream.
    await runtime.advanceOnly([JSON.stringify(lead('c-in-flight', address, '2026-11-02T10:00:00Z'))]);
    await runtime.lifecycle('guarantees', 'pause');
    await runtime.settle();
    expect(await runtime.messagesTo(address)).toEqual([]);

    // Paused for a week: the follow-up is held at its step too.
    await runtime.advanceTo('2026-11-09T10:00:00Z');
    expect(await runtime.messagesTo(address)).toEqual([]);
    expect((await runtime.journey('c-in-flight', 'guarantees'))?.state).toMatchObject({ status: 'active', stepId: 'follow-up', held: true });

    await runtime.lifecycle('guarantees', 'resume');
    await runtime.sweepOnce();
    await runtime.settle();
    expect((await runtime.messagesTo(address)).map((m) => m.subject).sort()).toEqual(['Article 1 for Ana', 'Article 2']);
    // Nothing goes twice: more sweeps and stream reads send nothing new.
    runtime.clock.now += 60_000;
    await runtime.sweepOnce();
    await runtime.settle();
    expect(await runtime.messagesTo(address)).toHaveLength(2);
    expect((await runtime.journey('c-in-flight', 'guarantees'))?.state.status).toBe('completed');
  });

  it('resumed with --drop-held: the held emails are dropped, counted, and never sent', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('dropped');
    await runtime.advanceOnly([JSON.stringify(lead('c-dropped', address, '2026-11-02T10:00:00Z'))]);
    await runtime.lifecycle('guarantees', 'pause');
    await runtime.settle();
    await runtime.advanceTo('2026-11-05T10:00:00Z');
    runtime.clock.now += 60_000;
    await runtime.lifecycle('guarantees', 'resume', { dropHeld: true });
    await runtime.sweepOnce();
    await runtime.settle();
    expect(await runtime.messagesTo(address)).toEqual([]);
    expect((await runtime.journey('c-dropped', 'guarantees'))?.state.status).toBe('completed');
    const counters = await runtime.store.readCounters('guarantees');
    expect(counters.filter((r) => r.name.startsWith('email.dropped:')).reduce((sum, r) => sum + r.value, 0)).toBe(2);
  });

  it('a stop ends the active customers through the sweep, and an email on its way is not sent', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('stopped');
    await runtime.advanceOnly([JSON.stringify(lead('c-stopped', address, '2026-11-02T10:00:00Z'))]);
    const { ended } = await runtime.lifecycle('guarantees', 'stop');
    expect(ended).toBe(1);
    await runtime.settle();
    await runtime.sweepOnce();
    expect(await runtime.messagesTo(address)).toEqual([]);
    expect((await runtime.journey('c-stopped', 'guarantees'))?.state.status).toBe('exited');
    await runtime.send(lead('c-late', uniqueAddress('late'), '2026-11-02T11:00:00Z'));
    expect(await runtime.journey('c-late', 'guarantees')).toBeUndefined();
  });
});

describe('out-of-order events', () => {
  it('an older event is applied by its own time where the workflow allows it', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('late-click');
    await runtime.send(lead('c-late', address, '2026-11-02T10:00:00Z'));
    // The click happened at 11:00 but arrives at 15:00: it is inside the wait, so it counts, at 11:00.
    runtime.clock.now = Date.parse('2026-11-02T15:00:00Z');
    await runtime.send({ id: 'late-click', source: 'aws.ses', 'detail-type': 'Email Clicked', time: '2026-11-02T11:00:00Z', detail: { customerId: 'c-late', workflowId: 'guarantees' } });
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana', 'Book a demo']);
    expect((await runtime.journey('c-late', 'guarantees'))?.state).toMatchObject({ status: 'completed', stage: 'decision' });
  });

  it('never rewinds a finished customer', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('no-rewind');
    await runtime.send(lead('c-done', address, '2026-11-02T10:00:00Z'));
    runtime.clock.now = Date.parse('2026-11-03T10:00:00Z');
    await runtime.send({ id: 'order-1', source: 'test.shop', 'detail-type': 'order.placed', time: '2026-11-03T10:00:00Z', detail: { customerId: 'c-done' } });
    // A lead captured before the conversion, delivered after it: re-entry is "after-exit", but not into the past.
    runtime.clock.now = Date.parse('2026-11-03T12:00:00Z');
    await runtime.send(lead('c-done', address, '2026-11-02T18:00:00Z', 'late-lead'));
    await runtime.advanceTo('2026-11-08T00:00:00Z');

    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana']);
    expect((await runtime.journey('c-done', 'guarantees'))?.state).toMatchObject({ status: 'converted', stage: 'purchase', entries: 1 });
  });
});

describe('invalid input', () => {
  it('goes to the dead-letter path with its reason and does not fail the rest of the batch', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('batch');
    const failures = await runtime.deliver(['not json', JSON.stringify({ id: 'x', source: 's', 'detail-type': 'lead.captured', time: '2026-11-02T10:00:00Z', detail: {} }), JSON.stringify(lead('c-batch', address, '2026-11-02T10:00:00Z'))]);
    expect(failures).toEqual([]);
    expect(runtime.deadLetters.entries.map((e) => e.reason)).toEqual([
      expect.stringContaining('not JSON'),
      'detail.customerId: required: "customerId", the customer the event is about',
    ]);
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ana']);
  });
});
