/**
 * `npm run bench`: every benchmark, each figure a ratio against a baseline run
 * in the same process (or, for whole commands, measured the same way), written
 * to bench/results.json and printed as a table with the targets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { hideSdkNodeVersionNotice } from '../lib/runtime/quiet-warnings';
import { benchAdvance } from './advance-throughput';
import { benchBundles } from './bundles';
import { LIST_PRICES, STACK_ALARMS } from './cost';
import { benchCost, FILLS, TARGET_PER_MILLION_EVENTS } from './cost-bench';
import { benchEngine, formatEngineBenchmark } from './engine-throughput';
import { type BenchServers, startBenchServers } from './local-aws';
import { benchReplay } from './replay';
import { benchSegmentScan } from './segment-scan';
import { benchSimulate } from './simulate';
import { benchBudgetCost, benchStoreCost } from './store-cost';

hideSdkNodeVersionNotice();
const quick = process.argv.includes('--quick');
const log = (line: string) => console.error(`bench: ${line}`);
const resultsUrl = new URL('./results.json', import.meta.url);

/**
 * `--only cost,bundles`: runs only those benchmarks and keeps the others' figures from the last
 * bench/results.json (each part records when it was measured, in `measuredAt`). On a slow or
 * shared machine the whole run takes long; a figure is never mixed from two runs.
 */
const PARTS = ['engine', 'store', 'budget', 'advance', 'segment', 'cost', 'bundles', 'simulate', 'replay'] as const;
type Part = (typeof PARTS)[number];
const onlyArgument = process.argv.find((a, i) => a.startsWith('--only=') || process.argv[i - 1] === '--only');
const only = onlyArgument === undefined ? undefined : new Set(onlyArgument.replace(/^--only=/, '').split(','));
for (const part of only ?? []) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only: no benchmark "${part}" (${PARTS.join(', ')})`);
const previous = only ? (JSON.parse(readFileSync(resultsUrl, 'utf8')) as Record<string, any>) : undefined;
// A part the last results lack (a new benchmark, an older file) is measured too, and said so.
const missing = only ? PARTS.filter((part) => !only.has(part) && previous?.[part] === undefined) : [];
if (missing.length > 0) console.error(`bench: bench/results.json has no ${missing.join(', ')} figures: measuring ${missing.length === 1 ? 'it' : 'them'} too`);
const runs = (part: Part) => !only || only.has(part) || missing.includes(part);
const measuredAt: Record<string, string> = { ...(previous?.measuredAt ?? Object.fromEntries(PARTS.map((p) => [p, previous?.generatedAt]))) };
const measure = async <T>(part: Part, run: () => T | Promise<T>): Promise<T> => {
  if (!runs(part)) return previous![part] as T;
  const result = await run();
  measuredAt[part] = new Date().toISOString();
  return result;
};

// Taken before anything runs: a busy machine (other processes) is the first suspect of an odd figure.
const loadAtStart = loadavg()[0]!;
const engine = await measure('engine', () => {
  log('engine vs XState (paired rounds, alternating order)…');
  return benchEngine(quick ? 5000 : 20_000, quick ? 4 : 8, quick ? 1 : 2);
});
const withServers = async <T>(part: Part, run: (servers: BenchServers) => Promise<T>): Promise<T> =>
  measure(part, async () => {
    // Fresh servers for each benchmark: DynamoDB Local slows down as earlier tables and their streams pile up.
    const servers = await startBenchServers();
    try {
      return await run(servers);
    } finally {
      await servers.stop();
    }
  });
const store = await withServers('store', (servers) => {
  log('store cost per input…');
  return benchStoreCost(servers, quick ? 100 : 300);
});
const budget = await withServers('budget', (servers) => {
  log('send budget across journeys: cost per input, with and without…');
  return benchBudgetCost(servers, quick ? 100 : 300);
});
const advance = await withServers('advance', (servers) => {
  log('advance handler vs bare operations…');
  return benchAdvance(servers, quick ? 60 : 150, quick ? 1 : 3);
});
const segment = await withServers('segment', (servers) => {
  log('segment scan (figures per 100,000 profiles)…');
  return benchSegmentScan(servers, quick ? 5000 : 20_000);
});
const cost = await withServers('cost', (servers) => {
  log('cost: the whole pipeline, every request counted…');
  return benchCost(servers, quick ? 40 : 150, quick ? 20 : 100, log);
});
const bundles = await measure('bundles', () => {
  log('bundles and cold load…');
  return benchBundles(quick ? 5 : 15);
});
const simulate = await measure('simulate', () => {
  const simulated = quick ? 100_000 : 1_000_000;
  log(`simulate ${simulated.toLocaleString('en-US')} customers over 30 days…`);
  return benchSimulate(simulated, 30);
});
const replay = await measure('replay', () => {
  log('replay 1,000,000 events through two workflow sets…');
  return benchReplay(quick ? 100_000 : 1_000_000);
});

const journeyWrite = store.stateChanging.operations.saveJourney;
const slowest = bundles.handlers.reduce((a, b) => (b.loadVsSdkBaseline > a.loadVsSdkBaseline ? b : a));
const targets = [
  { figure: 'engine vs XState v5, inputs per CPU-second (median of paired rounds)', measured: engine.ratio, target: 6, better: 'higher', unit: '×' },
  { figure: 'journey write units per state-changing input', measured: journeyWrite?.capacityPerInput ?? 0, target: 1, better: 'lower', unit: 'WCU' },
  { figure: 'journey read units per state-changing input', measured: store.stateChanging.operations.loadCustomer?.capacityPerInput ?? 0, target: 0.5, better: 'lower', unit: 'RCU' },
  { figure: 'writes for an event that changes nothing', measured: store.byKind.irrelevant.writesPerInput, target: 0, better: 'lower', unit: '' },
  { figure: 'advance handler vs bare operations', measured: advance.ratio, target: 0.8, better: 'higher', unit: '×' },
  { figure: `slowest handler load vs its SDK baseline (${slowest.handler}, CPU time)`, measured: slowest.loadVsSdkBaseline, target: 1.25, better: 'lower', unit: '×' },
  { figure: 'cost per million bus events (reference workload, SQS batches of 10)', measured: cost.perMillionEvents, target: TARGET_PER_MILLION_EVENTS, better: 'lower', unit: '$' },
  { figure: 'largest journey item (every write of every cost run)', measured: cost.journeyItems.maxBytes, target: 1024, better: 'lower', unit: 'B' },
  // The targets are for 1,000,000 customers (a --quick run simulates 100,000 against the same targets).
  { figure: `simulate ${simulate.customers === 1_000_000 ? '1M' : simulate.customers.toLocaleString('en-US')} customers × 30 days: wall time`, measured: simulate.wallSeconds, target: 60, better: 'lower', unit: 's' },
  { figure: `simulate ${simulate.customers === 1_000_000 ? '1M' : simulate.customers.toLocaleString('en-US')} customers × 30 days: peak memory`, measured: simulate.peakMemoryMb, target: 2048, better: 'lower', unit: 'MB' },
  { figure: 'replay 1M events, baseline and candidate: wall time', measured: replay.wallSeconds, target: 300, better: 'lower', unit: 's' },
  { figure: 'replay 1M events, baseline and candidate: peak memory', measured: replay.peakMemoryMb, target: 2048, better: 'lower', unit: 'MB' },
].map((t) => ({ ...t, met: t.better === 'higher' ? t.measured >= t.target : t.measured <= t.target }));

const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform, loadAverage: { start: loadAtStart, end: loadavg()[0]! } };
const results = { generatedAt: new Date().toISOString(), measuredAt, quick, machine, prices: LIST_PRICES, targets, engine, store, budget, advance, bundles, cost, simulate, segment, replay };
writeFileSync(resultsUrl, `${JSON.stringify(results, null, 2)}\n`);

const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
console.log(`\nWaymark benchmarks (${machine.cores} × ${machine.cpu}, ${machine.memoryGb} GB, Node ${machine.node})\n`);
console.log('| figure | measured | target | |');
console.log('|---|---|---|---|');
for (const t of targets) console.log(`| ${t.figure} | ${t.unit === '$' ? '$' : ''}${fmt(t.measured)}${t.unit !== '$' && t.unit ? ` ${t.unit}` : ''} | ${t.better === 'higher' ? '≥' : '≤'} ${t.unit === '$' ? '$' : ''}${t.target}${t.unit !== '$' && t.unit ? ` ${t.unit}` : ''} | ${t.met ? 'met' : 'missed'} |`);
console.log(`\n${formatEngineBenchmark(engine)}`);
console.log(`advance: ${fmt(advance.advance.inputsPerSecond, 0)} inputs/s vs bare ${fmt(advance.bare.inputsPerSecond, 0)} (${fmt(advance.requestsPerInput)} DynamoDB requests and ${fmt(advance.emailsPerInput)} emails per input)`);
console.log('\nstore, per input by kind (reads, writes, read units, table write units, index write units):');
for (const [kind, k] of Object.entries(store.byKind)) console.log(`  ${kind.padEnd(13)} ${String(k.inputs).padStart(5)} inputs  ${fmt(k.readsPerInput)} r  ${fmt(k.writesPerInput)} w  ${fmt(k.rcuPerInput)} RCU  ${fmt(k.tableWcuPerInput)} WCU  +${fmt(k.indexWcuPerInput)} index WCU`);
console.log(`  counters: ${fmt(store.counterWritesPerInput)} writes per input; journey items ${store.medianJourneyItemBytes} B median, ${store.maxJourneyItemBytes} B max`);
console.log(
  `  with a send budget (${budget.settings.budget!.max} per ${budget.settings.budget!.per}), per state-changing input: +${fmt(budget.extraRcuPerInput)} RCU, +${fmt(budget.extraWcuPerInput)} WCU ` +
    `(${fmt(budget.ledgerWritesPerInput)} ledger writes, ${fmt(budget.ledgerWcuPerInput)} WCU), +${fmt(budget.extraRequestsPerInput)} requests; apply time ${fmt(budget.timeRatio)}× without`,
);
console.log('\nbundles (deployed, SDK bundled; load = CPU ms of a fresh import, median; vs the same SDK clients alone):');
for (const h of bundles.handlers) {
  console.log(`  ${h.handler.padEnd(12)} ${fmt(h.bytes / 1024, 1).padStart(7)} KB  ${fmt(h.loadMs, 0).padStart(4)} ms  SDK baseline ${fmt(h.sdkBaseline.bytes / 1024, 1).padStart(6)} KB ${fmt(h.sdkBaseline.loadMs, 0).padStart(4)} ms  ${fmt(h.loadVsSdkBaseline)}×`);
}
console.log(`  empty handler ${bundles.empty.bytes} B, ${fmt(bundles.empty.loadMs, 0)} ms`);
const money = (n: number) => `$${fmt(n, 2)}`;
console.log('\ncost per million bus events (reference workload), by SQS batch fill:');
for (const fill of FILLS) {
  const f = cost.byBatchFill[String(fill)]!;
  console.log(
    `  fill ${String(fill).padStart(2)} (~${fmt(f.scenario.monthlyEvents / 1e6, 0)}M events a month, stream batches of ${f.scenario.sendBatch}): ${money(f.total)}  ` +
      `EventBridge ${money(f.byService.eventBridge)}, SQS ${money(f.byService.sqs)}, Lambda ${money(f.byService.lambda)}, DynamoDB ${money(f.byService.dynamodb)}, ` +
      `CloudWatch ${money(f.byService.cloudWatch)}, Secrets Manager ${money(f.byService.secretsManager)} (fixed part ${money(f.fixedPerMillion)})`,
  );
}
console.log(`  without SES opens reaching advance (fill 10): ${money(cost.whatIf.withoutOpens.perMillionEvents)}`);
console.log(`  per million customers of the sample nurture (fill 10): ${money(cost.perMillionCustomers)} (+ SES ${money(cost.sesPerMillionCustomers)} for ${fmt(cost.nurture.perCustomer.emails, 1)} emails each)`);
console.log(`  fixed: ${money(cost.fixedPerMonth.usd)} a month at most (the sweep every minute, idle long polls, control reads, ${STACK_ALARMS} alarms, the secret)`);
console.log(`  ${cost.meetsTarget ? 'meets' : 'misses'} the target of $${TARGET_PER_MILLION_EVENTS.toFixed(2)} per million events at batch fill 10: ${money(cost.perMillionEvents)}`);
console.log(`  journey items: ${cost.journeyItems.medianBytes} B median, ${cost.journeyItems.maxBytes} B max, ${cost.journeyItems.overOneKb} writes over 1 KB`);
console.log(
  `simulate: ${simulate.customers.toLocaleString('en-US')} customers × ${simulate.days} days in ${fmt(simulate.wallSeconds, 1)} s (${fmt(simulate.cpuSeconds ?? Number.NaN, 1)} CPU-s, ${fmt(simulate.customersPerSecond ?? Number.NaN, 0)} customers/s, ${fmt(simulate.ratio, 1)}× \`waymark validate\`'s ${fmt(simulate.baseline.wallSeconds, 1)} s), ${fmt(simulate.peakMemoryMb, 0)} MB peak, ${simulate.emails?.toLocaleString('en-US') ?? '?'} emails`,
);
console.log(
  `segment scan, per 100,000 profiles (each with a journey item): ${fmt(segment.steady.per100k.readUnits, 0)} read units ($${fmt(segment.steady.per100k.readCostUsd, 4)}), ` +
    `${fmt(segment.steady.per100k.seconds, 1)} s on DynamoDB Local, at least ${fmt(segment.steady.per100k.minimumSecondsAtDefaultBound, 1)} s deployed (the default bound, 1,000 units/s); ` +
    `a first run where 10% join: ${fmt(segment.first.per100k.seconds, 1)} s, ${fmt(segment.first.memberWrites * (100_000 / segment.profiles), 0)} membership writes`,
);
console.log(
  `replay: ${fmt(replay.events, 0)} events (${fmt(replay.fileMb, 0)} MB, ${fmt(replay.customers, 0)} leads) in ${fmt(replay.wallSeconds, 1)} s (${fmt(replay.cpuSeconds, 1)} s CPU), ${fmt(replay.peakMemoryMb, 0)} MB peak; ` +
    `${fmt(replay.changed ?? 0, 0)} of ${fmt(replay.replayedCustomers ?? 0, 0)} customers changed (baseline \`waymark validate\`: ${fmt(replay.baseline.wallSeconds, 1)} s, ${fmt(replay.baseline.peakMemoryMb, 0)} MB)`,
);
console.log('\nwrote bench/results.json');
if (cost.journeyItems.overOneKb > 0) {
  // A journey item over 1 KB costs two write units a write: the run fails, as the issue asks.
  console.error(`bench: FAILED: ${cost.journeyItems.overOneKb} journey writes over 1 KB (largest ${cost.journeyItems.maxBytes} B: ${JSON.stringify(cost.journeyItems.largest)})`);
  process.exitCode = 1;
}
