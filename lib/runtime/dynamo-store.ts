/**
 * The JourneyStore on Amazon DynamoDB (one table, see table.ts).
 *
 * Applying an input is one conditional UpdateItem on the journey item:
 *   SET v = v + 1, st = <state>, ob = <emails decided>, mx = <counters>, dpk/dsk = <timer>
 *   IF v = <version read>            (or the item does not exist yet)
 * No transaction: the item carries everything that must change together (the
 * state, the emails it decided, the due-index keys, the fingerprints of
 * applied events). The stream takes the emails to the send path and the
 * counters to their totals; the next write replaces both.
 */
import {
  ConditionalCheckFailedException,
  type ConsumedCapacity,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { hash53 } from '../engine/hash';
import { emptyJourney, journeyDueAt, type JourneyState, type Profile } from '../engine/model';
import {
  type BudgetSend,
  type CounterRow,
  type CustomerRecord,
  type DueEntry,
  type JourneyStore,
  type JourneyWrite,
  type OutboxEntry,
  type ProfileWrite,
  type StoredJourney,
  type SuppressionEntry,
  type SweepCursor,
  UnstorableInputError,
  VersionConflictError,
  type WorkflowControl,
} from './store';
import { DUE_INDEX, dueShardKey, dueSortKey, EMAIL_INDEX, emailIndexKey, heldKey, key, parkedKey } from './table';

export interface DynamoStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** Shards of the due index (writers and the sweep must agree). */
  dueShards?: number;
  /** Called with the capacity each request consumed (benchmarks, metrics). */
  onCapacity?: (operation: string, capacity: ConsumedCapacity | undefined) => void;
}

const marshallOptions = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;

/** DynamoDB refused to store a value (a number out of range, an empty attribute name): retrying cannot help. */
function isValidationError(error: unknown): boolean {
  return (error as { name?: string }).name === 'ValidationException';
}

export class DynamoStore implements JourneyStore {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  readonly shards: number;
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

  /** A write whose failed condition is an answer, not an error: false. DynamoDB's refusal of a value is permanent. */
  private async conditionally(operation: string, command: UpdateItemCommand | PutItemCommand): Promise<boolean> {
    try {
      const output = command instanceof PutItemCommand ? await this.client.send(command) : await this.client.send(command);
      this.capacity(operation, output);
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        // A failed condition still consumes a write unit: count it.
        this.capacity(operation, { ConsumedCapacity: { TableName: this.table, CapacityUnits: 1, Table: { CapacityUnits: 1 } } });
        return false;
      }
      if (isValidationError(error)) throw new UnstorableInputError(`DynamoDB cannot store this: ${(error as Error).message}`, { cause: error });
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
    const record: CustomerRecord = { customerId, profile: {}, profileTimes: {}, profileVersion: null, suppressed: false, journeys: new Map(), budget: { version: null, sends: [] } };
    // A stale (eventually consistent) read is caught by the version condition of the write.
    for await (const item of this.queryPartition(key.customer(customerId), 'loadCustomer')) {
      const sk = item.sk?.S ?? '';
      if (sk === 'P') {
        const plain = unmarshall(item);
        record.profile = (plain.p as Profile | undefined) ?? {};
        record.profileTimes = (plain.pt as Record<string, number> | undefined) ?? {};
        // A profile item made by a suppression alone has no version yet: 0.
        record.profileVersion = typeof plain.pv === 'number' ? plain.pv : 0;
        record.suppressed = plain.sup === true;
      } else if (sk.startsWith('J#')) {
        record.journeys.set(sk.slice(2), decodeJourney(customerId, sk.slice(2), item));
      } else if (sk === 'B') {
        const plain = unmarshall(item);
        record.budget = { version: Number(plain.bv ?? 0), sends: Array.isArray(plain.s) ? (plain.s as BudgetSend[]) : [] };
      }
    }
    return record;
  }

  async loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined> {
    const output = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: marshall(key.journey(customerId, workflowId)), ConsistentRead: true, ReturnConsumedCapacity: this.returnCapacity }),
    );
    this.capacity('loadJourney', output);
    return output.Item ? decodeJourney(customerId, workflowId, output.Item) : undefined;
  }

  async saveProfile(write: ProfileWrite): Promise<number> {
    const { customerId, expectedVersion, now } = write;
    const version = (expectedVersion ?? 0) + 1;
    const profile = { M: marshall(withoutNulls(write.profile), marshallOptions) };
    const times = { M: marshall(write.times, marshallOptions) };
    // The email index's key rides on the profile item (sparse: none without an address).
    const email = emailIndexKey(write.profile.email);
    // A new customer: one plain conditional put (not a merge that fails first).
    const command =
      expectedVersion === null
        ? new PutItemCommand({
            TableName: this.table,
            Item: { ...marshall(key.profile(customerId)), p: profile, pt: times, pv: { N: String(version) }, updatedAt: { N: String(now) }, ...(email === null ? {} : { [EMAIL_INDEX.partitionKey]: { S: email } }) },
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnConsumedCapacity: this.returnCapacity,
          })
        : new UpdateItemCommand({
            TableName: this.table,
            Key: marshall(key.profile(customerId)),
            // The whole profile under the version read: per-attribute times were compared on the profile read.
            UpdateExpression: `SET p = :p, pt = :pt, pv = :v, updatedAt = :now${email === null ? ` REMOVE ${EMAIL_INDEX.partitionKey}` : `, ${EMAIL_INDEX.partitionKey} = :em`}`,
            ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pv)' : 'pv = :expected',
            ExpressionAttributeValues: { ':p': profile, ':pt': times, ':v': { N: String(version) }, ':now': { N: String(now) }, ...(email === null ? {} : { ':em': { S: email } }), ...(expectedVersion === 0 ? {} : { ':expected': { N: String(expectedVersion) } }) },
            ReturnConsumedCapacity: this.returnCapacity,
          });
    if (await this.conditionally('saveProfile', command)) return version;
    throw new VersionConflictError(customerId, 'profile');
  }

  async saveBudget(customerId: string, sends: BudgetSend[], expectedVersion: number | null): Promise<number> {
    const version = (expectedVersion ?? 0) + 1;
    const saved = await this.conditionally(
      'saveBudget',
      new PutItemCommand({
        TableName: this.table,
        Item: { ...marshall(key.budget(customerId)), bv: { N: String(version) }, s: { L: sends.map(([at, workflowId, seq]) => ({ L: [{ N: String(at) }, { S: workflowId }, { N: String(seq) }] })) } },
        ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'bv = :expected',
        ...(expectedVersion === null ? {} : { ExpressionAttributeValues: { ':expected': { N: String(expectedVersion) } } }),
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    if (!saved) throw new VersionConflictError(customerId, 'budget');
    return version;
  }

  async saveJourney(write: JourneyWrite): Promise<number> {
    const { customerId, workflowId, state, expectedVersion } = write;
    const version = (expectedVersion ?? 0) + 1;
    const values: Record<string, AttributeValue> = { ':v': { N: String(version) }, ':st': { M: encodeState(state) } };
    const sets = ['v = :v', 'st = :st'];
    const removes: string[] = [];
    // The emails of the previous write were carried by the stream when it was written: replace them.
    if (write.outbox.length > 0) {
      // Keyed by seq; a held email decided again after a resume under a key of its own (DecidedEmail.again).
      values[':ob'] = { M: Object.fromEntries(write.outbox.map((e) => [e.again ? `${e.seq}~${e.decidedAt}` : String(e.seq), { M: encodeOutboxEntry(e) }])) };
      sets.push('ob = :ob');
    } else if (expectedVersion !== null) removes.push('ob');
    const counters = encodeCounters(write.counters);
    // A write that decides an email always carries `mx`, even with no counters (a held email sent after a
    // resume counts nothing new): the send function's event source mapping lets only writes with `mx` through.
    if (counters !== '' || write.outbox.length > 0) {
      values[':mx'] = { S: counters };
      sets.push('mx = :mx');
    } else if (expectedVersion !== null) removes.push('mx');
    if (state.status === 'active' && state.held) {
      // Held by a pause: no timer; in the hold partition, where resuming finds it.
      values[':dpk'] = { S: heldKey(workflowId) };
      values[':dsk'] = { S: dueSortKey(state.pendingSince ?? write.now) };
      sets.push(`${DUE_INDEX.partitionKey} = :dpk`, `${DUE_INDEX.sortKey} = :dsk`);
    } else this.setDue(dueAtOf(state), customerId, sets, removes, values);

    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key.journey(customerId, workflowId)),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: expectedVersion === null ? 'attribute_not_exists(pk)' : 'v = :expected',
          ExpressionAttributeValues: expectedVersion === null ? values : { ...values, ':expected': { N: String(expectedVersion) } },
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity('saveJourney', output);
      return version;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        this.capacity('saveJourney', { ConsumedCapacity: { TableName: this.table, CapacityUnits: 1, Table: { CapacityUnits: 1 } } });
        throw new VersionConflictError(customerId, workflowId, { cause: error });
      }
      if (isValidationError(error)) throw new UnstorableInputError(`DynamoDB cannot store the journey ${workflowId} of customer ${customerId}: ${(error as Error).message}`, { cause: error });
      throw error;
    }
  }

  private setDue(wakeAt: number | null, customerId: string, sets: string[], removes: string[], values: Record<string, AttributeValue>): void {
    if (wakeAt === null) {
      removes.push(DUE_INDEX.partitionKey, DUE_INDEX.sortKey);
      return;
    }
    values[':dpk'] = { S: dueShardKey(this.shardOf(customerId)) };
    values[':dsk'] = { S: dueSortKey(wakeAt) };
    sets.push(`${DUE_INDEX.partitionKey} = :dpk`, `${DUE_INDEX.sortKey} = :dsk`);
  }

  shardOf(customerId: string): number {
    return hash53(customerId) % this.shards;
  }

  async parkJourney(customerId: string, workflowId: string, version: number, expectedVersion: number): Promise<void> {
    await this.conditionally(
      'parkJourney',
      new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(key.journey(customerId, workflowId)),
        UpdateExpression: `SET ${DUE_INDEX.partitionKey} = :park`,
        // Only if nothing moved it meanwhile, and only a journey that has a timer to keep.
        ConditionExpression: `v = :v AND attribute_exists(${DUE_INDEX.sortKey})`,
        ExpressionAttributeValues: { ':park': { S: parkedKey(workflowId, version) }, ':v': { N: String(expectedVersion) } },
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
  }

  async unparkJourneys(workflowId: string, version: number, now: number, limit: number): Promise<number> {
    return this.moveToDue(parkedKey(workflowId, version), now, limit, 'unparkJourneys');
  }

  async releaseHeld(workflowId: string, now: number, limit: number): Promise<number> {
    return this.moveToDue(heldKey(workflowId), now, limit, 'releaseHeld');
  }

  /** The journeys of one index partition (parked, held), moved to the due index as due at `now`: the sweep wakes them. */
  private async moveToDue(partition: string, now: number, limit: number, operation: string): Promise<number> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: DUE_INDEX.name,
        KeyConditionExpression: `${DUE_INDEX.partitionKey} = :from`,
        ExpressionAttributeValues: { ':from': { S: partition } },
        Limit: limit,
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    this.capacity(operation, page);
    let moved = 0;
    for (const item of page.Items ?? []) {
      const customerId = (item.pk?.S ?? '').slice(2);
      const done = await this.conditionally(
        operation,
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: item.pk!, sk: item.sk! },
          // Due now: the next sweep wakes it, and the engine takes it from there.
          UpdateExpression: `SET ${DUE_INDEX.partitionKey} = :shard, ${DUE_INDEX.sortKey} = :due`,
          ConditionExpression: `${DUE_INDEX.partitionKey} = :from`,
          ExpressionAttributeValues: { ':shard': { S: dueShardKey(this.shardOf(customerId)) }, ':due': { S: dueSortKey(now) }, ':from': { S: partition } },
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      if (done) moved += 1;
    }
    return moved;
  }

  async loadControl(workflowId: string): Promise<WorkflowControl | undefined> {
    const output = await this.client.send(new GetItemCommand({ TableName: this.table, Key: marshall(key.control(workflowId)), ReturnConsumedCapacity: this.returnCapacity }));
    this.capacity('loadControl', output);
    if (!output.Item) return undefined;
    const { pk: _pk, sk: _sk, ...control } = unmarshall(output.Item);
    return control as WorkflowControl;
  }

  async saveControl(workflowId: string, control: WorkflowControl): Promise<void> {
    const output = await this.client.send(
      new PutItemCommand({ TableName: this.table, Item: marshall({ ...key.control(workflowId), ...control }, marshallOptions), ReturnConsumedCapacity: this.returnCapacity }),
    );
    this.capacity('saveControl', output);
  }

  async holdEmail(entry: OutboxEntry): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: { ...marshall(key.heldEmail(entry.workflowId, entry.customerId, entry.seq)), e: { M: encodeOutboxEntry(entry) } },
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
  }

  async releaseHeldEmails(workflowId: string, limit: number, handBack: ((entries: OutboxEntry[]) => Promise<void>) | null): Promise<number> {
    const page = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: key.heldEmails(workflowId) } },
        Limit: limit,
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    this.capacity('releaseHeldEmails', page);
    const items = page.Items ?? [];
    if (items.length === 0) return 0;
    // Handed back to their journeys (decided again there: window, cap, budget, --drop-held), not written
    // back into the outbox as they were decided: see applyHeldEmail in the engine. Forgotten only once
    // handed back: a crash in between hands them back again, and each journey applies one once.
    if (handBack) {
      await handBack(
        items.map((item) => {
          const sk = item.sk?.S ?? '';
          return decodeOutboxEntry(sk.slice(0, sk.lastIndexOf('#')), workflowId, item.e?.M ?? {});
        }),
      );
    }
    for (const item of items) await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: { pk: item.pk!, sk: item.sk! }, ReturnConsumedCapacity: this.returnCapacity }));
    return items.length;
  }

  async wakeActive(workflowId: string, now: number, limit: number, after?: string): Promise<{ woken: number; next?: string }> {
    const page = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        FilterExpression: 'sk = :sk AND st.#status = :active',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sk': { S: `J#${workflowId}` }, ':active': { S: 'active' } },
        ProjectionExpression: 'pk, sk',
        Limit: limit,
        ...(after ? { ExclusiveStartKey: JSON.parse(after) as Record<string, AttributeValue> } : {}),
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
    this.capacity('wakeActive', page);
    let woken = 0;
    for (const item of page.Items ?? []) {
      const customerId = (item.pk?.S ?? '').slice(2);
      // Only while still active: a journey that finished meanwhile must not come back into the due index.
      const updated = await this.client
        .send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: { pk: item.pk!, sk: item.sk! },
            UpdateExpression: `SET ${DUE_INDEX.partitionKey} = :shard, ${DUE_INDEX.sortKey} = :due`,
            ConditionExpression: 'st.#status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':shard': { S: dueShardKey(this.shardOf(customerId)) }, ':due': { S: dueSortKey(now) }, ':active': { S: 'active' } },
            ReturnConsumedCapacity: this.returnCapacity,
          }),
        )
        .then(
          () => true,
          (error: unknown) => {
            if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
            throw error;
          },
        );
      if (updated) woken += 1;
    }
    return { woken, ...(page.LastEvaluatedKey ? { next: JSON.stringify(page.LastEvaluatedKey) } : {}) };
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

  async acquireSweep(now: number, until: number, shards: number): Promise<SweepCursor | undefined> {
    try {
      const output = await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: marshall(key.sweepCursor),
          UpdateExpression: 'SET lease = :until',
          ConditionExpression: 'attribute_not_exists(lease) OR lease < :now',
          ExpressionAttributeValues: { ':until': { N: String(until) }, ':now': { N: String(now) } },
          ReturnValues: 'ALL_NEW',
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity('sweepCursor', output);
      const plain = output.Attributes ? unmarshall(output.Attributes) : {};
      const stored = Array.isArray(plain.shards) ? (plain.shards as SweepCursor['shards']) : [];
      return { lease: until, shards: Array.from({ length: shards }, (_, i) => stored[i] ?? { upTo: null, recent: [] }) };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async releaseSweep(cursor: SweepCursor): Promise<void> {
    await this.conditionally(
      'sweepCursor',
      new UpdateItemCommand({
        TableName: this.table,
        Key: marshall(key.sweepCursor),
        UpdateExpression: 'SET shards = :shards REMOVE lease',
        ConditionExpression: 'lease = :lease',
        ExpressionAttributeValues: { ':shards': { L: cursor.shards.map((s) => ({ M: marshall(s, marshallOptions) })) }, ':lease': { N: String(cursor.lease) } },
        ReturnConsumedCapacity: this.returnCapacity,
      }),
    );
  }

  async dueEntries(shard: number, after: string | null, upTo: string, limit: number): Promise<DueEntry[]> {
    const entries: DueEntry[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: QueryCommandOutput = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: DUE_INDEX.name,
          KeyConditionExpression:
            after === null ? `${DUE_INDEX.partitionKey} = :shard AND ${DUE_INDEX.sortKey} <= :upTo` : `${DUE_INDEX.partitionKey} = :shard AND ${DUE_INDEX.sortKey} BETWEEN :after AND :upTo`,
          ExpressionAttributeValues: { ':shard': { S: dueShardKey(shard) }, ':upTo': { S: upTo }, ...(after === null ? {} : { ':after': { S: `${after}\u0000` } }) },
          ExclusiveStartKey: startKey,
          Limit: Math.min(1000, limit - entries.length),
          ReturnConsumedCapacity: this.returnCapacity,
        }),
      );
      this.capacity('findDue', page);
      for (const item of page.Items ?? []) {
        const sortKey = item[DUE_INDEX.sortKey]?.S ?? '';
        entries.push({ customerId: (item.pk?.S ?? '').slice(2), workflowId: (item.sk?.S ?? '').slice(2), dueAt: Date.parse(sortKey.slice(17)), sortKey });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey && entries.length < limit);
    return entries;
  }

  /**
   * Adds counter rows: one `ADD` per workflow and day, every step's metrics of that day in one item
   * (a `send` batch touches about 14 steps of a day, and this was one write each). The item is billed
   * by its size, one unit per KB: a day of the 17-step post-purchase sample is about 500 bytes, of the
   * 22-step nurture 0.8 to 1 KB, so a large journey's write may take two units, still far fewer than
   * one write per step.
   */
  async addCounters(rows: CounterRow[]): Promise<void> {
    const groups = new Map<string, { workflowId: string; day: string; values: Map<string, number> }>();
    for (const row of rows) {
      if (row.value === 0) continue;
      const groupKey = `${row.workflowId}\u0000${row.day}`;
      let group = groups.get(groupKey);
      if (!group) groups.set(groupKey, (group = { workflowId: row.workflowId, day: row.day, values: new Map() }));
      const attribute = counterAttribute(row.stepId, row.name);
      group.values.set(attribute, (group.values.get(attribute) ?? 0) + row.value);
    }
    for (const group of groups.values()) {
      const entries = [...group.values];
      // An update expression may be 4 KB long: a day's rows go in chunks well under it.
      for (let start = 0; start < entries.length; start += COUNTER_ADDS_PER_UPDATE) {
        const names: Record<string, string> = {};
        const values: Record<string, AttributeValue> = {};
        const adds: string[] = [];
        entries.slice(start, start + COUNTER_ADDS_PER_UPDATE).forEach(([attribute, value], i) => {
          names[`#c${i}`] = attribute;
          values[`:c${i}`] = { N: String(value) };
          adds.push(`#c${i} :c${i}`);
        });
        const output = await this.client.send(
          new UpdateItemCommand({
            TableName: this.table,
            Key: marshall(key.counters(group.workflowId, group.day)),
            UpdateExpression: `ADD ${adds.join(', ')}`,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnConsumedCapacity: this.returnCapacity,
          }),
        );
        this.capacity('addCounters', output);
      }
    }
  }

  async readCounters(workflowId: string, fromDay?: string, toDay?: string): Promise<CounterRow[]> {
    const rows: CounterRow[] = [];
    for await (const item of this.queryPartition(key.counterPartition(workflowId), 'readCounters')) {
      const plain = unmarshall(item);
      const sk = String(plain.sk);
      // Items written before one item per day held one step each, under `<day>#<stepId>`.
      const separator = sk.indexOf('#');
      const day = separator < 0 ? sk : sk.slice(0, separator);
      const itemStep = separator < 0 ? undefined : sk.slice(separator + 1);
      if (day !== 'all' && ((fromDay !== undefined && day < fromDay) || (toDay !== undefined && day > toDay))) continue;
      for (const [attribute, value] of Object.entries(plain)) {
        if (attribute === 'pk' || attribute === 'sk' || typeof value !== 'number') continue;
        if (itemStep !== undefined) {
          rows.push({ workflowId, day, stepId: itemStep, name: attribute, value });
          continue;
        }
        const row = parseCounterAttribute(attribute);
        if (row) rows.push({ workflowId, day, ...row, value });
      }
    }
    return rows;
  }

}

/**
 * A journey item as a write leaves it (without its due-index keys): what the stream's new image
 * holds, and what DynamoDB bills by size.
 */
export function journeyImage(write: Pick<JourneyWrite, 'customerId' | 'workflowId' | 'state' | 'outbox' | 'counters'>, version: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = { ...marshall(key.journey(write.customerId, write.workflowId)), v: { N: String(version) }, st: { M: encodeState(write.state) } };
  if (write.outbox.length > 0) item.ob = { M: Object.fromEntries(write.outbox.map((e) => [String(e.seq), { M: encodeOutboxEntry(e) }])) };
  const counters = encodeCounters(write.counters);
  if (counters !== '') item.mx = { S: counters };
  return item;
}

/** The timer a state keeps in the due index: an active journey's next due time, or a held email's (journeyDueAt). */
export function dueAtOf(state: JourneyState): number | null {
  return journeyDueAt(state);
}

export function decodeJourney(customerId: string, workflowId: string, item: Record<string, AttributeValue>): StoredJourney {
  const state = decodeState(customerId, workflowId, item.st?.M ?? {});
  return { state, version: Number(item.v?.N ?? 0), outbox: decodeOutbox(customerId, workflowId, item) };
}

/** The outbox entries of an item (or of one image of it on the stream), in sequence order. */
export function decodeOutbox(customerId: string, workflowId: string, item: Record<string, AttributeValue>): OutboxEntry[] {
  return Object.values(item.ob?.M ?? {})
    .map((entry) => decodeOutboxEntry(customerId, workflowId, entry.M ?? {}))
    .sort((a, b) => a.seq - b.seq);
}

/**
 * The counter names a journey write carries most, each written as one capital letter (a label
 * follows after `:`, as in `A:demo` for `assigned:demo`). Counter names are lower-case, so a capital
 * letter alone, or before `:`, can only be a code. Step ids are slugs, so a step written `~decision`
 * can only be the stage row `stage:decision`.
 */
const COUNTER_NAME_CODES: Readonly<Record<string, string>> = {
  'step.entered': 'E',
  'email.sent': 'S',
  'email.deferred': 'D',
  'email.skipped': 'K',
  'email.opened': 'O',
  'email.clicked': 'C',
  'stage.entered': 'N',
  'stage.left': 'L',
  'stage.time': 'T',
  waiting: 'W',
  entered: 'I',
  converted: 'X',
  revenue: 'R',
  assigned: 'A',
  version: 'V',
  migrated: 'M',
};
const COUNTER_NAME_OF_CODE = new Map(Object.entries(COUNTER_NAME_CODES).map(([name, code]) => [code, name]));
const STAGE_ROW = 'stage:';

function encodeCounterName(name: string): string {
  const colon = name.indexOf(':');
  const metric = colon < 0 ? name : name.slice(0, colon);
  const code = COUNTER_NAME_CODES[metric];
  return code === undefined ? name : colon < 0 ? code : `${code}${name.slice(colon)}`;
}

function decodeCounterName(text: string): string {
  const code = text.length === 1 || text[1] === ':' ? COUNTER_NAME_OF_CODE.get(text[0]!) : undefined;
  return code === undefined ? text : `${code}${text.slice(1)}`;
}

function encodeCounterStep(stepId: string): string {
  return stepId.startsWith(STAGE_ROW) ? `~${stepId.slice(STAGE_ROW.length)}` : stepId;
}

function decodeCounterStep(text: string): string {
  return text.startsWith('~') ? `${STAGE_ROW}${text.slice(1)}` : text;
}

/** ADD clauses in one update of a day's counter item (each about 12 characters of expression). */
const COUNTER_ADDS_PER_UPDATE = 100;

/**
 * A counter's attribute in its day's item: `<step> <metric>`, both written as compactly as a
 * journey write's counters (`welcome S` for the welcome step's `email.sent`). Step ids are slugs, so
 * the first space ends the step.
 */
export function counterAttribute(stepId: string, name: string): string {
  return `${encodeCounterStep(stepId)} ${encodeCounterName(name)}`;
}

export function parseCounterAttribute(attribute: string): { stepId: string; name: string } | undefined {
  const space = attribute.indexOf(' ');
  if (space <= 0 || space === attribute.length - 1) return undefined;
  return { stepId: decodeCounterStep(attribute.slice(0, space)), name: decodeCounterName(attribute.slice(space + 1)) };
}

/**
 * A write's counter rows as one compact string: they ride on the item to the stream, and the next
 * write replaces them, so every byte counts toward the item's 1 KB write unit. A line holding a day
 * alone starts that day's rows; a row is `step TAB name` (a value of 1) or `step TAB name TAB value`,
 * its step left empty when it is the previous row's, common names as one-letter codes and stage rows
 * as `~stage` (above). A long journey's write carries about 100 bytes of counters this way against
 * 250 with names written out, and 400 as a `day TAB step TAB name TAB value` line per row;
 * `decodeCounters` reads all three (items written before carry them to the stream).
 */
export function encodeCounters(rows: readonly CounterRow[]): string {
  const field = (text: string) => text.replace(/[\t\n]/g, ' ');
  const lines: string[] = [];
  let day: string | undefined;
  let step: string | undefined;
  for (const row of rows) {
    if (row.value === 0) continue;
    const stepId = encodeCounterStep(field(row.stepId));
    const name = encodeCounterName(field(row.name));
    if (stepId === '') {
      // An empty step would read as "the previous row's": the long form says it.
      lines.push(`${row.day}\t\t${name}\t${row.value}`);
      step = undefined;
      continue;
    }
    if (row.day !== day) {
      lines.push(field(row.day));
      day = row.day;
      step = undefined;
    }
    lines.push(`${stepId === step ? '' : stepId}\t${name}${row.value === 1 ? '' : `\t${row.value}`}`);
    step = stepId;
  }
  return lines.join('\n');
}

export function decodeCounters(workflowId: string, text: string | undefined): CounterRow[] {
  if (!text) return [];
  const rows: CounterRow[] = [];
  let currentDay = '';
  let currentStep = '';
  for (const line of text.split('\n')) {
    const fields = line.split('\t');
    if (fields.length === 1) {
      currentDay = line;
      continue;
    }
    if (fields.length === 4) {
      // The long form: `day TAB step TAB name TAB value`.
      const [day, stepId, name, value] = fields as [string, string, string, string];
      const number = Number(value);
      if (day && name && Number.isFinite(number)) rows.push({ workflowId, day, stepId: decodeCounterStep(stepId), name: decodeCounterName(name), value: number });
      continue;
    }
    const [stepField, name, value] = fields as [string, string, string | undefined];
    if (stepField !== '') currentStep = decodeCounterStep(stepField);
    const number = value === undefined ? 1 : Number(value);
    if (currentDay && currentStep && name && Number.isFinite(number)) rows.push({ workflowId, day: currentDay, stepId: currentStep, name: decodeCounterName(name), value: number });
  }
  return rows;
}

function withoutNulls(profile: Profile): Profile {
  return Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== null && v !== undefined));
}

/**
 * Short names for the state's fields in the stored map: a journey item is billed by its bytes, names
 * included, and the state is most of it (about 70 bytes of names saved on a long journey). Fields that
 * table expressions name (`status`, `stepId`, `pendingSince`, `dueAt`, `held`, `enteredAt`: the sweep's
 * and the customer lookup's filters and projections) keep their names. `decodeState` reads both forms,
 * so items written before keep working.
 */
const STORED_STATE_NAMES: Readonly<Partial<Record<keyof JourneyState, string>>> = {
  version: 'vr',
  stage: 'sg',
  stages: 'ss',
  entries: 'en',
  finishedAt: 'fa',
  convertedAt: 'ca',
  waitingSince: 'ws',
  clock: 'ck',
  emailsSent: 'es',
  opens: 'op',
  clicks: 'cl',
  sent: 'ct',
  sendTimes: 'tm',
  applied: 'ap',
  emailSeq: 'sq',
  engaged: 'eg',
  lastEmail: 'le',
  assigned: 'as',
};
const STATE_DEFAULTS: Readonly<JourneyState> = emptyJourney('', '');
const STATE_FIELD_OF_STORED_NAME = new Map(Object.entries(STORED_STATE_NAMES).map(([field, stored]) => [stored, field]));

/**
 * The state as a DynamoDB map, without what the item's keys already say
 * (customer, workflow), without empty or default values and under short names: every
 * byte counts toward the 1 KB of one write unit.
 */
export function encodeState(state: JourneyState): Record<string, AttributeValue> {
  const compact: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(state)) {
    if (name === 'customerId' || name === 'workflowId') continue;
    if (value === null || value === false || (Array.isArray(value) && value.length === 0)) continue;
    // A default (version 1, a count of 0) comes back from the empty journey; `status` stays, for the filters.
    if (name !== 'status' && value === STATE_DEFAULTS[name as keyof JourneyState]) continue;
    compact[STORED_STATE_NAMES[name as keyof JourneyState] ?? name] = value;
  }
  return marshall(compact, marshallOptions);
}

export function decodeState(customerId: string, workflowId: string, map: Record<string, AttributeValue>): JourneyState {
  const stored = unmarshall(map);
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(stored)) fields[STATE_FIELD_OF_STORED_NAME.get(name) ?? name] = value;
  // Fields the encoder left out (null, empty, a default) come back from the empty journey.
  return { ...emptyJourney(customerId, workflowId), ...(fields as Partial<JourneyState>), customerId, workflowId };
}

function encodeOutboxEntry(entry: OutboxEntry): Record<string, AttributeValue> {
  const { customerId: _c, workflowId: _w, decidedAt, ...rest } = entry;
  // Most emails are decided at the instant they go: the decision time is then left out (read as `at`).
  return marshall(decidedAt === entry.at ? rest : { ...rest, decidedAt }, marshallOptions);
}

function decodeOutboxEntry(customerId: string, workflowId: string, map: Record<string, AttributeValue>): OutboxEntry {
  const entry = unmarshall(map) as Omit<OutboxEntry, 'customerId' | 'workflowId' | 'decidedAt'> & { decidedAt?: number };
  return { ...entry, decidedAt: entry.decidedAt ?? entry.at, customerId, workflowId };
}
