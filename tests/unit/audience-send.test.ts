/**
 * Sending Audience Joined events with PutEvents: batches of ten at a bounded
 * rate, partial failures retried with back-off, what still fails reported
 * with its reason. EventBridge's answers are played by `aws-sdk-client-mock`;
 * the last tests talk to `waymark dev`'s bus over HTTP with the real client.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, EventBridgeServiceException, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { audienceJoined } from '../../lib/audience/audience-joined';
import { eventBridgeClient, PutEventsSender, PutEventsStoppedError } from '../../lib/audience/put-events';
import { audienceImportCommand } from '../../lib/cli/audience-command';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/runtime/local-servers';
import { type LocalBusServer, startLocalBusServer } from '../support/local-bus-server';

const events = mockClient(EventBridgeClient);
afterEach(() => events.reset());

const joined = (n: number) => audienceJoined({ id: `e-${n}`, time: '2026-11-02T14:00:00.000Z', customerId: `c-${n}`, audience: 'spring-webinar', profile: { email: `c${n}@example.com` } });

/** A sender on a virtual clock: sleeping moves the clock, so pacing and back-off are exact and instant. */
function sender(options: { rate?: number; maxAttempts?: number } = {}) {
  const clock = { now: 0, slept: [] as number[] };
  const s = new PutEventsSender<number>({
    client: new EventBridgeClient({ region: 'us-east-1' }),
    busName: 'waymark-bus',
    ratePerSecond: options.rate ?? 1000,
    maxAttempts: options.maxAttempts ?? 6,
    concurrency: 1,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
  });
  return { s, clock };
}

async function put(s: PutEventsSender<number>, count: number) {
  for (let i = 1; i <= count; i++) await s.add({ event: joined(i), ref: i });
  return s.flush();
}

const entriesOf = (call: number) => (events.commandCalls(PutEventsCommand)[call]!.args[0].input as PutEventsCommandInput).Entries!;

describe('PutEventsSender', () => {
  it('puts batches of ten on the named bus, with the event as EventBridge needs it (EventBridge sets id and time)', async () => {
    events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: input.Entries!.map((_, i) => ({ EventId: `id-${i}` })) }));
    const { s } = sender();
    expect(await put(s, 23)).toEqual([]);
    expect(events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries!.length)).toEqual([10, 10, 3]);
    expect(entriesOf(0)[0]).toEqual({
      EventBusName: 'waymark-bus',
      Source: 'waymark.audience',
      DetailType: 'Audience Joined',
      // The derived id travels in the detail: EventBridge gives the entry an id of its own.
      Detail: '{"customerId":"c-1","audience":"spring-webinar","profile":{"email":"c1@example.com"},"eventId":"e-1"}',
    });
    expect(s.sent).toBe(23);
  });

  it('sends again only the entries that failed for a passing reason, and reports the others at once with theirs', async () => {
    events
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { EventId: 'b' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'd' },
          { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'c' }] });
    const { s, clock } = sender();
    const failed = await put(s, 5);
    expect(entriesOf(1).map((e) => JSON.parse(e.Detail!).customerId)).toEqual(['c-3']);
    expect(failed).toEqual([{ ref: 5, event: joined(5), reason: 'not sent: MalformedDetail: Detail is malformed.' }]);
    expect(s.sent).toBe(4);
    expect(clock.slept).toEqual([150]); // back-off before the second attempt: 100-200 ms, with jitter
  });

  it('backs off exponentially while EventBridge keeps throttling, then reports each entry still failing', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 2, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Try again' }] });
    const { s, clock } = sender({ maxAttempts: 4 });
    const failed = await put(s, 2);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(4);
    expect(clock.slept).toEqual([150, 300, 600]);
    expect(failed.map((f) => f.reason)).toEqual(['not sent after 4 attempts: ThrottlingException: Rate exceeded', 'not sent after 4 attempts: InternalFailure: Try again']);
  });

  it('retries a whole request that failed (throttled, a 5xx, the network) like failed entries', async () => {
    const throttled = new EventBridgeServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Rate exceeded' });
    events.on(PutEventsCommand).rejectsOnce(throttled).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'a' }, { EventId: 'b' }] });
    const { s } = sender();
    expect(await put(s, 2)).toEqual([]);
    expect(s.sent).toBe(2);
  });

  it('stops at an error every request would meet (no such bus, access denied) rather than failing each batch', async () => {
    const missing = new EventBridgeServiceException({ name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Event bus waymark-bus does not exist.' });
    events.on(PutEventsCommand).rejects(missing);
    const { s } = sender();
    await expect(put(s, 25)).rejects.toThrow(PutEventsStoppedError);
    await expect(s.flush()).rejects.toThrow('EventBridge refused the request: ResourceNotFoundException: Event bus waymark-bus does not exist.');
  });

  it('`waymark audience import --bus` stops with exit code 2 when the bus does not exist, saying so', async () => {
    const output: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void output.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args) => void output.push(args.join(' ')));
    events.on(PutEventsCommand).rejects(new EventBridgeServiceException({ name: 'ResourceNotFoundException', $fault: 'client', $metadata: { httpStatusCode: 400 }, message: 'Event bus waymark-typo does not exist.' }));
    const dir = mkdtempSync(join(tmpdir(), 'waymark-audience-'));
    const list = join(dir, 'leads.csv');
    writeFileSync(list, `email\n${Array.from({ length: 30 }, (_, i) => `c${i}@example.com`).join('\n')}\n`);
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', bus: 'waymark-typo', region: 'eu-west-1' })).toBe(2);
    expect(output.join('\n')).toMatch(/stopped at line \d+: EventBridge refused the request: ResourceNotFoundException: Event bus waymark-typo does not exist\./);
    vi.restoreAllMocks();
  });

  it('keeps to the rate: the n-th event starts no earlier than n / rate seconds', async () => {
    events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: input.Entries!.map(() => ({ EventId: 'x' })) }));
    const { s, clock } = sender({ rate: 20 });
    await put(s, 100);
    // Ten batches: the last starts once 90 events' worth of time (4.5 s) has passed.
    expect(clock.now).toBe(4500);
  });

  it('does not save up a quiet minute for a burst: at most one second of unused rate is credited', async () => {
    events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: input.Entries!.map(() => ({ EventId: 'x' })) }));
    const { s, clock } = sender({ rate: 20 });
    await put(s, 10);
    clock.now += 60_000; // nothing to send for a minute
    const before = clock.now;
    for (let i = 1; i <= 100; i++) await s.add({ event: joined(i), ref: i });
    await s.flush();
    // 100 events at 20/s: the last batch starts 4.5 s after the first, less the one second credited.
    expect(clock.now - before).toBe(3500);
  });
});

describe('sending to a running `waymark dev` (its bus over HTTP, the real EventBridge client)', () => {
  let bus: LocalBusServer;
  beforeAll(async () => {
    bus = await startLocalBusServer();
  });
  afterAll(() => bus.stop());
  beforeEach(() => {
    events.restore();
    bus.events.length = 0;
  });

  it('puts every event on the bus', async () => {
    const s = new PutEventsSender<number>({ client: eventBridgeClient({ endpoint: bus.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), ratePerSecond: 1000 });
    expect(await put(s, 12)).toEqual([]);
    expect(bus.events.map((e) => e.detail.customerId)).toEqual(Array.from({ length: 12 }, (_, i) => `c-${i + 1}`));
    expect(bus.events[0]).toMatchObject({ source: 'waymark.audience', 'detail-type': 'Audience Joined', detail: { audience: 'spring-webinar', profile: { email: 'c1@example.com' } } });
  });

  it('`waymark audience import --endpoint` imports a list, rejected rows apart', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    const dir = mkdtempSync(join(tmpdir(), 'waymark-audience-'));
    const list = join(dir, 'leads.csv');
    writeFileSync(list, 'customerId,email,firstName\nc-1,ana@example.com,Ana\nc-2,ben@,Ben\nc-3,cara@example.com,Cara\n');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', endpoint: bus.endpoint })).toBe(1);
    expect(bus.events.map((e) => [e.detail.customerId, e.detail.profile])).toEqual([
      ['c-1', { email: 'ana@example.com', firstName: 'Ana' }],
      ['c-3', { email: 'cara@example.com', firstName: 'Cara' }],
    ]);
    vi.restoreAllMocks();
  });
});
