/**
 * Local servers for the benchmarks, and a DynamoDB client that counts every
 * request and the capacity it consumed (table and index), attributed to
 * whatever the benchmark says is running.
 *
 * DynamoDB Local reports ConsumedCapacity as DynamoDB computes it, with two
 * gaps that the counter fills explicitly (checked against DynamoDB Local
 * 2026-01-16, see bench/README.md, "How requests are counted"):
 * - A Query or Scan that finds nothing is reported at 0 units. DynamoDB bills
 *   it at least half a read unit (one if strongly consistent): "even if no
 *   data exists" (developer guide, "DynamoDB read and write operations").
 *   A GetItem of a missing item is already reported at 0.5.
 * - A write whose condition fails throws ConditionalCheckFailedException with
 *   no ConsumedCapacity. DynamoDB still bills it, by the larger of the
 *   existing and the new item, at least one unit, and writes no index. The
 *   counter reads the existing item (uncounted) to size it.
 * Every request is asked for its capacity (ReturnConsumedCapacity INDEXES),
 * so requests made without it (the suppression's put) are counted too.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type AttributeValue, ConditionalCheckFailedException, type ConsumedCapacity, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createCatalogue } from '../lib/engine/content';
import type { ContentItem, ProjectSettings, Workflow } from '../lib/engine/schema';
import { itemSize } from '../lib/runtime/item-size';
import { ensureTable, freePort, type LocalDynamo, type LocalSes, localSes, startDynamoDbLocal } from '../lib/runtime/local-servers';
import { WorkflowRegistry } from '../lib/runtime/registry';

export interface RequestTally {
  reads: number;
  writes: number;
  rcu: number;
  tableWcu: number;
  indexWcu: number;
  byCommand: Record<string, number>;
  /** Writes whose condition failed (their units are in tableWcu). */
  failedConditions: number;
  /** Units the counter added to what DynamoDB Local reported: empty Query/Scan minimums (rcu), failed conditions (tableWcu). */
  added: { rcu: number; wcu: number };
}

export const emptyTally = (): RequestTally => ({ reads: 0, writes: 0, rcu: 0, tableWcu: 0, indexWcu: 0, byCommand: {}, failedConditions: 0, added: { rcu: 0, wcu: 0 } });

/** One DynamoDB request as billed. */
export interface CountedRequest {
  command: string;
  input: Record<string, unknown>;
  read: boolean;
  rcu: number;
  tableWcu: number;
  indexWcu: number;
  failedCondition: boolean;
  /** Units added to what DynamoDB Local reported (see the file's comment). */
  added: { rcu: number; wcu: number };
}

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);
const CAPACITY_COMMANDS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand', 'TransactWriteItemsCommand', 'TransactGetItemsCommand']);

/** Inputs of requests the counter makes itself (sizing a failed condition's item): never counted. */
const uncounted = new WeakSet<object>();

const listeners = new WeakMap<DynamoDBClient, { listener: (request: CountedRequest) => void }>();

const unitsOf = (capacity: ConsumedCapacity | undefined) => {
  const index = Object.values(capacity?.GlobalSecondaryIndexes ?? {}).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
  const table = capacity?.Table?.CapacityUnits ?? (capacity?.CapacityUnits ?? 0) - index;
  return { table, index };
};

/**
 * Calls `listener` with every request `client` makes, as DynamoDB bills it (one middleware per
 * client; the latest listener wins).
 */
export function countDynamoRequests(client: DynamoDBClient, listener: (request: CountedRequest) => void): void {
  const existing = listeners.get(client);
  if (existing) {
    existing.listener = listener;
    return;
  }
  const holder = { listener };
  listeners.set(client, holder);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (uncounted.has(input)) return next(args);
      const command = context.commandName ?? 'unknown';
      if (CAPACITY_COMMANDS.has(command) && input.ReturnConsumedCapacity === undefined) input.ReturnConsumedCapacity = 'INDEXES';
      const read = READS.has(command);
      try {
        const result = await next(args);
        const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        const capacities = Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : output.ConsumedCapacity ? [output.ConsumedCapacity] : [];
        let table = 0;
        let index = 0;
        for (const c of capacities) {
          const units = unitsOf(c);
          table += units.table;
          index += units.index;
        }
        const added = { rcu: 0, wcu: 0 };
        if ((command === 'QueryCommand' || command === 'ScanCommand') && table + index === 0) added.rcu = input.ConsistentRead === true ? 1 : 0.5;
        holder.listener({ command, input, read, rcu: read ? table + index + added.rcu : 0, tableWcu: read ? 0 : table, indexWcu: read ? 0 : index, failedCondition: false, added });
        return result;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) {
          const wcu = await failedConditionUnits(client, command, input);
          holder.listener({ command, input, read: false, rcu: 0, tableWcu: wcu, indexWcu: 0, failedCondition: true, added: { rcu: 0, wcu } });
        }
        throw error;
      }
    },
    { step: 'initialize', name: 'waymarkBenchCounter' },
  );
}

/** A failed condition is billed by the larger of the existing and the new item, at least one unit. */
async function failedConditionUnits(client: DynamoDBClient, command: string, input: Record<string, unknown>): Promise<number> {
  const key = (input.Key ?? (input.Item ? keyOf(input.Item as Record<string, AttributeValue>) : undefined)) as Record<string, AttributeValue> | undefined;
  let existing = 0;
  if (key && typeof input.TableName === 'string') {
    const lookup = { TableName: input.TableName, Key: key, ConsistentRead: true };
    uncounted.add(lookup);
    const found = await client.send(new GetItemCommand(lookup));
    if (found.Item) existing = itemSize(found.Item);
  }
  const proposed = command === 'PutItemCommand' && input.Item ? itemSize(input.Item as Record<string, AttributeValue>) : 0;
  return Math.max(1, Math.ceil(Math.max(existing, proposed) / 1024));
}

const keyOf = (item: Record<string, AttributeValue>) => ({ pk: item.pk!, sk: item.sk! });

/** Counts requests and consumed capacity into `tally()`'s current tally (one middleware per client; the latest tally wins). */
export function countRequests(client: DynamoDBClient, tally: () => RequestTally): void {
  countDynamoRequests(client, (request) => addRequest(tally(), request));
}

export function addRequest(into: RequestTally, request: CountedRequest): void {
  into.byCommand[request.command] = (into.byCommand[request.command] ?? 0) + 1;
  if (request.read) into.reads += 1;
  else into.writes += 1;
  into.rcu += request.rcu;
  into.tableWcu += request.tableWcu;
  into.indexWcu += request.indexWcu;
  if (request.failedCondition) into.failedConditions += 1;
  into.added.rcu += request.added.rcu;
  into.added.wcu += request.added.wcu;
}

export interface BenchServers {
  dynamo: LocalDynamo;
  ses: LocalSes;
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/**
 * The local SES server in a process of its own (DynamoDB Local is one already): the CPU time the
 * benchmarks measure in this process is then the handlers' and the SDK's only.
 */
export async function startSesChild(): Promise<LocalSes> {
  const port = await freePort();
  // A CommonJS package: its function is module.exports.default.
  const script = `const m = await import('aws-ses-v2-local'); await (m.default.default ?? m.default)({ host: '127.0.0.1', port: ${port} });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local SES server exited (code ${child.exitCode}): ${output.slice(-2000)}`);
    try {
      if ((await fetch(`${endpoint}/store`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the local SES server did not answer on port ${port}: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return localSes(endpoint, async () => {
    if (child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  });
}

export async function startBenchServers(): Promise<BenchServers> {
  const [dynamoStarted, sesStarted] = await Promise.allSettled([startDynamoDbLocal(), startSesChild()]);
  if (dynamoStarted.status === 'rejected' || sesStarted.status === 'rejected') {
    // Whichever did start must not outlive the benchmark.
    if (dynamoStarted.status === 'fulfilled') await dynamoStarted.value.stop();
    if (sesStarted.status === 'fulfilled') await sesStarted.value.stop();
    throw dynamoStarted.status === 'rejected' ? dynamoStarted.reason : (sesStarted as PromiseRejectedResult).reason;
  }
  const dynamo = dynamoStarted.value;
  const ses = sesStarted.value;
  return {
    dynamo,
    ses,
    async newTable() {
      const name = `bench-${process.pid}-${++tables}`;
      await ensureTable(dynamo.client, name);
      return name;
    },
    async stop() {
      await Promise.all([dynamo.stop(), ses.stop()]);
    },
  };
}

/** The reference journey, with project settings (a send budget across journeys, say). */
export function referenceRegistry(settings: ProjectSettings = {}): WorkflowRegistry {
  const workflow = JSON.parse(readFileSync(new URL('./reference/journey.json', import.meta.url), 'utf8')) as Workflow;
  const content = JSON.parse(readFileSync(new URL('./reference/content.json', import.meta.url), 'utf8')) as ContentItem[];
  return new WorkflowRegistry([{ ...workflow, entry: { ...workflow.entry, reentry: 'never' }, settings: { ...workflow.settings, timezone: 'UTC' } } as Workflow], createCatalogue(content), settings);
}
