/**
 * The segment job against DynamoDB Local, with profiles stored by the real
 * advance handler and events put on `waymark dev`'s bus over HTTP: customers
 * whose stored profile matches join the audience once, suppressed customers
 * never, a journey that enters on the audience takes them in, and a run cut
 * short by the time limit is finished by the next.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AudienceJoinedEvent } from '../../lib/audience/audience-joined';
import { loadScanCursor, memberKey, saveScanCursor, scanSegment, type SegmentRule } from '../../lib/audience/segment-scan';
import { silentLogger } from '../../lib/runtime/journey-service';
import { createSegmentHandler, type SegmentJobInput } from '../../lib/runtime/handlers/segment';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../lib/runtime/local-servers';
import { defineWorkflow, lead, registryOf } from '../support/journeys';
import { createLocalRuntime, type LocalRuntime } from '../support/local-runtime';
import { type LocalBusServer, startLocalBusServer } from '../support/local-bus-server';

const START = '2026-11-02T14:00:00Z';
const DAY = 86_400_000;

const nurture = defineWorkflow({ id: 'nurture', steps: { welcome: { type: 'email', content: { kind: 'article' } } } });
const trialNudge = defineWorkflow({
  id: 'trial-nudge',
  entry: { on: { 'detail-type': ['Audience Joined'], detail: { audience: ['trial-users'] } } },
  steps: { nudge: { type: 'email', template: 'demo' } },
});

const trialUsers: SegmentRule = { id: 'trial-users', audience: 'trial-users', profile: { plan: ['trial'], seats: [{ numeric: ['>=', 2] }] } };
const scan = { readUnitsPerSecond: 1000, parallel: 3, eventsPerSecond: 1000 };

let runtime: LocalRuntime;
let bus: LocalBusServer;

beforeAll(async () => {
  runtime = await createLocalRuntime({ registry: registryOf([nurture, trialNudge]), start: START });
  bus = await startLocalBusServer();
  // Leads captured through the advance handler: their profiles are stored as production stores them.
  await runtime.send(
    lead('ana', START, { plan: 'trial', seats: 3 }),
    lead('ben', START, { plan: 'trial', seats: 5 }),
    lead('cara', START, { plan: 'trial', seats: 1 }), // too few seats
    lead('dev', START, { plan: 'pro', seats: 10 }),
    lead('eve', START, { plan: 'trial', seats: 2 }), // complained: suppressed
  );
  await runtime.store.suppress({ address: 'eve@example.com', reason: 'complaint', at: Date.parse(START), customerId: 'eve' });
});

afterAll(async () => {
  await bus.stop();
});

function handler(now: () => number) {
  return createSegmentHandler({
    dynamo: runtime.dynamo,
    tableName: runtime.tableName,
    events: new EventBridgeClient({ endpoint: bus.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }),
    busName: 'waymark-test',
    now,
    log: silentLogger,
  });
}

async function membership(customerId: string, audience = 'trial-users') {
  const output = await runtime.dynamo.send(new GetItemCommand({ TableName: runtime.tableName, Key: marshall(memberKey(customerId, audience)), ConsistentRead: true }));
  return output.Item ? unmarshall(output.Item) : undefined;
}

const joinedIds = () => bus.events.map((e) => e.detail.customerId).sort();

describe('the segment job', () => {
  it('puts Audience Joined on the bus for each matching customer, records them as members, and skips the suppressed', async () => {
    const at = Date.parse(START) + DAY;
    const summary = await handler(() => at)({ segment: trialUsers, scan } satisfies SegmentJobInput);
    expect(joinedIds()).toEqual(['ana', 'ben']);
    expect(bus.events[0]).toMatchObject({ source: 'waymark.audience', 'detail-type': 'Audience Joined', detail: { audience: 'trial-users', profile: {} } });
    expect(summary).toMatchObject({ complete: true, profiles: 5, matched: 3, members: 0, suppressed: 1, joined: 2, failed: 0, resumed: false });
    expect(await membership('ana')).toEqual({ pk: 'C#ana', sk: 'A#trial-users', at, seg: 'trial-users' });
    expect(await membership('eve')).toBeUndefined();
  });

  it('brings them into the journey that enters on the audience', async () => {
    await runtime.send(...bus.events);
    const ana = await runtime.store.loadCustomer('ana');
    expect(ana.journeys.get('trial-nudge')).toMatchObject({ state: { status: 'completed', emailsSent: 1 } });
    expect((await runtime.store.loadCustomer('cara')).journeys.has('trial-nudge')).toBe(false);
  });

  it('joins nobody twice: the next run finds them members and puts nothing on the bus', async () => {
    bus.events.length = 0;
    const summary = await handler(() => Date.parse(START) + 2 * DAY)({ segment: trialUsers, scan });
    expect(bus.events).toEqual([]);
    expect(summary).toMatchObject({ matched: 3, members: 2, suppressed: 1, joined: 0 });
  });

  it('joins a customer whose profile comes to match later, and only them', async () => {
    const cara = await runtime.store.loadCustomer('cara');
    const at = Date.parse(START) + 2 * DAY;
    await runtime.store.saveProfile({ customerId: 'cara', profile: { ...cara.profile, seats: 4 }, times: { ...cara.profileTimes, seats: at }, expectedVersion: cara.profileVersion, now: at });
    bus.events.length = 0;
    await handler(() => Date.parse(START) + 3 * DAY)({ segment: trialUsers, scan });
    expect(joinedIds()).toEqual(['cara']);
  });

  it('with "rejoin": {"after": "P30D"}, members who still match join again once 30 days have passed', async () => {
    const monthly: SegmentRule = { ...trialUsers, id: 'trial-users-monthly', audience: 'trial-monthly', rejoin: { after: 'P30D' } };
    const run = (day: number) => {
      bus.events.length = 0;
      return handler(() => Date.parse(START) + day * DAY)({ segment: monthly, scan }).then(() => joinedIds());
    };
    expect(await run(4)).toEqual(['ana', 'ben', 'cara']);
    expect(await run(20)).toEqual([]);
    expect(await run(34)).toEqual(['ana', 'ben', 'cara']);
    // Each join is its own event: a journey that allows re-entry sees it as new.
    expect(new Set(bus.events.map((e) => e.id)).size).toBe(3);
  });

  it('a run cut short by the time limit keeps its cursor, and the next run finishes the scan: each customer joins exactly once', async () => {
    const everyone: SegmentRule = { id: 'everyone', audience: 'everyone', profile: { email: [{ exists: true }] } };
    const joined: string[] = [];
    const sink = { emit: async (events: AudienceJoinedEvent[]) => (joined.push(...events.map((e) => e.detail.customerId)), []) };
    let tick = Date.parse(START) + 40 * DAY;
    const now = () => tick++;
    // Two items a page, one part, and a deadline a few ticks away: the first run reads a page or two and stops.
    const first = await scanSegment({ client: runtime.dynamo, tableName: runtime.tableName, segment: everyone, sink, now, readUnitsPerSecond: 1000, parallel: 1, pageSize: 2, deadline: tick + 5 });
    expect(first.complete).toBe(false);
    expect(joined.length).toBeLessThan(4);
    await saveScanCursor(runtime.dynamo, runtime.tableName, everyone.id, first, now());
    const cursor = await loadScanCursor(runtime.dynamo, runtime.tableName, everyone.id);
    expect(cursor?.parts).toHaveLength(1);

    const second = await scanSegment({ client: runtime.dynamo, tableName: runtime.tableName, segment: everyone, sink, now, readUnitsPerSecond: 1000, parallel: 1, pageSize: 2, cursor: cursor! });
    expect(second.complete).toBe(true);
    expect(joined.sort()).toEqual(['ana', 'ben', 'cara', 'dev']);
    await saveScanCursor(runtime.dynamo, runtime.tableName, everyone.id, second, now());
    expect(await loadScanCursor(runtime.dynamo, runtime.tableName, everyone.id)).toBeUndefined();
  });

  it('keeps to its read rate: it waits between pages so the units read per second stay under the bound', async () => {
    let clock = Date.parse(START) + 50 * DAY;
    let slept = 0;
    const result = await scanSegment({
      client: runtime.dynamo,
      tableName: runtime.tableName,
      segment: { id: 'nobody', audience: 'nobody', profile: { plan: ['enterprise'] } },
      sink: { emit: async () => [] },
      now: () => clock,
      readUnitsPerSecond: 2,
      parallel: 1,
      pageSize: 1,
      sleep: async (ms) => {
        slept += ms;
        clock += ms;
      },
    });
    expect(result.readUnits).toBeGreaterThan(2);
    // Every page but the last is paid for in time: the units it read, at 2 units a second.
    expect(slept / 1000).toBeGreaterThanOrEqual((result.readUnits - 1) / 2);
    expect(slept / 1000).toBeLessThanOrEqual(result.readUnits / 2);
  });
});
