/**
 * The cost benchmark: the reference workload through the whole pipeline at
 * SQS batch fills of 1, 3 and 10, the sample nurture at a fill of 10, the
 * sweep on its own; every request counted (pipeline.ts) and priced
 * (cost.ts). `npx tsx bench/cost-bench.ts [customers] [nurture customers]`
 * prints it alone.
 */
import { type CostBreakdown, type CountedRun, costOf, fixedMonthly, type Scenario, scenarioFor, type SweepCost } from './cost';
import { type BenchServers, startBenchServers } from './local-aws';
import { type AdvanceCounts, measureSweep, type PipelineRun, type PipelineWorkload, runPipeline, type SweepFigures } from './pipeline';
import { nurtureWorkload, referencePipelineWorkload } from './workloads';

export const FILLS = [1, 3, 10] as const;

export interface FillCost extends CostBreakdown {
  scenario: Scenario;
  /** What the run counted, per million bus events. */
  perMillion: { messages: number; advanceInvocations: number; sendInvocations: number; readUnits: number; writeUnits: number; wakeups: number; streamRecords: number; emails: number; failedConditions: number; emptyReadMinimumUnits: number };
  run: PipelineRun;
}

/** The target: USD per million bus events on the reference workload at SQS batches of ten. */
export const TARGET_PER_MILLION_EVENTS = 3.2;

export interface CostBenchmark {
  /** USD per million bus events, reference workload, SQS batches of ten. */
  perMillionEvents: number;
  meetsTarget: boolean;
  byService: CostBreakdown['byService'];
  byBatchFill: Record<string, FillCost>;
  /** USD per million customers of the sample nurture (everything each causes until their journey ends), SES apart. */
  perMillionCustomers: number;
  nurture: FillCost & { perCustomer: { busEvents: number; messages: number; emails: number; sesEvents: number; wakeups: number } };
  sesPerMillionCustomers: number;
  fixedPerMonth: { usd: number; lines: CostBreakdown['lines'] };
  sweep: SweepFigures;
  /** Measured alternatives for the levers (bench/README.md): the same workload without SES opens reaching advance. */
  whatIf: { withoutOpens: { perMillionEvents: number; byService: CostBreakdown['byService']; perMillion: FillCost['perMillion'] } };
  /** Counter writes of the send path per bus event, at other stream batch sizes (reference workload, counted on its records). */
  counterWritesPerEventBySendBatch: Record<string, number>;
  /** Distinct counter items (workflow, day) of a day, and stream records per bus event: counters per event at a batch of b ≈ min(b, groups) ÷ b × records. */
  counterGroupsPerDay: number;
  /** Journey items, every write of every run: the largest, and how many were over 1 KB (one write unit). */
  journeyItems: { writes: number; maxBytes: number; medianBytes: number; overOneKb: number; largest: Record<string, number> };
}

const perEventOf = (counts: AdvanceCounts) => ({ messages: counts.messages / counts.busEvents, streamRecords: counts.streamRecords / counts.busEvents, wakeups: counts.wakeups / counts.busEvents });

/** A pipeline run as the cost model reads it: the deployed-duration model, units of advance and send. */
export function countedOf(run: PipelineRun): CountedRun {
  return {
    busEvents: run.busEvents,
    customers: run.customers,
    workflows: run.workflows,
    messages: run.messages.total,
    sendMessage: run.sqs.sendMessage + run.sqs.deadLetters,
    wakeups: run.messages.wakeups,
    streamRecords: run.streamRecords,
    advance: { invocations: run.lambda.advance.invocations, billedMs: run.lambda.advance.modelledBilledMs, logBytes: run.lambda.advance.logBytes },
    send: { invocations: run.lambda.send.invocations, billedMs: run.lambda.send.modelledBilledMs, logBytes: run.lambda.send.logBytes },
    readUnits: run.dynamoTotal.rcu,
    writeUnits: run.dynamoTotal.tableWcu + run.dynamoTotal.indexWcu,
    emails: run.emails,
  };
}

async function runAt(servers: BenchServers, workload: PipelineWorkload, fill: number, sweep: SweepCost, per: 'busEvents' | 'customers'): Promise<FillCost> {
  let scenario: Scenario | undefined;
  const run = await runPipeline(servers, workload, {
    advanceBatch: fill,
    sendBatch: (counts) => (scenario = scenarioFor(fill, perEventOf(counts))).sendBatch,
  });
  const counted = countedOf(run);
  const cost = costOf(counted, sweep, scenario!, per);
  const scale = 1e6 / run.busEvents;
  return {
    ...cost,
    scenario: scenario!,
    perMillion: {
      messages: run.messages.total * scale,
      advanceInvocations: run.lambda.advance.invocations * scale,
      sendInvocations: run.lambda.send.invocations * scale,
      readUnits: counted.readUnits * scale,
      writeUnits: counted.writeUnits * scale,
      wakeups: run.messages.wakeups * scale,
      streamRecords: run.streamRecords * scale,
      emails: run.emails * scale,
      failedConditions: run.dynamoTotal.failedConditions * scale,
      emptyReadMinimumUnits: run.dynamoTotal.added.rcu * scale,
    },
    run,
  };
}

export async function benchCost(servers: BenchServers, customers = 200, nurtureCustomers = 150, log: (line: string) => void = () => {}): Promise<CostBenchmark> {
  log('  the sweep on its own…');
  const sweep = await measureSweep(servers);
  const byBatchFill: Record<string, FillCost> = {};
  for (const fill of [...FILLS].reverse()) {
    log(`  reference workload, ${customers} customers, SQS batches of ${fill}…`);
    byBatchFill[String(fill)] = await runAt(servers, referencePipelineWorkload(customers), fill, sweep, 'busEvents');
  }
  log(`  reference workload without SES opens, SQS batches of 10…`);
  const withoutOpens = await runAt(servers, referencePipelineWorkload(customers, { opens: false }), 10, sweep, 'busEvents');
  log(`  sample nurture, ${nurtureCustomers} customers, SQS batches of 10…`);
  const nurture = await runAt(servers, nurtureWorkload(nurtureCustomers), 10, sweep, 'customers');
  const n = nurture.run;
  const runs = [...Object.values(byBatchFill).map((f) => f.run), withoutOpens.run, n];
  const largest = runs.flatMap((r) => (r.journeyItems.largest ? [r.journeyItems.largest] : [])).sort((a, b) => b.bytes! - a.bytes!)[0] ?? {};
  const headline = byBatchFill['10']!;
  return {
    perMillionEvents: headline.total,
    meetsTarget: headline.total <= TARGET_PER_MILLION_EVENTS,
    byService: headline.byService,
    byBatchFill,
    perMillionCustomers: nurture.total,
    nurture: {
      ...nurture,
      perCustomer: { busEvents: n.busEvents / n.customers, messages: n.messages.total / n.customers, emails: n.emails / n.customers, sesEvents: n.messages.sesEvents / n.customers, wakeups: n.messages.wakeups / n.customers },
    },
    sesPerMillionCustomers: nurture.apart.sesEmails,
    // At most: every warm function reading the reference workflow's control every 30 s.
    fixedPerMonth: fixedMonthly(sweep, headline.run.workflows),
    sweep,
    whatIf: { withoutOpens: { perMillionEvents: withoutOpens.total, byService: withoutOpens.byService, perMillion: withoutOpens.perMillion } },
    counterWritesPerEventBySendBatch: Object.fromEntries(Object.entries(headline.run.counterWritesBySendBatch).map(([size, writes]) => [size, writes / headline.run.busEvents])),
    counterGroupsPerDay: headline.run.counterGroupsPerDay,
    journeyItems: {
      writes: runs.reduce((s, r) => s + r.journeyItems.writes, 0),
      maxBytes: Math.max(...runs.map((r) => r.journeyItems.maxBytes)),
      medianBytes: headline.run.journeyItems.medianBytes,
      overOneKb: runs.reduce((s, r) => s + r.journeyItems.overOneKb, 0),
      largest,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const servers = await startBenchServers();
  try {
    const result = await benchCost(servers, Number(process.argv[2] ?? 100), Number(process.argv[3] ?? 60), (line) => console.error(line));
    console.log(JSON.stringify(result, (key, value) => (key === 'run' ? undefined : value), 2));
  } finally {
    await servers.stop();
  }
}
