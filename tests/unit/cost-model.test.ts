/**
 * The cost model (bench/cost.ts): given counted requests, these dollars.
 * Every expected figure is worked by hand in the comments, from the list
 * prices in LIST_PRICES (us-east-1, on demand, arm64).
 */
import { describe, expect, it } from 'vitest';
import { type CountedRun, costOf, fixedMonthly, longestOf, type Scenario, scenarioFor, type SweepCost, sweepRequestsPerWakeup } from '../../bench/cost';

/** A million bus events, in round numbers. */
const run: CountedRun = {
  busEvents: 1_000_000,
  customers: 100_000,
  workflows: 1,
  messages: 2_000_000,
  sendMessage: 1_000_000,
  wakeups: 500_000,
  streamRecords: 2_000_000,
  advance: { invocations: 200_000, billedMs: 20_000_000, logBytes: 0 },
  send: { invocations: 50_000, billedMs: 10_000_000, logBytes: 0 },
  readUnits: 3_000_000,
  writeUnits: 5_000_000,
  emails: 1_000_000,
};

const sweep: SweepCost = { idle: { billedMsPerRun: 50, rcuPerRun: 2, wcuPerRun: 2 }, perWakeup: { ms: 0, rcu: 0, wcu: 0 } };
const busy: Scenario = { fill: 10, monthlyEvents: 100_000_000, sendBatch: 25, wakeupsPerSweep: 1157, sweepRequestsPerWakeup: 0.1 };

describe('costOf', () => {
  it('prices each service from the counted requests, per million bus events', () => {
    // Prepare / Act
    const cost = costOf(run, sweep, busy, 'busEvents');

    // Assess
    // EventBridge: 1,000,000 PutEvents entries at $1.00 per million.
    expect(cost.byService.eventBridge).toBeCloseTo(1.0, 6);
    // SQS at $0.40 per million requests: 1,000,000 SendMessage ($0.40), 200,000 receives ($0.08)
    // and 200,000 deletes ($0.08), 500,000 wake-ups × 0.1 SendMessageBatch ($0.02); and the fixed
    // 648,000 empty receives a month ($0.2592) spread over 100 million events ($0.002592).
    expect(cost.byService.sqs).toBeCloseTo(0.58 + 0.002592, 6);
    // Lambda: 250,000 invocations at $0.20 per million ($0.05); advance 20,000 s at 1 GB and send
    // 10,000 s at 0.5 GB, 25,000 GB-s at $0.0000133334 ($0.333335); the sweep's SendMessageBatch
    // waits, 50,000 × 10 ms at 0.25 GB (125 GB-s, $0.00166668); fixed: 43,200 sweeps ($0.00864)
    // of 50 ms at 0.25 GB (540 GB-s, $0.00720004) over 100 million events.
    expect(cost.byService.lambda).toBeCloseTo(0.05 + 0.333335 + 0.00166668 + (0.00864 + 0.00720004) / 100, 6);
    // DynamoDB: 5,000,000 write units at $0.625 per million, 3,000,000 read units at $0.125;
    // fixed: 86,400 of each for the sweep ($0.054 + $0.0108), and the control reads: 100 million
    // events a month are 20 million advance and 5 million send invocations, far more than the
    // 86,400 cache lives of 30 s of each of 5 advance and 4 send functions (432,000 + 345,600
    // reads), plus one per sweep (43,200): 820,800 reads at half a unit, $0.0513; all over 100.
    expect(cost.byService.dynamodb).toBeCloseTo(3.125 + 0.375 + (0.054 + 0.0108 + 0.0513) / 100, 6);
    // CloudWatch: Lambda's 600 bytes for each of 250,000 invocations (150,000,000 bytes,
    // 0.1396984 GB at $0.50, $0.0698492); fixed: 11 alarms at $0.10 ($1.10) over 100.
    expect(cost.byService.cloudWatch).toBeCloseTo((150_000_000 / 2 ** 30) * 0.5 + 1.1 / 100, 6);
    // Secrets Manager: the unsubscribe keys' secret, $0.40 a month, over 100.
    expect(cost.byService.secretsManager).toBeCloseTo(0.004, 6);
    expect(cost.total).toBeCloseTo(1 + 0.582592 + 0.38500168 + 0.0001584 + 3.501161 + 0.0698492 + 0.011 + 0.004, 5);
    // 0.33984004 (sweep, polls) + 0.0513 (controls) + 1.10 (alarms) + 0.40 (secret) = $1.89114004 a month.
    expect(cost.fixedPerMillion).toBeCloseTo(1.89114004 / 100, 8);
  });

  it('shows SES apart, never in the total; the stream reads of the send trigger at $0', () => {
    const cost = costOf(run, sweep, busy, 'busEvents');

    // 1,000,000 emails at $0.10 per thousand.
    expect(cost.apart.sesEmails).toBeCloseTo(100, 6);
    expect(cost.lines.every((line) => line.service !== ('SES' as string))).toBe(true);
    // Four polls a second on each of four shards, 2,592,000 seconds: 41,472,000 a month, free.
    const stream = fixedMonthly(sweep).lines.find((line) => line.item.startsWith('stream GetRecords'));
    expect(stream?.quantity).toBe(41_472_000);
    expect(stream?.usd).toBe(0);
  });

  it('per million customers: the same requests over the customers, without the fixed monthly part', () => {
    const cost = costOf(run, sweep, busy, 'customers');

    // 100,000 customers: ten times the figures per million events, and no fixed part.
    expect(cost.byService.eventBridge).toBeCloseTo(10, 6);
    expect(cost.byService.dynamodb).toBeCloseTo(35, 6);
    expect(cost.byService.cloudWatch).toBeCloseTo((1_500_000_000 / 2 ** 30) * 0.5, 6);
    expect(cost.byService.secretsManager).toBe(0);
    expect(cost.fixedPerMillion).toBe(0);
  });

  it('at a million events a month the fixed part is $1.86 per million, the alarms and the secret most of it', () => {
    const quiet: Scenario = { ...busy, fill: 1, monthlyEvents: 1_000_000 };
    // A million events a month: 200,000 advance and 50,000 send invocations, each reading the control
    // (fewer than the cache lives), plus 43,200 sweeps: 293,200 reads, 146,600 units, $0.018325.
    expect(costOf(run, sweep, quiet, 'busEvents').fixedPerMillion).toBeCloseTo(0.33984004 + 0.018325 + 1.5, 8);
    // Busy, the cache bounds the reads: $0.0513 a month per workflow.
    expect(fixedMonthly(sweep).usd).toBeCloseTo(1.89114004, 8);
    expect(fixedMonthly(sweep, 2).usd - fixedMonthly(sweep, 1).usd).toBeCloseTo(0.0513, 8);
  });
});

describe('scenarioFor', () => {
  it('puts a fill of ten where five pollers each find ten messages a second', () => {
    // 50 messages a second at 2 messages per event: 25 events a second, 64.8 million a month.
    const scenario = scenarioFor(10, { messages: 2, streamRecords: 2, wakeups: 0.5 });
    expect(scenario.monthlyEvents).toBeCloseTo(64_800_000, 0);
    // 50 journey writes a second over four shards: 12.5 a shard, 25 in the 2 s window, plus the first.
    expect(scenario.sendBatch).toBe(26);
    // 64.8 million × 0.5 wake-ups over 43,200 sweeps: 750 a minute, ten to a request.
    expect(scenario.wakeupsPerSweep).toBeCloseTo(750, 6);
    expect(scenario.sweepRequestsPerWakeup).toBeCloseTo(0.1, 2);
  });

  it('takes a fill of one at a million events a month, where a stream batch holds one write', () => {
    const scenario = scenarioFor(1, { messages: 2, streamRecords: 2, wakeups: 0.5 });
    expect(scenario.monthlyEvents).toBe(1_000_000);
    expect(scenario.sendBatch).toBe(1);
  });
});

describe('sweepRequestsPerWakeup', () => {
  it('is one request per wake-up when a minute rarely holds two', () => {
    expect(sweepRequestsPerWakeup(0.01)).toBeCloseTo(0.995, 3);
  });

  it('is a tenth when minutes hold hundreds', () => {
    expect(sweepRequestsPerWakeup(1000)).toBeCloseTo(0.1, 3);
  });

  it('pays for part-filled requests in between (ten a minute on average: 1.42 requests a minute)', () => {
    expect(sweepRequestsPerWakeup(10)).toBeGreaterThan(0.13);
    expect(sweepRequestsPerWakeup(10)).toBeLessThan(0.15);
  });
});

describe('longestOf: how long advance waits for DynamoDB when it applies customers at once', () => {
  it('is the longest customer\'s chain of requests when every customer has a worker', () => {
    expect(longestOf([3, 5, 2], 10)).toBe(5);
  });

  it('is every request in turn with one worker', () => {
    expect(longestOf([3, 5, 2], 1)).toBe(10);
  });

  it('gives the next customer to the first worker free: chains 4, 4, 1, 1, 1 on two workers take 6', () => {
    // Worker A: 4, then 1 (at 4), then 1 (at 5): 6. Worker B: 4, then 1 (at 4): 5.
    expect(longestOf([4, 4, 1, 1, 1], 2)).toBe(6);
  });

  it('is nothing for no requests', () => {
    expect(longestOf([], 10)).toBe(0);
  });
});
