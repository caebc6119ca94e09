/**
 * The DynamoDB store against DynamoDB Local: one conditional write per applied
 * input, the due index, profiles, suppression and counters, and items that
 * stay under 1 KB (one write unit) in the common case.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { JourneyState } from '../../lib/engine/model';
import { itemSize } from '../../lib/runtime/item-size';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { VersionConflictError } from '../../lib/runtime/store';
import { key } from '../../lib/runtime/table';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { createLocalRuntime, uniqueAddress } from '../support/local-runtime';

const loaded = loadValidWorkflows(['workflows']);
const registry = new WorkflowRegistry(loaded.workflows, loaded.catalogue);

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
    ...overrides,
  };
}

describe('DynamoStore', () => {
  it('a journey write is conditional on the version read: the second writer of a version loses', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const write = { customerId: 'c-1', workflowId: 'cold-traffic-nurture', state: state('c-1'), addOutbox: [], removeOutbox: [], existingOutbox: [], now: 0 };
    expect(await store.saveJourney({ ...write, expectedVersion: null })).toBe(1);
    await expect(store.saveJourney({ ...write, expectedVersion: null })).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.saveJourney({ ...write, expectedVersion: 1 })).toBe(2);
    await expect(store.saveJourney({ ...write, expectedVersion: 1 })).rejects.toBeInstanceOf(VersionConflictError);
    const loaded = await store.loadJourney('c-1', 'cold-traffic-nurture');
    expect(loaded).toEqual({ state: state('c-1'), version: 2, outbox: [] });
  });

  it('the due index finds every journey due by now, across shards, including long-overdue ones, and forgets finished ones', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z', dueShards: 3 });
    const due = (customerId: string, dueAt: string | null) =>
      store.saveJourney({ customerId, workflowId: 'cold-traffic-nurture', state: state(customerId, { dueAt: dueAt === null ? null : Date.parse(dueAt), status: dueAt === null ? 'completed' : 'active' }), expectedVersion: null, addOutbox: [], removeOutbox: [], existingOutbox: [], now: 0 });
    await due('overdue-a-month', '2026-10-01T00:00:00Z');
    for (let i = 0; i < 12; i++) await due(`c-${i}`, `2026-11-0${1 + (i % 5)}T10:00:00Z`);
    await due('finished', null);
    const found = await store.findDue(Date.parse('2026-11-03T10:00:00Z'), 1000);
    // Due at or before now: days 1, 2 and 3 (c-2 and c-7 are due exactly now).
    expect(found.map((d) => d.customerId).sort()).toEqual(['c-0', 'c-1', 'c-10', 'c-11', 'c-2', 'c-5', 'c-6', 'c-7', 'overdue-a-month'].sort());
    expect(found.find((d) => d.customerId === 'overdue-a-month')?.dueAt).toBe(Date.parse('2026-10-01T00:00:00Z'));
    expect((await store.findDue(Date.parse('2026-11-03T10:00:00Z'), 3)).length).toBe(3);
  });

  it('profile updates from concurrent events merge attribute by attribute', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    await Promise.all([
      store.saveProfile('c-p', { email: 'p@example.com' }, { email: 'p@example.com' }, 1),
      store.saveProfile('c-p', { plan: 'trial' }, { plan: 'trial' }, 2),
    ]);
    await store.saveProfile('c-p', {}, { firstName: 'Pat', plan: null }, 3);
    expect((await store.loadCustomer('c-p')).profile).toEqual({ email: 'p@example.com', firstName: 'Pat' });
  });

  it('counters add up atomically and read back per day and step', async () => {
    const { store } = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const row = (name: string, value: number, day = '2026-11-02') => ({ workflowId: 'w', day, stepId: 'welcome', name, value });
    await Promise.all([store.addCounters([row('email.sent', 2), row('email.opened', 1)]), store.addCounters([row('email.sent', 3)]), store.addCounters([row('email.sent', 1, '2026-11-03')])]);
    const rows = await store.readCounters('w');
    expect(rows.sort((a, b) => (a.day + a.name).localeCompare(b.day + b.name))).toEqual([row('email.opened', 1), row('email.sent', 5), row('email.sent', 1, '2026-11-03')]);
    expect(await store.readCounters('w', '2026-11-03')).toEqual([row('email.sent', 1, '2026-11-03')]);
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
