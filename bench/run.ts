/**
 * `npm run bench`: every benchmark, each figure a ratio against a baseline run
 * in the same process (or, for whole commands, measured the same way), written
 * to bench/results.json and printed as a table with the targets.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { hideSdkNodeVersionNotice } from '../lib/runtime/quiet-warnings';
import { benchAdvance } from './advance-throughput';
import { benchBundles } from './bundles';
import { costPerMillionEvents, LIST_PRICES } from './cost';
import { benchEngine, formatEngineBenchmark } from './engine-throughput';
import { startBenchServers } from './local-aws';
import { benchSegmentScan } from './segment-scan';
import { benchSimulate } from './simulate';
import { benchStoreCost } from './store-cost';

hideSdkNodeVersionNotice();
const quick = process.argv.includes('--quick');
const log = (line: string) => console.error(`bench: ${line}`);

// Taken before anything runs: a busy machine (other processes) is the first suspect of an odd figure.
const loadAtStart = loadavg()[0]!;
log('engine vs XState (paired rounds, alternating order)…');
const engine = benchEngine(quick ? 5000 : 20_000, quick ? 4 : 8, quick ? 1 : 2);
log('starting DynamoDB Local and the local SES server…');
const servers = await startBenchServers();
let store;
let advance;
let segment;
try {
  log('store cost per input…');
  store = await benchStoreCost(servers, quick ? 100 : 300);
  log('advance handler vs bare operations…');
  advance = await benchAdvance(servers, quick ? 60 : 150, quick ? 1 : 3);
  log('segment scan (figures per 100,000 profiles)…');
  segment = await benchSegmentScan(servers, quick ? 5000 : 20_000);
} finally {
  await servers.stop();
}
log('bundles and cold load…');
const bundles = await benchBundles(quick ? 5 : 15);
log('simulate 100,000 customers over 30 days…');
const simulate = benchSimulate(quick ? 20_000 : 100_000, 30);
const cost = costPerMillionEvents(store, advance);

const journeyWrite = store.stateChanging.operations.saveJourney;
const deployed = bundles.handlers.filter((h) => h.variant === 'sdk bundled');
const targets = [
  { figure: 'engine vs XState v5, inputs per CPU-second (median of paired rounds)', measured: engine.ratio, target: 6, better: 'higher', unit: '×' },
  { figure: 'journey write units per state-changing input', measured: journeyWrite?.capacityPerInput ?? 0, target: 1, better: 'lower', unit: 'WCU' },
  { figure: 'journey read units per state-changing input', measured: store.stateChanging.operations.loadCustomer?.capacityPerInput ?? 0, target: 0.5, better: 'lower', unit: 'RCU' },
  { figure: 'writes for an event that changes nothing', measured: store.byKind.irrelevant.writesPerInput, target: 0, better: 'lower', unit: '' },
  { figure: 'advance handler vs bare operations', measured: advance.ratio, target: 0.8, better: 'higher', unit: '×' },
  { figure: 'largest handler bundle (SDK bundled)', measured: Math.max(...deployed.map((h) => h.bytes)) / 1024, target: 150, better: 'lower', unit: 'KB' },
  { figure: 'slowest handler load vs empty bundle', measured: Math.max(...deployed.map((h) => h.loadRatio)), target: 1.5, better: 'lower', unit: '×' },
  { figure: 'cost per million events before email', measured: cost.total, target: 2.5, better: 'lower', unit: '$' },
  { figure: 'simulate 100k customers × 30 days: wall time', measured: simulate.wallSeconds, target: 30, better: 'lower', unit: 's' },
  { figure: 'simulate 100k customers × 30 days: peak memory', measured: simulate.peakMemoryMb, target: 1024, better: 'lower', unit: 'MB' },
].map((t) => ({ ...t, met: t.better === 'higher' ? t.measured >= t.target : t.measured <= t.target }));

const machine = { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform, loadAverage: { start: loadAtStart, end: loadavg()[0]! } };
const results = { generatedAt: new Date().toISOString(), quick, machine, prices: LIST_PRICES, targets, engine, store, advance, bundles, cost, simulate, segment };
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

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
console.log('\nbundles (bytes, load ms, load vs empty):');
for (const h of bundles.handlers) console.log(`  ${h.handler.padEnd(12)} ${h.variant.padEnd(13)} ${fmt(h.bytes / 1024, 1).padStart(7)} KB  ${fmt(h.loadMs, 0).padStart(5)} ms  ${fmt(h.loadRatio, 1)}×`);
console.log(`  empty handler ${bundles.empty.bytes} B, ${fmt(bundles.empty.loadMs, 0)} ms`);
console.log(`\ncost per million events: $${fmt(cost.total, 3)} (EventBridge $${fmt(cost.eventBridge, 3)}, SQS $${fmt(cost.sqs, 3)}, Lambda $${fmt(cost.lambdaRequests + cost.lambdaDuration, 3)}, DynamoDB $${fmt(cost.dynamoWrites + cost.dynamoReads, 3)})`);
console.log(`simulate: ${fmt(simulate.wallSeconds, 1)} s, ${fmt(simulate.peakMemoryMb, 0)} MB peak (baseline \`waymark validate\`: ${fmt(simulate.baseline.wallSeconds, 1)} s)`);
console.log(
  `segment scan, per 100,000 profiles (each with a journey item): ${fmt(segment.steady.per100k.readUnits, 0)} read units ($${fmt(segment.steady.per100k.readCostUsd, 4)}), ` +
    `${fmt(segment.steady.per100k.seconds, 1)} s on DynamoDB Local, at least ${fmt(segment.steady.per100k.minimumSecondsAtDefaultBound, 1)} s deployed (the default bound, 1,000 units/s); ` +
    `a first run where 10% join: ${fmt(segment.first.per100k.seconds, 1)} s, ${fmt(segment.first.memberWrites * (100_000 / segment.profiles), 0)} membership writes`,
);
console.log('\nwrote bench/results.json');
