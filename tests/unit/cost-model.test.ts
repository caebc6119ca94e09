/**
 * The cost model (bench/cost.ts): given counted requests, these dollars.
 * Every expected figure is worked by hand in the comments, from the list
 * prices in LIST_PRICES (us-east-1, on demand, arm64).
 */
import { describe, expect, it } from 'vitest';
import { type CountedRun, costOf, fixedMonthly, type Scenario, scenarioFor, type SweepCost, sweepRequestsPerWakeup } from '../../bench/cost';

/** A million bus events, in round numbers. */
const run: CountedRun = {
  busEvents: 1_000_000,
  customers: 100_000,
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
    // fixed: 86,400 of each for the sweep ($0.054 + $0.0108) over 100 million events.
    expect(cost.byService.dynamodb).toBeCloseTo(3.125 + 0.375 + 0.0648 / 100, 6);
    expect(cost.total).toBeCloseTo(1 + 0.582592 + 0.38500168 + 0.0001584 + 3.500648, 6);
    expect(cost.fixedPerMillion).toBeCloseTo(0.33984004 / 100, 8);
  });

  it('shows SES and logs apart, never in the total', () => {
    const cost = costOf(run, sweep, busy, 'busEvents');

    // 1,000,000 emails at $0.10 per thousand; logs: Lambda's 600 bytes for each of 250,000 invocations.
    expect(cost.apart.sesEmails).toBeCloseTo(100, 6);
    expect(cost.apart.cloudWatchLogs).toBeCloseTo(((250_000 * 600) / 2 ** 30) * 0.5, 6);
    expect(cost.lines.every((line) => line.service !== ('SES' as string))).toBe(true);
  });

  it('per million customers: the same requests over the customers, without the fixed monthly part', () => {
    const cost = costOf(run, sweep, busy, 'customers');

    // 100,000 customers: ten times the figures per million events, and no fixed part.
    expect(cost.byService.eventBridge).toBeCloseTo(10, 6);
    expect(cost.byService.dynamodb).toBeCloseTo(35, 6);
    expect(cost.fixedPerMillion).toBe(0);
  });

  it('at a million events a month the fixed part is a third of a dollar per million', () => {
    const quiet: Scenario = { ...busy, fill: 1, monthlyEvents: 1_000_000 };
    expect(costOf(run, sweep, quiet, 'busEvents').fixedPerMillion).toBeCloseTo(0.33984004, 8);
    expect(fixedMonthly(sweep).usd).toBeCloseTo(0.33984004, 8);
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
