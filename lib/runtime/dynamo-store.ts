/**
 * The JourneyStore on Amazon DynamoDB (one table, see table.ts).
 *
 * Applying an input is one conditional UpdateItem on the journey item:
 *   SET v = v + 1, st = <state>, ob.<seq> = <new outbox entries>, dpk/dsk = <next wake-up>
 *   IF v = <version read>            (or the item does not exist yet)
 * No transaction: the item carries everything that must change together (the
 * state, the outbox of decided emails, the due-index keys, the fingerprints of
 * applied events). A confirmation removes one outbox entry without touching
 * the version, so it never conflicts with the next input.
 */
import {
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { hash53 } from '../engine/hash';
import { emptyJourney, type JourneyState, type Profile } from '../engine/model';
import {
  type CounterRow,
  type CustomerRecord,
  type JourneyStore,
  type JourneyWrite,
  nextWakeAt,
  type OutboxEntry,
  type StoredJourney,
  type SuppressionEntry,
  VersionConflictError,
} from './store';
import { DUE_INDEX, dueShardKey, dueSortKey, key } from './table';

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Shards of the due index (writers and the sweep must agree). */
  dueShards?: number;
  /** Called with the capacity each request consumed (benchmarks, metrics). */
  onCapacity?: (operation: string, capacity: ConsumedCapacity | undefined) => void;
}

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

export class DynamoStore implements JourneyStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly shards: number;
  private readonly onCapacity: DynamoStoreOptions['onCapacity'];

  constructor(options: DynamoStoreOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.shards = Math.max(1, options.dueShards ?? 4);
    this.onCapacity = options.onCapacity;
  }

  private capacity(operation: string, output: { ConsumedCapacity?: ConsumedCapacity | undefined }): void {
    this.onCapacity?.(operation, output.ConsumedCapacity);
  }

  /** A conditional write whose failed condition is an answer, not an error: false. */
  private async conditionally(operation: string, command: UpdateItemCommand | PutItemCommand): Promise<boolean> {
    try {
      const output = command instanceof PutItemCommand ? await this.client.send(command) : await this.client.send(command);
      this.capacity(operation, output);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private get returnCapacity() {
    // INDEXES: the table's and each index's share, for cost accounting.
    return this.onCapacity ? ('INDEXES' as const) : undefined;
  }

  /** Every item of one partition, page by page (eventually consistent: half the read cost). */
  private async *queryPartition(pk: string, operation: string): AsyncGenerator<Record<string, AttributeValue>> {
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: pk } },
          ExclusiveStartKey: startKey,
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity(operation, page);
      yield* page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  async loadCustomer(customerId: string): Promise<CustomerRecord> {
    const record: CustomerRecord = { customerId, profile: {}, suppressed: false, journeys: new Map() };
    // A stale (eventually consistent) read is caught by the version condition of the write.
    for await (const item of this.queryPartition(key.customer(customerId), 'loadCustomer')) {
      const sk = item.sk?.S ?? '';
      if (sk === 'P') {
        const plain = unmarshall(item);
        record.profile = (plain.p as Profile | undefined) ?? {};
        record.suppressed = plain.sup === true;
      } else if (sk.startsWith('J#')) {
        record.journeys.set(sk.slice(2), this.decodeJourney(customerId, sk.slice(2), item));
      }
    }
    return record;
  }

  async loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: marshall(key.journey(customerId, workflowId)), ConsistentRead: true, ReturnConsumedCapacity: this.returnCapacity }),
    );
    this.capacity('loadJourney', output);
    return output.Item ? this.decodeJourney(customerId, workflowId, output.Item) : undefined;
  }

  async saveProfile(customerId: string, profile: Profile, changed: Record<string, unknown>, now: number): Promise<void> {
    const entries = Object.entries(changed);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':now': { N: String(now) } };
    const sets: string[] = ['updatedAt = :now'];
    const removes: string[] = [];
    entries.forEach(([attribute, value], i) => {
      names[`#a${i}`] = attribute;
      if (value === null) removes.push(`p.#a${i}`);
      else {
        sets.push(`p.#a${i} = :a${i}`);
        values[`:a${i}`] = marshall({ v: value }, marshallOptions).v!;
      }
    });
    // Attribute by attribute, so two events updating different attributes at once both land.
    for (let attempt = 0; attempt < 3; attempt++) {
      const merged = new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(key.profile(customerId)),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(p)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnConsumedCapacity: this.returnCapacity,
      });
      if (await this.conditionally('saveProfile', merged)) return;
      // The profile map does not exist yet: create it whole (keeping a suppression flag set meanwhile).
      const created = new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(key.profile(customerId)),
        UpdateExpression: 'SET p = :p, updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(p)',
        ExpressionAttributeValues: { ':p': { M: marshall(withoutNulls(profile), marshallOptions) }, ':now': { N: String(now) } },
        ReturnConsumedCapacity: this.returnCapacity,
      });
      if (await this.conditionally('saveProfile', created)) return;
    }
    throw new VersionConflictError(customerId, 'profile');
  }

  async saveJourney(write: JourneyWrite): Promise<number> {
    const { customerId, workflowId, state, expectedVersion } = write;
    const version = (expectedVersion ?? 0) + 1;
    const names: Record<string, string> = {};
    const values: Record<string, AttributeValue> = { ':v': { N: String(version) }, ':st': { M: encodeState(state) } };
    const sets = ['v = :v', 'st = :st'];
    const removes: string[] = [];

    // The outbox after this write, for the due index: what the item had, plus new, minus removed.
    const current = write.addOutbox;
    if (expectedVersion === null) {
      values[':ob'] = { M: Object.fromEntries(current.map((e) => [String(e.seq), { M: encodeOutboxEntry(e) }])) };
      sets.push('ob = :ob');
    } else {
      current.forEach((entry, i) => {
        names[`#n${i}`] = String(entry.seq);
        values[`:n${i}`] = { M: encodeOutboxEntry(entry) };
        sets.push(`ob.#n${i} = :n${i}`);
      });
      write.removeOutbox.forEach((seq, i) => {
        names[`#r${i}`] = String(seq);
        removes.push(`ob.#r${i}`);
      });
    }
    const wakeAt = this.wakeAfterWrite(write);
    this.setDue(wakeAt, customerId, sets, removes, values);

    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key.journey(customerId, workflowId)),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'v = :expected',
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: expectedVersion === null ? values : { ...values, ':expected': { N: String(expectedVersion) } },
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity('saveJourney', output);
      return version;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new VersionConflictError(customerId, workflowId, { cause: error });
      throw error;
    }
  }

  /** The earliest wake-up this write leaves on the item: its timer, or the resend of an unconfirmed email. */
  private wakeAfterWrite(write: JourneyWrite): number | null {
    const kept = write.existingOutbox.filter((e) => !write.removeOutbox.includes(e.seq));
    return nextWakeAt(write.state, [...kept, ...write.addOutbox]);
  }

  private setDue(wakeAt: number | null, customerId: string, sets: string[], removes: string[], values: Record<string, AttributeValue>): void {
    if (wakeAt === null) {
      removes.push(DUE_INDEX.partitionKey, DUE_INDEX.sortKey);
      return;
    }
    values[':dpk'] = { S: dueShardKey(hash53(customerId) % this.shards) };
    values[':dsk'] = { S: dueSortKey(wakeAt) };
    sets.push(`${DUE_INDEX.partitionKey} = :dpk`, `${DUE_INDEX.sortKey} = :dsk`);
  }

  async confirmOutbox(customerId: string, workflowId: string, seq: number, reindex?: { version: number; wakeAt: number | null }): Promise<void> {
    const itemKey = marshall(key.journey(customerId, workflowId));
    if (reindex) {
      const sets: string[] = [];
      const removes = ['ob.#s'];
      const values: Record<string, AttributeValue> = { ':v': { N: String(reindex.version) } };
      this.setDue(reindex.wakeAt, customerId, sets, removes, values);
      const removedAndReindexed = new UpdateItemCommand({
        TableName: this.table,
        Key: itemKey,
        UpdateExpression: `${sets.length ? `SET ${sets.join(', ')} ` : ''}REMOVE ${removes.join(', ')}`,
        ConditionExpression: 'v = :v AND attribute_exists(ob.#s)',
        ExpressionAttributeNames: { '#s': String(seq) },
        ExpressionAttributeValues: values,
        ReturnConsumedCapacity: this.returnCapacity,
      });
      if (await this.conditionally('confirmOutbox', removedAndReindexed)) return;
      // The item moved on meanwhile: remove the entry only, and leave its due index to the newer write.
    }
    await this.conditionally(
      'confirmOutbox',
      new UpdateItemCommand({
        TableName: this.table,
        Key: itemKey,
        UpdateExpression: 'REMOVE ob.#s',
        ConditionExpression: 'attribute_exists(ob.#s)',
        ExpressionAttributeNames: { '#s': String(seq) },
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
  }

  async reindexDue(customerId: string, workflowId: string): Promise<void> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: marshall(key.journey(customerId, workflowId)), ConsistentRead: true, ReturnConsumedCapacity: this.returnCapacity }),
    );
    this.capacity('reindexDue', output);
    if (!output.Item) return;
    const stored = this.decodeJourney(customerId, workflowId, output.Item);
    const sets: string[] = [];
    const removes: string[] = [];
    const values: Record<string, AttributeValue> = { ':v': { N: String(stored.version) } };
    this.setDue(nextWakeAt(stored.state, stored.outbox), customerId, sets, removes, values);
    const wasIndexed = output.Item[DUE_INDEX.partitionKey] !== undefined;
    if (sets.length === 0 && !wasIndexed) return;
    await this.conditionally(
      'reindexDue',
      new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(key.journey(customerId, workflowId)),
        UpdateExpression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].join(' ').trim(),
        ConditionExpression: 'v = :v',
        ExpressionAttributeValues: values,
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
  }

  async isSuppressed(address: string): Promise<boolean> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: marshall(key.suppression(address)), ProjectionExpression: 'pk', ReturnConsumedCapacity: this.returnCapacity }),
    );
    this.capacity('isSuppressed', output);
    return output.Item !== undefined;
  }

  async suppress(entry: SuppressionEntry): Promise<boolean> {
    const added = await this.conditionally(
      'suppress',
      new PutItemCommand({
        TableName: this.table,
        Item: marshall({ ...key.suppression(entry.address), address: entry.address.trim().toLowerCase(), reason: entry.reason, at: entry.at, customerId: entry.customerId, detail: entry.detail }, marshallOptions),
        // The first reason is the one that matters (a complaint after a bounce changes nothing).
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    if (entry.customerId !== undefined) {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key.profile(entry.customerId)),
          UpdateExpression: 'SET sup = :true, supReason = :reason',
          ExpressionAttributeValues: { ':true': { BOOL: true }, ':reason': { S: entry.reason } },
        }),
      );
    }
    return added;
  }

  async findDue(now: number, limit: number): Promise<Array<{ customerId: string; workflowId: string; dueAt: number }>> {
    // One query per shard, whatever the time since the last sweep: the sort key orders wake-ups by time,
    // so "everything due by now" is one range, including anything a stopped sweep left behind.
    const bound = `${dueSortKey(now)}\uffff`;
    const due = new Map<string, { customerId: string; workflowId: string; dueAt: number }>();
    for (let shard = 0; shard < this.shards && due.size < limit; shard++) {
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page: QueryCommandOutput = await this.client.send(
          new QueryCommand({
            TableName: this.table,
            IndexName: DUE_INDEX.name,
            KeyConditionExpression: `${DUE_INDEX.partitionKey} = :shard AND ${DUE_INDEX.sortKey} <= :now`,
            ExpressionAttributeValues: { ':shard': { S: dueShardKey(shard) }, ':now': { S: bound } },
            ExclusiveStartKey: startKey,
            Limit: Math.min(1000, limit - due.size),
            ReturnConsumedCapacity: this.returnCapacity,
          }),
        );
        this.capacity('findDue', page);
        for (const item of page.Items ?? []) {
          const customerId = (item.pk?.S ?? '').slice(2);
          const workflowId = (item.sk?.S ?? '').slice(2);
          due.set(`${customerId}\u0000${workflowId}`, { customerId, workflowId, dueAt: Date.parse((item[DUE_INDEX.sortKey]?.S ?? '').slice(17)) });
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey && due.size < limit);
    }
    return [...due.values()];
  }

  async addCounters(rows: CounterRow[]): Promise<void> {
    const groups = new Map<string, { workflowId: string; day: string; stepId: string; values: Map<string, number> }>();
    for (const row of rows) {
      if (row.value === 0) continue;
      const groupKey = `${row.workflowId}\u0000${row.day}\u0000${row.stepId}`;
      let group = groups.get(groupKey);
      if (!group) groups.set(groupKey, (group = { workflowId: row.workflowId, day: row.day, stepId: row.stepId, values: new Map() }));
      group.values.set(row.name, (group.values.get(row.name) ?? 0) + row.value);
    }
    for (const group of groups.values()) {
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = {};
      const adds: string[] = [];
      [...group.values].forEach(([name, value], i) => {
        names[`#c${i}`] = name;
        values[`:c${i}`] = { N: String(value) };
        adds.push(`#c${i} :c${i}`);
      });
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key.counters(group.workflowId, group.day, group.stepId)),
          UpdateExpression: `ADD ${adds.join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity('addCounters', output);
    }
  }

  async readCounters(workflowId: string, fromDay?: string, toDay?: string): Promise<CounterRow[]> {
    const rows: CounterRow[] = [];
    for await (const item of this.queryPartition(key.counterPartition(workflowId), 'readCounters')) {
      const plain = unmarshall(item);
      const sk = String(plain.sk);
      const separator = sk.indexOf('#');
      const day = sk.slice(0, separator);
      const stepId = sk.slice(separator + 1);
      if (day !== 'all' && ((fromDay !== undefined && day < fromDay) || (toDay !== undefined && day > toDay))) continue;
      for (const [name, value] of Object.entries(plain)) {
        if (name !== 'pk' && name !== 'sk' && typeof value === 'number') rows.push({ workflowId, day, stepId, name, value });
      }
    }
    return rows;
  }

  private decodeJourney(customerId: string, workflowId: string, item: Record<string, AttributeValue>): StoredJourney {
    const state = decodeState(customerId, workflowId, item.st?.M ?? {});
    const outbox = Object.values(item.ob?.M ?? {}).map((entry) => decodeOutboxEntry(customerId, workflowId, entry.M ?? {}));
    return { state, version: Number(item.v?.N ?? 0), outbox: outbox.sort((a, b) => a.seq - b.seq) };
  }
}

function withoutNulls(profile: Profile): Profile {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * The state as a DynamoDB map, without what the item's keys already say
 * (customer, workflow) and without empty values: every byte counts toward
 * the 1 KB of one write unit.
 */
export function encodeState(state: JourneyState): Record<string, AttributeValue> {
  const { customerId: _c, workflowId: _w, ...rest } = state;
  const compact: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value === null || (Array.isArray(value) && value.length === 0)) continue;
    compact[name] = value;
  }
  return marshall(compact, marshallOptions);
}

export function decodeState(customerId: string, workflowId: string, map: Record<string, AttributeValue>): JourneyState {
  // Fields the encoder left out (null, empty) come back from the empty journey.
  return { ...emptyJourney(customerId, workflowId), ...(unmarshall(map) as Partial<JourneyState>), customerId, workflowId };
}

function encodeOutboxEntry(entry: OutboxEntry): Record<string, AttributeValue> {
  const { customerId: _c, workflowId: _w, ...rest } = entry;
  return marshall(rest, marshallOptions);
}

function decodeOutboxEntry(customerId: string, workflowId: string, map: Record<string, AttributeValue>): OutboxEntry {
  return { ...(unmarshall(map) as Omit<OutboxEntry, 'customerId' | 'workflowId'>), customerId, workflowId };
}
