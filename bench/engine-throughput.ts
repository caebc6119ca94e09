/**
 * Engine throughput: inputs applied per second by the pure engine on the
 * reference journey, against the same journey as an XState v5 machine driven
 * through XState's pure `transition()`, on the same seeded event stream, in
 * the same process. Both drivers share the event list and the timer heap; the
 * outcomes (every email, every final status) are checked equal.
 *
 * The figure is a paired comparison: rounds of one engine run and one XState
 * run back to back, in alternating order, after identical warm-up rounds, each
 * run starting from a collected heap; the median of the per-round ratios of
 * inputs per CPU-second is reported with its spread, the same on wall time,
 * and the machine it was measured on.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { transition, initialTransition, type SnapshotFrom } from 'xstate';
import { compileWorkflow } from '../lib/engine/compile';
import { createCatalogue } from '../lib/engine/content';
import { step } from '../lib/engine/interpreter';
import type { CustomerEvent, JourneyState } from '../lib/engine/model';
import type { ContentItem, Workflow } from '../lib/engine/schema';
import { seededRandom } from '../lib/dev/demo';
import { type ReferenceEvent, referenceMachine } from './reference/xstate-journey';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2026-11-02T00:00:00Z');

interface AbstractEvent {
  at: number;
  customer: number;
  kind: 'LEAD' | 'CLICK' | 'ORDER' | 'DELETE' | 'PAGE';
  plan: string | null;
}

export function referenceWorkload(customers: number, seed = 7): AbstractEvent[] {
  const random = seededRandom(seed);
  const events: AbstractEvent[] = [];
  for (let c = 0; c < customers; c++) {
    const lead = START + random() * 5 * DAY;
    const plan = random() < 0.2 ? 'trial' : null;
    events.push({ at: lead, customer: c, kind: 'LEAD', plan });
    events.push({ at: lead + HOUR, customer: c, kind: 'PAGE', plan: null });
    if (random() < 0.4) events.push({ at: lead + random() * 4 * DAY, customer: c, kind: 'CLICK', plan: null });
    if (random() < 0.1) events.push({ at: lead + random() * 8 * DAY, customer: c, kind: 'ORDER', plan: null });
    if (random() < 0.02) events.push({ at: lead + random() * 8 * DAY, customer: c, kind: 'DELETE', plan: null });
  }
  return events.map((e) => ({ ...e, at: Math.round(e.at) })).sort((a, b) => a.at - b.at || a.customer - b.customer);
}

/** A min-heap of [due, customer], shared by both drivers. */
class TimerHeap {
  private readonly due: number[] = [];
  private readonly who: number[] = [];
  get size() {
    return this.due.length;
  }
  peek() {
    return this.due[0];
  }
  push(at: number, customer: number) {
    const { due, who } = this;
    let i = due.push(at) - 1;
    who.push(customer);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (due[p]! <= at) break;
      due[i] = due[p]!;
      who[i] = who[p]!;
      i = p;
    }
    due[i] = at;
    who[i] = customer;
  }
  pop(): [number, number] {
    const { due, who } = this;
    const top: [number, number] = [due[0]!, who[0]!];
    const lastDue = due.pop()!;
    const lastWho = who.pop()!;
    if (due.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= due.length) break;
        const r = l + 1;
        const c = r < due.length && due[r]! < due[l]! ? r : l;
        if (due[c]! >= lastDue) break;
        due[i] = due[c]!;
        who[i] = who[c]!;
        i = c;
      }
      due[i] = lastDue;
      who[i] = lastWho;
    }
    return top;
  }
}

export interface DriverResult {
  inputs: number;
  elapsedMs: number;
  /** CPU time of the process (user + system, every thread) during the run: descheduling by other processes does not count. */
  cpuMs: number;
  /** Per customer: "step:content@at" emails and the final status. */
  outcomes: string[];
}

function drive(events: AbstractEvent[], customers: number, apply: (customer: number, event: AbstractEvent | null, at: number) => number | null, outcome: (customer: number) => string): DriverResult {
  const timers = new TimerHeap();
  const scheduled = new Float64Array(customers).fill(-1);
  let inputs = 0;
  const fire = (until: number) => {
    while (timers.size > 0 && timers.peek()! <= until) {
      const [at, customer] = timers.pop();
      if (scheduled[customer] !== at) continue; // superseded
      scheduled[customer] = -1;
      inputs++;
      const next = apply(customer, null, at);
      if (next !== null) {
        scheduled[customer] = next;
        timers.push(next, customer);
      }
    }
  };
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (const event of events) {
    fire(event.at);
    inputs++;
    const next = apply(event.customer, event, event.at);
    if (next !== null && next !== scheduled[event.customer]) {
      scheduled[event.customer] = next;
      timers.push(next, event.customer);
    } else if (next === null) scheduled[event.customer] = -1;
  }
  fire(Number.POSITIVE_INFINITY);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const outcomes: string[] = [];
  for (let c = 0; c < customers; c++) outcomes.push(outcome(c));
  return { inputs, elapsedMs, cpuMs: (cpu.user + cpu.system) / 1000, outcomes };
}

const DETAIL_TYPES = { LEAD: 'lead.captured', CLICK: 'Email Clicked', ORDER: 'order.placed', DELETE: 'customer.deleted', PAGE: 'page.viewed' } as const;

export function runEngine(events: AbstractEvent[], customers: number): DriverResult {
  const definition = JSON.parse(readFileSync(new URL('./reference/journey.json', import.meta.url), 'utf8')) as Workflow;
  const content = JSON.parse(readFileSync(new URL('./reference/content.json', import.meta.url), 'utf8')) as ContentItem[];
  const workflow = compileWorkflow({ ...definition, entry: { ...definition.entry, reentry: 'never' }, settings: { ...definition.settings, timezone: 'UTC' } } as Workflow, createCatalogue(content));
  const states: Array<JourneyState | null> = new Array(customers).fill(null);
  const profiles = Array.from({ length: customers }, (_, c) => ({ email: `c${c}@example.com` }) as Record<string, unknown>);
  const emails: Array<Array<{ stepId: string; contentId: string; at: number }>> = Array.from({ length: customers }, () => []);
  const customerIds = Array.from({ length: customers }, (_, c) => `c${c}`);
  // Events are built before timing starts, as they arrive from SQS already parsed.
  const built = new Map<AbstractEvent, CustomerEvent>();
  events.forEach((e, i) => {
    if (e.kind === 'LEAD' && e.plan) profiles[e.customer]!.plan = e.plan;
    built.set(e, {
      id: `e${i}`,
      source: e.kind === 'CLICK' ? 'aws.ses' : 'bench',
      'detail-type': DETAIL_TYPES[e.kind],
      time: new Date(e.at).toISOString(),
      detail: { customerId: customerIds[e.customer]!, ...(e.kind === 'CLICK' ? { workflowId: 'reference-nurture' } : {}) },
    });
  });
  return drive(
    events,
    customers,
    (customer, event, at) => {
      const result = step(workflow, states[customer]!, event ? { kind: 'event', event: built.get(event)! } : { kind: 'wake' }, at, { customerId: customerIds[customer]!, profile: profiles[customer]! });
      for (const effect of result.effects) if (effect.type === 'send-email') emails[customer]!.push(effect.email);
      const state = result.state;
      states[customer] = state;
      return state && state.status === 'active' ? state.dueAt : null;
    },
    (customer) => `${emails[customer]!.map((e) => `${e.stepId}:${e.contentId}@${e.at}`).join(',')}|${states[customer]?.status ?? 'outside'}`,
  );
}

type ReferenceSnapshot = SnapshotFrom<typeof referenceMachine>;

export function runXState(events: AbstractEvent[], customers: number): DriverResult {
  const snapshots: Array<ReferenceSnapshot> = [];
  for (let c = 0; c < customers; c++) snapshots.push(initialTransition(referenceMachine)[0]);
  const built = new Map<AbstractEvent, ReferenceEvent>(events.map((e) => [e, e.kind === 'LEAD' ? { type: 'LEAD', at: e.at, plan: e.plan } : { type: e.kind, at: e.at }]));
  return drive(
    events,
    customers,
    (customer, event, at) => {
      const [next] = transition(referenceMachine, snapshots[customer]!, event ? built.get(event)! : { type: 'TICK', at });
      snapshots[customer] = next;
      return next.status === 'active' && next.value !== 'outside' ? next.context.dueAt : null;
    },
    (customer) => {
      const snapshot = snapshots[customer]!;
      // A nested value ({journey: 'clicked'}) means the customer is still in the journey.
      const status = typeof snapshot.value === 'string' ? snapshot.value : 'active';
      return `${snapshot.context.emails.map((e) => `${e.step}:${e.content}@${e.at}`).join(',')}|${status}`;
    },
  );
}

/** The machine a figure was measured on: the ratio depends on the CPU, so it is never reported without it. */
export interface MachineRecord {
  cpu: string;
  cores: number;
  node: string;
  /** 1-minute load average when the benchmark started and ended (0 on Windows). */
  loadAverage: { before: number; after: number };
}

/** Spread of a sample: quartiles by linear interpolation (R's type 7, numpy's default). */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
}

/** One driver's run in a round: inputs per second of wall time and per second of the process's CPU time. */
export interface RunFigures {
  inputsPerSecond: number;
  inputsPerCpuSecond: number;
  elapsedMs: number;
  cpuMs: number;
}

export interface EngineRound {
  /** Which driver ran first in this round: the order alternates, so neither always inherits the other's heap and caches. */
  first: 'engine' | 'xstate';
  engine: RunFigures;
  xstate: RunFigures;
  /** Engine ÷ XState inputs per CPU-second, both measured in this round. */
  ratio: number;
  /** Engine ÷ XState inputs per wall-clock second, both measured in this round. */
  wallRatio: number;
}

export interface EngineBenchmark {
  customers: number;
  inputs: number;
  method: { warmupRounds: number; rounds: number; order: 'alternating'; collectGarbageBeforeEachRun: boolean; headline: 'median of per-round ratios of CPU time' };
  machine: MachineRecord;
  /** Medians over the rounds (each figure's own median), with the spread of inputs per CPU-second. */
  engine: RunFigures & { spread: Spread };
  xstate: RunFigures & { spread: Spread };
  /**
   * The figure: the median of the per-round ratios of inputs per CPU-second.
   * CPU time, not wall time, because the drivers are single-threaded and a busy
   * machine takes the CPU away from one run more than the other (see bench/README.md).
   */
  ratio: number;
  ratioSpread: Spread;
  /** The median of the per-round ratios on wall time: close to `ratio` on a quiet machine, scattered on a busy one. */
  wallRatio: number;
  wallRatioSpread: Spread;
  rounds: EngineRound[];
  /** Every run, engine and XState, decided the same emails and final statuses for every customer. */
  sameOutcomes: boolean;
}

export function spreadOf(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError('spreadOf needs at least one value');
  const sorted = [...values].sort((a, b) => a - b);
  const quantile = (p: number) => {
    const h = (sorted.length - 1) * p;
    const lo = Math.floor(h);
    return sorted[lo]! + (h - lo) * ((sorted[Math.min(lo + 1, sorted.length - 1)] ?? sorted[lo]!) - sorted[lo]!);
  };
  return { median: quantile(0.5), q1: quantile(0.25), q3: quantile(0.75), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/**
 * A full collection between runs, so that neither driver pays for the garbage of
 * the run before it. Turned on here so that `npm run bench` needs no node flag;
 * undefined if this V8 refuses.
 */
function garbageCollector(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

function machineRecord(loadBefore: number): MachineRecord {
  const cpu = cpus();
  return { cpu: cpu[0]?.model.trim() ?? 'unknown', cores: cpu.length, node: process.version, loadAverage: { before: loadBefore, after: loadavg()[0]! } };
}

const rate = (run: DriverResult) => (run.inputs / run.elapsedMs) * 1000;
const cpuRate = (run: DriverResult) => (run.inputs / run.cpuMs) * 1000;

/**
 * Engine vs XState on the same workload, as paired rounds: each round times one
 * engine run and one XState run back to back (A/B, then B/A in the next round),
 * after `warmupRounds` identical untimed rounds that bring both to the same JIT
 * tier. The figure is the median of the per-round ratios of inputs per
 * CPU-second, with its spread; the same on wall time comes with it.
 *
 * @example
 * const { ratio, ratioSpread, machine } = benchEngine(20_000, 8);
 * console.log(`${ratio.toFixed(2)}× (${ratioSpread.min.toFixed(2)}–${ratioSpread.max.toFixed(2)}) on ${machine.cpu}`);
 */
export function benchEngine(customers = 20_000, rounds = 8, warmupRounds = 2): EngineBenchmark {
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rounds must be an integer >= 1, got ${rounds}`);
  const loadBefore = loadavg()[0]!;
  const events = referenceWorkload(customers);
  const collect = garbageCollector();
  const timed = (run: () => DriverResult) => {
    collect?.();
    return run();
  };
  const engineRun = () => timed(() => runEngine(events, customers));
  const xstateRun = () => timed(() => runXState(events, customers));

  let reference: string[] | undefined;
  let sameOutcomes = true;
  let inputs = -1;
  const check = (run: DriverResult) => {
    reference ??= run.outcomes;
    if (inputs < 0) inputs = run.inputs;
    if (run.inputs !== inputs || run.outcomes.length !== reference.length || run.outcomes.some((o, i) => o !== reference![i])) sameOutcomes = false;
  };

  for (let r = 0; r < warmupRounds; r++) {
    // Warm-up rounds alternate too, and their outcomes are checked like the others.
    if (r % 2 === 0) [engineRun(), xstateRun()].forEach(check);
    else [xstateRun(), engineRun()].forEach(check);
  }
  const measured: EngineRound[] = [];
  for (let r = 0; r < rounds; r++) {
    const first = r % 2 === 0 ? 'engine' : 'xstate';
    let engine: DriverResult;
    let xstate: DriverResult;
    if (first === 'engine') {
      engine = engineRun();
      xstate = xstateRun();
    } else {
      xstate = xstateRun();
      engine = engineRun();
    }
    check(engine);
    check(xstate);
    const summary = (run: DriverResult): RunFigures => ({ inputsPerSecond: rate(run), inputsPerCpuSecond: cpuRate(run), elapsedMs: run.elapsedMs, cpuMs: run.cpuMs });
    measured.push({ first, engine: summary(engine), xstate: summary(xstate), ratio: cpuRate(engine) / cpuRate(xstate), wallRatio: rate(engine) / rate(xstate) });
  }

  const side = (pick: (round: EngineRound) => RunFigures) => {
    const median = (figure: (run: RunFigures) => number) => spreadOf(measured.map((round) => figure(pick(round)))).median;
    return {
      inputsPerSecond: median((run) => run.inputsPerSecond),
      inputsPerCpuSecond: median((run) => run.inputsPerCpuSecond),
      elapsedMs: median((run) => run.elapsedMs),
      cpuMs: median((run) => run.cpuMs),
      spread: spreadOf(measured.map((round) => pick(round).inputsPerCpuSecond)),
    };
  };
  const ratioSpread = spreadOf(measured.map((round) => round.ratio));
  const wallRatioSpread = spreadOf(measured.map((round) => round.wallRatio));
  return {
    customers,
    inputs,
    method: { warmupRounds, rounds, order: 'alternating', collectGarbageBeforeEachRun: collect !== undefined, headline: 'median of per-round ratios of CPU time' },
    machine: machineRecord(loadBefore),
    engine: side((round) => round.engine),
    xstate: side((round) => round.xstate),
    ratio: ratioSpread.median,
    ratioSpread,
    wallRatio: wallRatioSpread.median,
    wallRatioSpread,
    rounds: measured,
    sameOutcomes,
  };
}

const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The rounds as a table, then the medians and spreads: what `npm run bench` and this file's CLI print. */
export function formatEngineBenchmark(result: EngineBenchmark): string {
  const { machine, ratioSpread: r, wallRatioSpread: w, engine, xstate } = result;
  const range = (s: Spread, digits = 2) => `${fmt(s.min, digits)}–${fmt(s.max, digits)}`;
  return [
    `engine vs XState v5: ${result.customers.toLocaleString('en-US')} customers, ${result.inputs.toLocaleString('en-US')} inputs, ${result.method.warmupRounds} warm-up + ${result.method.rounds} timed rounds, order alternating, same outcomes: ${result.sameOutcomes}`,
    `machine: ${machine.cores} × ${machine.cpu}, Node ${machine.node}, load ${fmt(machine.loadAverage.before)} → ${fmt(machine.loadAverage.after)}`,
    '',
    '| round | first | engine inputs/CPU-s | XState inputs/CPU-s | ratio (CPU) | engine inputs/s | XState inputs/s | ratio (wall) |',
    '|---|---|---|---|---|---|---|---|',
    ...result.rounds.map(
      (round, i) =>
        `| ${i + 1} | ${round.first} | ${fmt(round.engine.inputsPerCpuSecond, 0)} | ${fmt(round.xstate.inputsPerCpuSecond, 0)} | ${fmt(round.ratio)}× | ${fmt(round.engine.inputsPerSecond, 0)} | ${fmt(round.xstate.inputsPerSecond, 0)} | ${fmt(round.wallRatio)}× |`,
    ),
    '',
    `median ratio ${fmt(result.ratio)}× on CPU time (IQR ${fmt(r.q1)}–${fmt(r.q3)}, min–max ${range(r)}); on wall time ${fmt(result.wallRatio)}× (IQR ${fmt(w.q1)}–${fmt(w.q3)}, min–max ${range(w)})`,
    `median inputs per CPU-second: engine ${fmt(engine.inputsPerCpuSecond, 0)} (${range(engine.spread, 0)}), XState ${fmt(xstate.inputsPerCpuSecond, 0)} (${range(xstate.spread, 0)}); per wall second: engine ${fmt(engine.inputsPerSecond, 0)}, XState ${fmt(xstate.inputsPerSecond, 0)}`,
  ].join('\n');
}

/**
 * `tsx bench/engine-throughput.ts [customers] [rounds] [--json]`, or, to profile one side alone,
 * `node --cpu-prof --import tsx bench/engine-throughput.ts [customers] [runs] --only engine|xstate`.
 */
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const numbers = args.filter((a) => /^\d+$/.test(a)).map(Number);
  const customers = numbers[0] ?? 20_000;
  if (only === 'engine' || only === 'xstate') {
    const events = referenceWorkload(customers);
    const run = only === 'engine' ? runEngine : runXState;
    for (let r = 0; r < (numbers[1] ?? 10); r++) {
      const result = run(events, customers);
      console.log(`${only} run ${r + 1}: ${fmt(rate(result), 0)} inputs/s`);
    }
  } else if (only !== undefined) {
    throw new Error(`--only expects "engine" or "xstate", got ${only}`);
  } else {
    const result = benchEngine(customers, numbers[1] ?? 8);
    console.log(args.includes('--json') ? JSON.stringify(result, null, 2) : formatEngineBenchmark(result));
  }
}
