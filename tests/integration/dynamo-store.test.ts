/**
 * The DynamoDB store against DynamoDB Local: one conditional write per applied
 * input, the due index and the sweep's cursor, parked journeys, profiles with
 * per-attribute times, suppression and counters, DynamoDB's refusals as
 * permanent errors, and items that stay under 1 KB (one write unit).
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JourneyState } from '../../lib/engine/model';
import { itemSize } from '../../lib/runtime/item-size';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { type JourneyWrite, UnstorableInputError, VersionConflictError } from '../../lib/runtime/store';
import { sweepDue } from '../../lib/runtime/sweep';
import { silentLogger } from '../../lib/runtime/journey-service';
import { DUE_INDEX, key } from '../../lib/runtime/table';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { createLocalRuntime, uniqueAddress } from '../support/local-runtime';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);

function state(customerId: string, overrides: Partial<JourneyState> = {}): JourneyState {
  return {
    customerId,
    workflowId: 'cold-traffic-nurture',
    version: 1,
    status: 'active',
    stepId: 'pause-1',
    stage: 'consideration',
    stages: [['awareness', 1], ['consideration', 2]],
    entries: 1,
    enteredAt: 1,
    finishedAt: null,
    convertedAt: null,
    waitingSince: null,
    pendingSince: null,
    held: false,
    heldEmails: [],
    dueAt: Date.parse('2026-11-05T10:00:00Z'),
    clock: 2,
    emailsSent: 2,
    opens: 1,
    clicks: 1,
    sent: ['a', 'b'],
    sendTimes: [],
    applied: ['x'],
    emailSeq: 2,
    engaged: [[1, 3]],
    lastEmail: null,
    assigned: [],
    ...overrides,
  };
}

const write = (customerId: string, overrides: Partial<JourneyWrite> = {}): JourneyWrite => ({
  customerId,
  workflowId: 'cold-traffic-nurture',
  state: state(customerId),
  expectedVersion: null,
  outbox: [],
  counters: [],
  now: 0,
  ...overrides,
});

describe('DynamoStore', () => {
  it('a journey write is conditional on the version read: the second writer of a version loses', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    expect(await store.saveJourney(write('c-1'))).toBe(1);
    await expect(store.saveJourney(write('c-1'))).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.saveJourney(write('c-1', { expectedVersion: 1 }))).toBe(2);
    await expect(store.saveJourney(write('c-1', { expectedVersion: 1 }))).rejects.toBeInstanceOf(VersionConflictError);
    const loaded = await store.loadJourney('c-1', 'cold-traffic-nurture');
    expect(loaded).toEqual({ state: state('c-1'), version: 2, outbox: [] });
  });

  it('a write replaces the emails of the previous write: the stream carried those already', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const email = (seq: number) => ({ seq, customerId: 'c-o', workflowId: 'cold-traffic-nurture', version: 1, stepId: 'welcome', stage: null, contentId: 'article-get-paid-faster', to: 'o@example.com', at: 1, decidedAt: 1 });
    await store.saveJourney(write('c-o', { outbox: [email(1)] }));
    expect((await store.loadJourney('c-o', 'cold-traffic-nurture'))?.outbox.map((e) => e.seq)).toEqual([1]);
    await store.saveJourney(write('c-o', { expectedVersion: 1, outbox: [email(2)] }));
    expect((await store.loadJourney('c-o', 'cold-traffic-nurture'))?.outbox.map((e) => e.seq)).toEqual([2]);
    await store.saveJourney(write('c-o', { expectedVersion: 2 }));
    expect((await store.loadJourney('c-o', 'cold-traffic-nurture'))?.outbox).toEqual([]);
  });

  it('the due index holds timers only: an email in the outbox puts nothing in it, a timer does, and no timer takes it out', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const indexKeys = async (customerId: string) => {
      const item = await runtime.dynamo.send(new GetItemCommand({ TableName: runtime.tableName, Key: marshall(key.journey(customerId, 'cold-traffic-nurture')) }));
      return [DUE_INDEX.partitionKey, DUE_INDEX.sortKey].filter((name) => item.Item?.[name] !== undefined);
    };
    const email = { seq: 1, customerId: 'c-i', workflowId: 'cold-traffic-nurture', version: 1, stepId: 'welcome', stage: null, contentId: 'article-get-paid-faster', to: 'i@example.com', at: 1, decidedAt: 1 };
    // An email decided and the journey resting with no timer (held at a step, say): not in the index.
    await runtime.store.saveJourney(write('c-i', { state: state('c-i', { dueAt: null }), outbox: [email] }));
    expect(await indexKeys('c-i')).toEqual([]);
    // A wait's timer: in the index.
    await runtime.store.saveJourney(write('c-i', { expectedVersion: 1 }));
    expect(await indexKeys('c-i')).toEqual([DUE_INDEX.partitionKey, DUE_INDEX.sortKey]);
    // The timer gone (the wait ended, the journey finished): out of it.
    await runtime.store.saveJourney(write('c-i', { expectedVersion: 2, state: state('c-i', { dueAt: null, status: 'completed' }) }));
    expect(await indexKeys('c-i')).toEqual([]);
  });

  it('DynamoDB\'s refusal of a value is a permanent error with its reason, not a retry', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    await expect(store.saveProfile({ customerId: 'c-bad', profile: { '': 'empty name' }, times: {}, expectedVersion: null, now: 0 })).rejects.toBeInstanceOf(UnstorableInputError);
  });

  it('the sweep reads each shard forward from where it stopped: every journey due is woken once, long-overdue ones included, finished ones never', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 3 });
    const due = (customerId: string, dueAt: string | null) => store.saveJourney(write(customerId, { state: state(customerId, { dueAt: dueAt === null ? null : Date.parse(dueAt), status: dueAt === null ? 'completed' : 'active' }) }));
    await due('overdue-a-month', '2026-10-01T00:00:00Z');
    for (let i = 0; i < 12; i++) await due(`c-${i}`, `2026-11-0${1 + (i % 5)}T10:00:00Z`);
    await due('finished', null);
    const woken: string[] = [];
    const sweep = (now: string, limit = 1000) =>
      sweepDue({ store, shards: 3, limit, marginMs: 120_000, leaseMs: 70_000, log: silentLogger, enqueue: async (m) => void woken.push(...m.map((w) => (w as { customerId: string }).customerId)) }, Date.parse(now));

    await sweep('2026-11-03T10:00:00Z');
    // Due at or before now: days 1, 2 and 3 (c-2 and c-7 are due exactly now).
    expect(woken.sort()).toEqual(['c-0', 'c-1', 'c-10', 'c-11', 'c-2', 'c-5', 'c-6', 'c-7', 'overdue-a-month'].sort());
    // A minute later: nothing new is due, and nothing already enqueued is enqueued again.
    woken.length = 0;
    await sweep('2026-11-03T10:01:00Z');
    expect(woken).toEqual([]);
    await sweep('2026-11-05T10:00:00Z');
    expect(woken.sort()).toEqual(['c-3', 'c-4', 'c-8', 'c-9'].sort());
  });

  it('with a limit, the sweep shares it between shards and carries on from where each stopped: none starves', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 4 });
    for (let i = 0; i < 40; i++) await store.saveJourney(write(`s-${i}`, { state: state(`s-${i}`, { dueAt: Date.parse('2026-11-01T00:00:00Z') + i * 1000 }) }));
    const rounds: string[][] = [];
    for (let round = 0; round < 20 && rounds.flat().length < 40; round++) {
      const woken: string[] = [];
      await sweepDue({ store, shards: 4, limit: 8, marginMs: 120_000, leaseMs: 70_000, log: silentLogger, enqueue: async (m) => void woken.push(...m.map((w) => (w as { customerId: string }).customerId)) }, Date.parse('2026-11-02T10:00:00Z') + round * 60_000);
      rounds.push(woken);
    }
    const all = rounds.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `s-${i}`).sort());
    // Each round takes at most its share (8 / 4 shards = 2) from each shard, from all of them.
    const shardsOf = (round: string[]) => round.map((c) => store.shardOf(c));
    expect(rounds[0]!.length).toBe(8);
    expect(new Set(shardsOf(rounds[0]!)).size).toBe(4);
    for (const round of rounds) for (let shard = 0; shard < 4; shard++) expect(shardsOf(round).filter((s) => s === shard).length).toBeLessThanOrEqual(2);
  });

  it('only one sweep runs at a time: a second one finds the lease taken and does nothing', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const now = Date.parse('2026-11-02T10:00:00Z');
    const first = await store.acquireSweep(now, now + 70_000, 4);
    expect(first).toBeDefined();
    expect(await store.acquireSweep(now + 1000, now + 71_000, 4)).toBeUndefined();
    // A crashed sweep's lease runs out: its successor takes over.
    expect(await store.acquireSweep(now + 71_000, now + 141_000, 4)).toBeDefined();
  });

  it('a parked journey leaves the due index and comes back, due at once, when its version is deployed again', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 1 });
    await store.saveJourney(write('c-parked', { state: state('c-parked', { dueAt: Date.parse('2026-11-02T09:00:00Z') }) }));
    await store.parkJourney('c-parked', 'cold-traffic-nurture', 1, 1);
    const woken: string[] = [];
    const sweep = (now: number) => sweepDue({ store, shards: 1, limit: 100, marginMs: 120_000, leaseMs: 70_000, log: silentLogger, enqueue: async (m) => void woken.push(...m.map((w) => (w as { customerId: string }).customerId)) }, now);
    await sweep(Date.parse('2026-11-02T10:00:00Z'));
    expect(woken).toEqual([]);
    expect(await store.unparkJourneys('cold-traffic-nurture', 1, Date.parse('2026-11-02T10:05:00Z'), 100)).toBe(1);
    await sweep(Date.parse('2026-11-02T10:06:00Z'));
    expect(woken).toEqual(['c-parked']);
  });

  it('pause, resume, stop: the control item; a held customer leaves the due index and comes back due at once on release', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 1 });
    expect(await store.loadControl('cold-traffic-nurture')).toBeUndefined();
    await store.saveControl('cold-traffic-nurture', { status: 'paused', changedAt: 5 });
    expect(await store.loadControl('cold-traffic-nurture')).toEqual({ status: 'paused', changedAt: 5 });

    await store.saveJourney(write('c-held', { state: state('c-held', { stepId: 'welcome', held: true, dueAt: null, pendingSince: 4 }) }));
    const woken: string[] = [];
    const sweep = (now: number) => sweepDue({ store, shards: 1, limit: 100, marginMs: 120_000, leaseMs: 70_000, log: silentLogger, enqueue: async (m) => void woken.push(...m.map((w) => (w as { customerId: string }).customerId)) }, now);
    await sweep(Date.parse('2026-11-09T10:00:00Z'));
    expect(woken).toEqual([]);
    expect((await store.loadJourney('c-held', 'cold-traffic-nurture'))?.state).toMatchObject({ held: true, dueAt: null, pendingSince: 4 });
    expect(await store.releaseHeld('cold-traffic-nurture', Date.parse('2026-11-09T10:05:00Z'), 100)).toBe(1);
    expect(await store.releaseHeld('cold-traffic-nurture', Date.parse('2026-11-09T10:05:00Z'), 100)).toBe(0);
    await sweep(Date.parse('2026-11-09T10:06:00Z'));
    expect(woken).toEqual(['c-held']);
  });

  it('an email held on its way to SES is kept whatever its journey writes, then handed back as it was decided (or dropped), and forgotten only after', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const email = (customerId: string, seq: number, decidedAt: number) => ({ seq, customerId, workflowId: 'cold-traffic-nurture', version: 1, stepId: 'welcome', stage: null, contentId: 'article-get-paid-faster', to: `${customerId}@example.com`, at: decidedAt, decidedAt });
    await store.saveJourney(write('c-kept', { outbox: [email('c-kept', 1, 100)] }));
    await store.holdEmail(email('c-kept', 1, 100));
    await store.holdEmail({ ...email('c-early', 2, 50), at: 60 });
    // A later write of the journey replaced its outbox meanwhile: the held email must survive that.
    await store.saveJourney(write('c-kept', { expectedVersion: 1 }));
    // A hand-back that fails (the queue down) forgets nothing: the next release hands the same emails back.
    await expect(store.releaseHeldEmails('cold-traffic-nurture', 100, async () => Promise.reject(new Error('queue down')))).rejects.toThrow('queue down');
    const handed: unknown[] = [];
    expect(await store.releaseHeldEmails('cold-traffic-nurture', 100, async (entries) => void handed.push(...entries))).toBe(2);
    expect(handed).toEqual([{ ...email('c-early', 2, 50), at: 60 }, email('c-kept', 1, 100)]);
    expect(await store.releaseHeldEmails('cold-traffic-nurture', 100, async (entries) => void handed.push(...entries))).toBe(0);
    // Dropped (a stopped workflow): forgotten without a hand-back.
    await store.holdEmail(email('c-stopped', 1, 100));
    expect(await store.releaseHeldEmails('cold-traffic-nurture', 100, null)).toBe(1);
    expect(await store.releaseHeldEmails('cold-traffic-nurture', 100, null)).toBe(0);
    expect(handed).toHaveLength(2);
  });

  it('stopping wakes every active customer of the workflow, page by page, and never one that finished', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 2 });
    for (let i = 0; i < 7; i++) await store.saveJourney(write(`c-s${i}`, { state: state(`c-s${i}`, { dueAt: Date.parse('2026-12-01T00:00:00Z') }) }));
    await store.saveJourney(write('c-done', { state: state('c-done', { status: 'completed', stepId: null, dueAt: null }) }));
    let woken = 0;
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await store.wakeActive('cold-traffic-nurture', Date.parse('2026-11-02T10:00:00Z'), 3, after);
      woken += page.woken;
      after = page.next;
      pages += 1;
    } while (after !== undefined && pages < 20);
    expect(woken).toBe(7);
    const due = [...(await store.dueEntries(0, null, '9', 100)), ...(await store.dueEntries(1, null, '9', 100))].map((e) => e.customerId).sort();
    expect(due).toEqual(Array.from({ length: 7 }, (_, i) => `c-s${i}`).sort());
  });

  it('profiles: a new customer is one plain put; a conflicting writer retries on the version; per-attribute times travel with it', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    expect(await store.saveProfile({ customerId: 'c-p', profile: { email: 'p@example.com' }, times: { email: 1 }, expectedVersion: null, now: 1 })).toBe(1);
    await expect(store.saveProfile({ customerId: 'c-p', profile: { plan: 'trial' }, times: { plan: 2 }, expectedVersion: null, now: 2 })).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.saveProfile({ customerId: 'c-p', profile: { email: 'p@example.com', firstName: 'Pat' }, times: { email: 1, firstName: 3 }, expectedVersion: 1, now: 3 })).toBe(2);
    const customer = await store.loadCustomer('c-p');
    expect(customer).toMatchObject({ profile: { email: 'p@example.com', firstName: 'Pat' }, profileTimes: { email: 1, firstName: 3 }, profileVersion: 2 });
  });

  it('a profile made by a suppression alone keeps its flag when the first attributes arrive', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    await store.suppress({ address: 's@example.com', reason: 'complaint', at: 1, customerId: 'c-s' });
    const before = await store.loadCustomer('c-s');
    expect(before).toMatchObject({ suppressed: true, profileVersion: 0 });
    await store.saveProfile({ customerId: 'c-s', profile: { email: 's@example.com' }, times: { email: 2 }, expectedVersion: 0, now: 2 });
    expect(await store.loadCustomer('c-s')).toMatchObject({ suppressed: true, profile: { email: 's@example.com' }, profileVersion: 1 });
  });

  it('counters add up atomically and read back per day and step', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const row = (name: string, value: number, day = '2026-11-02') => ({ workflowId: 'w', day, stepId: 'welcome', name, value });
    await Promise.all([store.addCounters([row('email.sent', 2), row('email.opened', 1)]), store.addCounters([row('email.sent', 3)]), store.addCounters([row('email.sent', 1, '2026-11-03')])]);
    const rows = await store.readCounters('w');
    expect(rows.sort((a, b) => (a.day + a.name).localeCompare(b.day + b.name))).toEqual([row('email.opened', 1), row('email.sent', 5), row('email.sent', 1, '2026-11-03')]);
    expect(await store.readCounters('w', '2026-11-03')).toEqual([row('email.sent', 1, '2026-11-03')]);
  });

  it('keeps a workflow\'s counters of a day, every step\'s, in one item, and still reads items of one step each', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const { store, dynamo, tableName } = runtime;
    const row = (stepId: string, name: string, value: number, day = '2026-11-02') => ({ workflowId: 'days', day, stepId, name, value });
    // One send batch's counters: three steps, a stage row, a labelled metric, a workflow-level row.
    await store.addCounters([row('welcome', 'email.sent', 2), row('welcome', 'email.opened', 1), row('case-study', 'email.sent', 1), row('stage:decision', 'stage.entered', 1), row('offer', 'assigned:treatment', 1), row('_', 'email.dropped:paused', 3)]);
    const item = await dynamo.send(new GetItemCommand({ TableName: tableName, Key: marshall(key.counters('days', '2026-11-02')) }));
    // Compact names: codes for common metrics, `~stage` for stage rows.
    expect(Object.keys(item.Item ?? {}).sort()).toEqual(['_ email.dropped:paused', 'case-study S', 'offer A:treatment', 'pk', 'sk', 'welcome O', 'welcome S', '~decision N']);
    // An item of the earlier form (one step a day, metrics by name) reads back beside it.
    await dynamo.send(new PutItemCommand({ TableName: tableName, Item: marshall({ pk: key.counterPartition('days'), sk: '2026-11-01#welcome', 'email.sent': 4 }) }));
    const rows = await store.readCounters('days');
    const byKey = (r: { day: string; stepId: string; name: string }) => `${r.day} ${r.stepId} ${r.name}`;
    expect(rows.sort((a, b) => byKey(a).localeCompare(byKey(b)))).toEqual(
      [row('welcome', 'email.sent', 4, '2026-11-01'), row('_', 'email.dropped:paused', 3), row('case-study', 'email.sent', 1), row('offer', 'assigned:treatment', 1), row('stage:decision', 'stage.entered', 1), row('welcome', 'email.opened', 1), row('welcome', 'email.sent', 2)].sort((a, b) => byKey(a).localeCompare(byKey(b))),
    );
    // A day of many rows goes in several updates (an update expression is at most 4 KB) and adds up the same.
    const many = Array.from({ length: 250 }, (_, i) => row(`step-${i}`, 'step.entered', 1, '2026-11-05'));
    await store.addCounters(many);
    await store.addCounters(many);
    const fifth = await store.readCounters('days', '2026-11-05', '2026-11-05');
    expect(fifth).toHaveLength(250);
    expect(fifth.every((r) => r.value === 2)).toBe(true);
  });

  it('keeps a customer\'s journey item under 1 KB (one write unit) through a whole sample journey', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-01T00:00:00Z' });
    const sizes: number[] = [];
    const measure = async () => {
      const item = await runtime.dynamo.send(new GetItemCommand({ TableName: runtime.tableName, Key: marshall(key.journey('c-ana', 'cold-traffic-nurture')) }));
      if (item.Item) sizes.push(itemSize(item.Item));
    };
    // Ana's sample events, with her own address for this test (the SES store is shared with the parity test).
    const address = uniqueAddress('ana');
    const events = readFileSync('workflows/examples/cold-traffic.jsonl', 'utf8')
      .split('\n')
      .filter((l) => l.includes('"c-ana"'))
      .map((l) => JSON.parse(l.replace('ana.silva@example.com', address)) as { time: string });
    for (const event of events) {
      await runtime.advanceTo(event.time);
      await measure();
      await runtime.send(event);
      await measure();
    }
    await runtime.advanceTo('2026-12-31T00:00:00Z');
    await measure();
    expect(sizes.length).toBeGreaterThan(5);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
  });
});
