/**
 * Local servers for the benchmarks, and a DynamoDB client that counts every
 * request and the capacity it consumed (table and index), attributed to
 * whatever input the benchmark says it is applying.
 */
import { readFileSync } from 'node:fs';
import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createCatalogue } from '../lib/engine/content';
import type { ContentItem, Workflow } from '../lib/engine/schema';
import { ensureTable, type LocalDynamo, type LocalSes, startDynamoDbLocal, startSesLocal } from '../lib/runtime/local-servers';
import { WorkflowRegistry } from '../lib/runtime/registry';

export interface RequestTally {
  reads: number;
  writes: number;
  rcu: number;
  tableWcu: number;
  indexWcu: number;
  byCommand: Record<string, number>;
}

export const emptyTally = (): RequestTally => ({ reads: 0, writes: 0, rcu: 0, tableWcu: 0, indexWcu: 0, byCommand: {} });

const READS = new Set(['GetItemCommand', 'QueryCommand', 'ScanCommand', 'BatchGetItemCommand']);

const counted = new WeakMap<DynamoDBClient, { tally: () => RequestTally }>();

/** Counts requests and consumed capacity into `tally()`'s current tally (one middleware per client; the latest tally wins). */
export function countRequests(client: DynamoDBClient, tally: () => RequestTally): void {
  const existing = counted.get(client);
  if (existing) {
    existing.tally = tally;
    return;
  }
  const holder = { tally };
  counted.set(client, holder);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const current = holder.tally();
      const command = context.commandName ?? 'unknown';
      current.byCommand[command] = (current.byCommand[command] ?? 0) + 1;
      if (READS.has(command)) current.reads += 1;
      else current.writes += 1;
      const capacity = (result.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity;
      if (capacity) {
        if (READS.has(command)) current.rcu += capacity.CapacityUnits ?? 0;
        else {
          const index = Object.values(capacity.GlobalSecondaryIndexes ?? {}).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
          current.indexWcu += index;
          current.tableWcu += capacity.Table?.CapacityUnits ?? (capacity.CapacityUnits ?? 0) - index;
        }
      }
      return result;
    },
    { step: 'initialize', name: 'waymarkBenchCounter' },
  );
}

export interface BenchServers {
  dynamo: LocalDynamo;
  ses: LocalSes;
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

export async function startBenchServers(): Promise<BenchServers> {
  const [dynamo, ses] = await Promise.all([startDynamoDbLocal(), startSesLocal()]);
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

export function referenceRegistry(): WorkflowRegistry {
  const workflow = JSON.parse(readFileSync(new URL('./reference/journey.json', import.meta.url), 'utf8')) as Workflow;
  const content = JSON.parse(readFileSync(new URL('./reference/content.json', import.meta.url), 'utf8')) as ContentItem[];
  return new WorkflowRegistry([{ ...workflow, entry: { ...workflow.entry, reentry: 'never' }, settings: { ...workflow.settings, timezone: 'UTC' } } as Workflow], createCatalogue(content));
}
