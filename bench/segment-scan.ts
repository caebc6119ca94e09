/**
 * The segment job's cost: read units and time per 100,000 stored profiles
 * scanned, against DynamoDB Local (which reports ConsumedCapacity as DynamoDB
 * does). Each customer has a profile (~200 B) and one journey item (~350 B, the
 * size the store benchmark measures), as in a table in use; a tenth of them
 * match the segment. Two runs: the first, where the matching customers join
 * (one event and one membership write each), and the steady state, where
 * everyone who matches is a member already.
 *
 * The scan runs unbounded here. Read units are the figure that carries over
 * to AWS (DynamoDB Local computes them as DynamoDB does, and they grow
 * linearly with the table); the time is DynamoDB Local's, which scans far more
 * slowly than DynamoDB. Deployed, the read rate is bounded (1,000 units a
 * second by default), so a run takes at least readUnits / 1,000 seconds.
 */
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { scanSegment, type SegmentRule } from '../lib/audience/segment-scan';
import { key } from '../lib/runtime/table';
import { LIST_PRICES } from './cost';
import { type BenchServers, countRequests, emptyTally } from './local-aws';

export interface SegmentScanRun {
  ms: number;
  readUnits: number;
  itemsRead: number;
  joined: number;
  /** Membership writes (one write unit each: the items are small). */
  memberWrites: number;
  /** Per 100,000 profiles scanned. */
  per100k: { readUnits: number; seconds: number; readCostUsd: number; minimumSecondsAtDefaultBound: number };
}

export interface SegmentScanBench {
  profiles: number;
  itemsPerCustomer: number;
  matchingShare: number;
  first: SegmentScanRun;
  steady: SegmentScanRun;
}

const PLANS = ['free', 'free', 'free', 'pro', 'pro', 'team', 'team', 'team', 'team', 'trial'];
const ZONES = ['America/New_York', 'Europe/Berlin', 'Europe/Lisbon', 'Asia/Tokyo', 'America/Los_Angeles'];
export const DEFAULT_READ_BOUND = 1000;

/** Writes `count` customers: a profile and a journey item each. */
async function seed(servers: BenchServers, tableName: string, count: number): Promise<void> {
  const journeyState = 'x'.repeat(300);
  const requests: WriteRequest[] = [];
  for (let i = 0; i < count; i++) {
    const id = `c-${i.toString().padStart(7, '0')}`;
    const p = { email: `customer${i}@example.com`, firstName: `Customer ${i}`, timezone: ZONES[i % ZONES.length], plan: PLANS[i % PLANS.length], seats: 1 + (i % 7), company: `Company ${i % 997}`, country: i % 3 ? 'DE' : 'US' };
    requests.push({ PutRequest: { Item: marshall({ ...key.profile(id), p, updatedAt: 1_790_000_000_000 }) } });
    requests.push({ PutRequest: { Item: marshall({ ...key.journey(id, 'nurture'), v: 3, st: journeyState }) } });
  }
  const batches: WriteRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let pending: WriteRequest[] | undefined = batches[next++];
      while (pending && pending.length > 0) {
        const output = await servers.dynamo.client.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = output.UnprocessedItems?.[tableName];
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

export async function benchSegmentScan(servers: BenchServers, profiles = 100_000): Promise<SegmentScanBench> {
  const tableName = await servers.newTable();
  await seed(servers, tableName, profiles);
  // One customer in ten is on a trial: they match.
  const segment: SegmentRule = { id: 'trial-nudge', audience: 'trial-nudge', profile: { plan: ['trial'] } };

  const run = async (): Promise<SegmentScanRun> => {
    const tally = emptyTally();
    countRequests(servers.dynamo.client, () => tally);
    let joined = 0;
    const result = await scanSegment({
      client: servers.dynamo.client,
      tableName,
      segment,
      sink: { emit: async (events) => ((joined += events.length), []) },
      now: Date.now,
      readUnitsPerSecond: 1e9,
      parallel: 4,
    });
    const scale = 100_000 / result.profiles;
    return {
      ms: result.ms,
      readUnits: result.readUnits,
      itemsRead: result.itemsRead,
      joined,
      memberWrites: tally.writes,
      per100k: {
        readUnits: result.readUnits * scale,
        seconds: (result.ms / 1000) * scale,
        readCostUsd: ((result.readUnits * scale) / 1e6) * LIST_PRICES.dynamoReadRequestUnitPerMillion,
        // Deployed, the read bound sets the pace: no run is faster than this.
        minimumSecondsAtDefaultBound: (result.readUnits * scale) / DEFAULT_READ_BOUND,
      },
    };
  };
  const first = await run();
  const steady = await run();
  return { profiles, itemsPerCustomer: 2, matchingShare: 0.1, first, steady };
}
