/**
 * Engine throughput: inputs applied per second by the pure engine on the
 * reference journey, against the same journey as an XState v5 machine driven
 * through XState's pure `transition()`, on the same seeded event stream, in
 * the same process. Both drivers share the event list and the timer heap; the
 * outcomes (every email, every final status) are checked equal.
 */
import { readFileSync } from 'node:fs';
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
  const outcomes: string[] = [];
  for (let c = 0; c < customers; c++) outcomes.push(outcome(c));
  return { inputs, elapsedMs, outcomes };
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

export interface EngineBenchmark {
  customers: number;
  inputs: number;
  engine: { inputsPerSecond: number; elapsedMs: number };
  xstate: { inputsPerSecond: number; elapsedMs: number };
  /** engine inputs/s ÷ XState inputs/s */
  ratio: number;
  sameOutcomes: boolean;
}

export function benchEngine(customers = 20_000, rounds = 5): EngineBenchmark {
  const events = referenceWorkload(customers);
  // Warm both up (JIT), then alternate rounds and keep the median of each.
  runEngine(referenceWorkload(2000, 1), 2000);
  runXState(referenceWorkload(2000, 1), 2000);
  const engineRuns: DriverResult[] = [];
  const xstateRuns: DriverResult[] = [];
  for (let r = 0; r < rounds; r++) {
    engineRuns.push(runEngine(events, customers));
    xstateRuns.push(runXState(events, customers));
  }
  const median = (runs: DriverResult[]) => [...runs].sort((a, b) => a.elapsedMs - b.elapsedMs)[Math.floor(runs.length / 2)]!;
  const engine = median(engineRuns);
  const xstate = median(xstateRuns);
  const sameOutcomes = engine.inputs === xstate.inputs && engine.outcomes.every((o, i) => o === xstate.outcomes[i]);
  const rate = (run: DriverResult) => (run.inputs / run.elapsedMs) * 1000;
  return {
    customers,
    inputs: engine.inputs,
    engine: { inputsPerSecond: rate(engine), elapsedMs: engine.elapsedMs },
    xstate: { inputsPerSecond: rate(xstate), elapsedMs: xstate.elapsedMs },
    ratio: rate(engine) / rate(xstate),
    sameOutcomes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = benchEngine(Number(process.argv[2] ?? 20_000));
  console.log(JSON.stringify(result, null, 2));
}
