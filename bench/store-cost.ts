/**
 * Store cost: DynamoDB requests and consumed capacity per applied input, by
 * kind, on the reference workload against DynamoDB Local (which reports
 * ConsumedCapacity like DynamoDB does), through the real journey service.
 * Counter writes are batched per ten inputs, as the advance handler flushes
 * them once per SQS batch.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { seededRandom } from '../lib/dev/demo';
import { BufferedCounters } from '../lib/runtime/counters';
import { DynamoStore } from '../lib/runtime/dynamo-store';
import { itemSize } from '../lib/runtime/item-size';
import { JourneyService } from '../lib/runtime/journey-service';
import { dueSortKey, key } from '../lib/runtime/table';
import type { ProjectSettings } from '../lib/engine/schema';
import { referenceWorkload } from './engine-throughput';
import { type BenchServers, countRequests, emptyTally, referenceRegistry, type RequestTally } from './local-aws';

export type InputKind = 'entry' | 'wait resumed' | 'email sent' | 'engagement' | 'irrelevant' | 'duplicate';

export interface KindCost {
  inputs: number;
  requestsPerInput: number;
  readsPerInput: number;
  writesPerInput: number;
  rcuPerInput: number;
  tableWcuPerInput: number;
  indexWcuPerInput: number;
  /** By store operation: requests, and capacity (table + index) per input of this kind. */
  operations: Record<string, { requestsPerInput: number; capacityPerInput: number; indexCapacityPerInput: number }>;
}

export interface StoreCost {
  customers: number;
  inputs: number;
  byKind: Record<InputKind, KindCost>;
  /** Over every state-changing input (all kinds but irrelevant and duplicate), counter writes included. */
  stateChanging: KindCost & { counterWcuPerInput: number };
  /** Counter writes (one per workflow and day per batch of ten), per input of any kind. */
  counterWritesPerInput: number;
  maxJourneyItemBytes: number;
  medianJourneyItemBytes: number;
  /** The floor: one write of one unit per state-changing input, half a read unit (an eventually consistent read under 4 KB). */
  floor: { wcu: number; rcu: number };
  /** Wall time of the journey service's applies (through DynamoDB Local), per input of any kind. */
  msPerInput: number;
}

const KINDS: InputKind[] = ['entry', 'wait resumed', 'email sent', 'engagement', 'irrelevant', 'duplicate'];

export async function benchStoreCost(servers: BenchServers, customers = 300, settings: ProjectSettings = {}): Promise<StoreCost> {
  const tableName = await servers.newTable();
  const registry = referenceRegistry(settings);
  const tallies = new Map<InputKind | 'counters', RequestTally>();
  for (const kind of [...KINDS, 'counters'] as const) tallies.set(kind, emptyTally());
  const counts = new Map<InputKind, number>(KINDS.map((k) => [k, 0]));
  let current = emptyTally();
  countRequests(servers.dynamo.client, () => current);

  // Capacity by store operation, into the current input's tally.
  let operations = new Map<string, { requests: number; capacity: number; index: number }>();
  const operationsByKind = new Map<InputKind | 'counters', Map<string, { requests: number; capacity: number; index: number }>>();
  const store = new DynamoStore({
    client: servers.dynamo.client,
    tableName,
    dueShards: 4,
    onCapacity: (operation, capacity) => {
      const entry = operations.get(operation) ?? { requests: 0, capacity: 0, index: 0 };
      const index = Object.values(capacity?.GlobalSecondaryIndexes ?? {}).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      entry.requests += 1;
      entry.capacity += capacity?.Table?.CapacityUnits ?? (capacity?.CapacityUnits ?? 0) - index;
      entry.index += index;
      operations.set(operation, entry);
    },
  });
  const counters = new BufferedCounters(store);
  let entered = false;
  const service = new JourneyService({
    registry,
    store,
    counters,
    observer: (applied) => {
      if (applied.effects.some((e) => e.type === 'metric' && e.metric === 'entered')) entered = true;
    },
  });

  // The reference workload, plus what production also sees: opens of sent emails and redelivered events.
  const random = seededRandom(11);
  const workload = referenceWorkload(customers, 13);
  type Input = { at: number; body: Record<string, unknown> | { wake: true } };
  const inputs: Input[] = [];
  const names = { LEAD: 'lead.captured', CLICK: 'Email Clicked', ORDER: 'order.placed', DELETE: 'customer.deleted', PAGE: 'page.viewed' };
  workload.forEach((e, i) => {
    const event = {
      id: `bench-${i}`,
      source: e.kind === 'CLICK' ? 'aws.ses' : 'bench',
      'detail-type': names[e.kind],
      time: new Date(e.at).toISOString(),
      detail: { customerId: `c${e.customer}`, ...(e.kind === 'LEAD' ? { profile: { email: `c${e.customer}@bench.example`, ...(e.plan ? { plan: e.plan } : {}) } } : {}), ...(e.kind === 'CLICK' ? { workflowId: 'reference-nurture' } : {}) },
    };
    inputs.push({ at: e.at, body: event });
    if (e.kind === 'LEAD' && random() < 0.5) inputs.push({ at: e.at + 3_600_000, body: { ...event, id: `bench-open-${i}`, source: 'aws.ses', 'detail-type': 'Email Opened', detail: { customerId: `c${e.customer}`, workflowId: 'reference-nurture', emailSeq: 1 } } });
    if (random() < 0.05) inputs.push({ at: e.at + 60_000, body: event });
  });
  inputs.sort((a, b) => a.at - b.at);

  let applied = 0;
  let applyMs = 0;
  const mergeOperations = (kind: InputKind | 'counters', from: Map<string, { requests: number; capacity: number; index: number }>) => {
    const into = operationsByKind.get(kind) ?? new Map();
    for (const [name, o] of from) {
      const entry = into.get(name) ?? { requests: 0, capacity: 0, index: 0 };
      entry.requests += o.requests;
      entry.capacity += o.capacity;
      entry.index += o.index;
      into.set(name, entry);
    }
    operationsByKind.set(kind, into);
  };
  const account = async (kind: InputKind, tally: RequestTally, ops: Map<string, { requests: number; capacity: number; index: number }>) => {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
    const total = tallies.get(kind)!;
    for (const field of ['reads', 'writes', 'rcu', 'tableWcu', 'indexWcu'] as const) total[field] += tally[field];
    mergeOperations(kind, ops);
    if (++applied % 10 === 0) {
      current = tallies.get('counters')!;
      operations = new Map();
      await counters.flush();
      mergeOperations('counters', operations);
    }
  };

  for (const input of inputs) {
    // Timers due before this input fire first, each as its own input (the sweep's wake-ups).
    current = emptyTally(); // the sweep's own queries are not an input's cost
    const due = new Set<string>();
    for (let shard = 0; shard < store.shards; shard++) for (const entry of await store.dueEntries(shard, null, `${dueSortKey(input.at)}\uffff`, 10_000)) due.add(entry.customerId);
    for (const customerId of due) {
      current = emptyTally();
      operations = new Map();
      const started = performance.now();
      const report = await service.apply({ kind: 'wake', customerId }, input.at);
      applyMs += performance.now() - started;
      const tally = current;
      if (report.status === 'applied' && report.journeys.some((j) => j.outcome === 'applied')) await account('wait resumed', tally, operations);
    }
    current = emptyTally();
    operations = new Map();
    entered = false;
    const started = performance.now();
    const report = await service.apply({ kind: 'event', event: input.body }, input.at);
    applyMs += performance.now() - started;
    const tally = current;
    const ops = operations;
    const kind: InputKind =
      report.status !== 'applied' ? 'irrelevant' : report.journeys.every((j) => j.outcome === 'duplicate') ? 'duplicate' : report.journeys.every((j) => j.outcome === 'ignored') ? 'irrelevant' : entered ? 'entry' : report.decided > 0 ? 'email sent' : 'engagement';
    await account(kind, tally, ops);
  }
  current = tallies.get('counters')!;
  operations = new Map();
  await counters.flush();
  mergeOperations('counters', operations);

  // Item sizes at the end of the run.
  const sizes: number[] = [];
  current = emptyTally();
  for (let c = 0; c < customers; c += Math.max(1, Math.floor(customers / 100))) {
    const item = await servers.dynamo.client.send(new GetItemCommand({ TableName: tableName, Key: marshall(key.journey(`c${c}`, 'reference-nurture')) }));
    if (item.Item) sizes.push(itemSize(item.Item));
  }
  sizes.sort((a, b) => a - b);

  const perInput = (ops: Map<string, { requests: number; capacity: number; index: number }> | undefined, n: number) =>
    Object.fromEntries([...(ops ?? new Map())].map(([name, o]) => [name, { requestsPerInput: n ? o.requests / n : 0, capacityPerInput: n ? o.capacity / n : 0, indexCapacityPerInput: n ? o.index / n : 0 }]));
  const cost = (tally: RequestTally, n: number, ops?: Map<string, { requests: number; capacity: number; index: number }>): KindCost => ({
    operations: perInput(ops, n),
    inputs: n,
    requestsPerInput: n ? (tally.reads + tally.writes) / n : 0,
    readsPerInput: n ? tally.reads / n : 0,
    writesPerInput: n ? tally.writes / n : 0,
    rcuPerInput: n ? tally.rcu / n : 0,
    tableWcuPerInput: n ? tally.tableWcu / n : 0,
    indexWcuPerInput: n ? tally.indexWcu / n : 0,
  });
  const byKind = Object.fromEntries(KINDS.map((k) => [k, cost(tallies.get(k)!, counts.get(k) ?? 0, operationsByKind.get(k))])) as Record<InputKind, KindCost>;
  const changingKinds: InputKind[] = ['entry', 'wait resumed', 'email sent', 'engagement'];
  const changing = emptyTally();
  const changingOps = new Map<string, { requests: number; capacity: number; index: number }>();
  let changingInputs = 0;
  for (const k of changingKinds) {
    const t = tallies.get(k)!;
    for (const field of ['reads', 'writes', 'rcu', 'tableWcu', 'indexWcu'] as const) changing[field] += t[field];
    changingInputs += counts.get(k) ?? 0;
    for (const [name, o] of operationsByKind.get(k) ?? []) {
      const entry = changingOps.get(name) ?? { requests: 0, capacity: 0, index: 0 };
      entry.requests += o.requests;
      entry.capacity += o.capacity;
      entry.index += o.index;
      changingOps.set(name, entry);
    }
  }
  const counterTally = tallies.get('counters')!;
  const allInputs = [...counts.values()].reduce((a, b) => a + b, 0);
  return {
    customers,
    inputs: allInputs,
    byKind,
    stateChanging: { ...cost(changing, changingInputs, changingOps), counterWcuPerInput: counterTally.tableWcu / Math.max(1, changingInputs) },
    counterWritesPerInput: counterTally.writes / Math.max(1, allInputs),
    maxJourneyItemBytes: sizes.at(-1) ?? 0,
    medianJourneyItemBytes: sizes[Math.floor(sizes.length / 2)] ?? 0,
    floor: { wcu: 1, rcu: 0.5 },
    msPerInput: applyMs / Math.max(1, allInputs),
  };
}

/** What the send budget across journeys adds per input: the customer's ledger, read with the customer and written when an email is reserved. */
export interface BudgetCost {
  settings: ProjectSettings;
  /** Per state-changing input, with the budget minus without it (same inputs, same servers). */
  extraRcuPerInput: number;
  extraWcuPerInput: number;
  extraRequestsPerInput: number;
  /** The ledger's conditional writes (saveBudget) per state-changing input, and their write units. */
  ledgerWritesPerInput: number;
  ledgerWcuPerInput: number;
  /** Apply time per input with the budget ÷ without it, over both rounds, measured in the same process. */
  timeRatio: number;
  without: StoreCost['stateChanging'];
  with: StoreCost['stateChanging'];
}

/**
 * The budget's cost: the reference workload applied twice through the journey service, without
 * and with a send budget (the samples' `workflows/settings.json`: 4 emails per 7 days), each on a
 * fresh table of the same servers, interleaved as without, with, without, with, and compared.
 */
export async function benchBudgetCost(servers: BenchServers, customers = 300, budget: NonNullable<ProjectSettings['budget']> = { max: 4, per: 'P7D' }): Promise<BudgetCost> {
  const runs: Array<{ without: StoreCost; with: StoreCost }> = [];
  for (let round = 0; round < 2; round++) {
    const without = await benchStoreCost(servers, customers);
    const withBudget = await benchStoreCost(servers, customers, { budget });
    runs.push({ without, with: withBudget });
  }
  const last = runs.at(-1)!;
  const a = last.without.stateChanging;
  const b = last.with.stateChanging;
  const ledger = b.operations.saveBudget;
  const total = (side: 'without' | 'with') => runs.reduce((sum, r) => sum + r[side].msPerInput, 0);
  return {
    settings: { budget },
    extraRcuPerInput: b.rcuPerInput - a.rcuPerInput,
    extraWcuPerInput: b.tableWcuPerInput + b.indexWcuPerInput - (a.tableWcuPerInput + a.indexWcuPerInput),
    extraRequestsPerInput: b.requestsPerInput - a.requestsPerInput,
    ledgerWritesPerInput: ledger?.requestsPerInput ?? 0,
    ledgerWcuPerInput: ledger?.capacityPerInput ?? 0,
    timeRatio: total('with') / total('without'),
    without: a,
    with: b,
  };
}
