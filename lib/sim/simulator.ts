/**
 * `waymark simulate`: a forecast of one workflow before launch. Synthetic
 * customers enter over a period, open and click the emails they are sent
 * (SES engagement events in customer form, as production receives them),
 * answer what the journey waits for and sometimes convert; the real journey
 * service runs every input (memory store, a recording mailer, no rendering)
 * on a virtual clock, so what is forecast is what production would do.
 *
 * One timeline per batch of customers: their entries (sorted), a binary heap
 * of synthetic events (opens, clicks, conversions, awaited events) and the
 * store's timers (`nextWake()`), always applying the earliest next; on a tie,
 * timers first, then entries, then events in the order they were scheduled.
 * Timers fire at their due time.
 *
 * Customers never affect one another: each has their own journey and timers,
 * their own seeded generator (so what they do does not depend on the order in
 * which simultaneous inputs of others are applied), and events named after
 * them. So customers run in batches (bounded memory, small heaps), on worker
 * threads when there are many, and the batches' counts add up to exactly the
 * forecast of one single timeline: the same seed gives the same forecast,
 * whatever the batching. The only wall-clock figure is `durationMs`.
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { ENGAGEMENT_BY_KIND, seededRandom } from '../dev/demo';
import { type CompiledWorkflow, ENGAGEMENT_DETAIL_TYPES } from '../engine/compile';
import { type ContentCatalogue, createCatalogue } from '../engine/content';
import { hash53 } from '../engine/hash';
import type { CustomerStatus, Effect, JourneyState } from '../engine/model';
import type { ContentItem, EventPattern, Workflow } from '../engine/schema';
import { isValidTimeZone } from '../engine/time';
import type { AppliedStep, CounterSink } from '../runtime/journey-service';
import { MemoryEngine } from '../runtime/local-runner';
import { metricsFrom } from '../runtime/journey-metrics';
import type { UnsubscribeLinks } from '../runtime/mailer';
import { WorkflowRegistry } from '../runtime/registry';
import type { CounterRow } from '../runtime/store';
import type { SimulationForecast, SimulationOutput, SimulationParameters } from './types';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The defaults of every knob (`waymark simulate --help` names them too). */
export const SIMULATION_DEFAULTS = {
  days: 30,
  seed: 1,
  /** A Monday at midnight UTC, just after Amazon Pinpoint journeys ended: fixed, so forecasts are reproducible. */
  start: '2026-11-02T00:00:00.000Z',
  sesMaxSendRate: 14,
  conversionPerClick: 0.08,
  baseConversion: 0.03,
  /** Probability that a customer waiting for a non-email event gets it before the timeout. */
  waitedEvent: 0.4,
  /** Open and click rates for a content kind the engagement table does not name. */
  unknownKind: { open: 0.35, click: 0.1 },
} as const;

/** The time zones synthetic customers live in (each equally likely), unless the config names others. */
export const DEFAULT_TIME_ZONES: readonly string[] = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney'];

const FIRST_NAMES = ['Ana', 'Ben', 'Cara', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Nils', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara'];

/** How long after a send an opener opens: minutes to two days, most within a few hours. */
const OPEN_DELAY_MEAN = 3 * HOUR;
const OPEN_DELAY_MAX = 2 * DAY;
/** A click follows its open by 30 seconds to 10 minutes. */
const CLICK_DELAY_MAX = 10 * MINUTE;
/** A conversion follows the click that led to it within two days. */
const CONVERSION_DELAY_MAX = 2 * DAY;

export type Rates = { open: number; click: number };

export interface SimulationSettings {
  customers: number;
  days?: number;
  seed?: number;
  /** Customers enter spread uniformly over this many days (default: a third of `days`, rounded up). */
  entryDays?: number;
  /** ISO 8601 instant the period starts. */
  start?: string;
  sesMaxSendRate?: number;
  /** Rates by content kind, over ENGAGEMENT_BY_KIND; a `"*"` entry applies to every kind not named here. */
  engagement?: Record<string, Rates>;
  conversionPerClick?: number;
  baseConversion?: number;
  /** By the awaited event's detail-type; a `"*"` entry applies to every awaited event not named here. */
  waitedEvents?: Record<string, number>;
  /** IANA time zones of the synthetic customers (each equally likely). */
  timeZones?: readonly string[];
  /** Customers per batch (default BATCH_SIZE): changes speed and memory, never the forecast. */
  batchSize?: number;
  /** Worker threads (default: one per CPU core, at most 4, from 10,000 customers; 1: in process): never changes the forecast. */
  workers?: number;
  /** Called now and then while the simulation runs (a progress bar). */
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  /** Share of the work done, from 0 to 1. */
  done: number;
  /** Customers run in batches (see BATCH_SIZE), each through the whole period: batches under way or done, of `batches`. */
  batch: number;
  batches: number;
  /** The simulated day the latest batch has reached, from 1. */
  day: number;
  days: number;
  entered: number;
  customers: number;
  emails: number;
}

export interface SimulationTarget {
  /** The workflow definition (validated): its version takes every entry. */
  workflow: Workflow;
  catalogue: ContentCatalogue;
}

/** The statuses a forecast always lists, in this order. */
const STATUSES: readonly CustomerStatus[] = ['active', 'completed', 'converted', 'exited', 'holdout', 'suppressed'];

// ---------------------------------------------------------------------------------------------
// The event queue: a binary min-heap on (at, order).

const OPEN = 0;
const CLICK = 1;
const CONVERT = 2;
const WAITED = 3;

interface Pending {
  at: number;
  /** Scheduling order: breaks ties, so equal instants replay identically. */
  order: number;
  kind: number;
  customer: number;
  /** OPEN/CLICK: the email's step and sequence number. WAITED: the awaited event's detail. */
  stepId: string;
  emailSeq: number;
  waited: WaitedEvent | null;
  detail: Record<string, unknown> | null;
}

class EventQueue {
  private readonly heap: Pending[] = [];
  private serial = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Pending | undefined {
    return this.heap[0];
  }

  push(at: number, kind: number, customer: number, stepId: string, emailSeq: number, waited: WaitedEvent | null, detail: Record<string, unknown> | null): void {
    const item: Pending = { at, order: this.serial++, kind, customer, stepId, emailSeq, waited, detail };
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at < at || (p.at === at && p.order < item.order)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): Pending | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = heap[l]!;
      if (r < n) {
        const right = heap[r]!;
        if (right.at < child.at || (right.at === child.at && right.order < child.order)) {
          c = r;
          child = right;
        }
      }
      if (last.at < child.at || (last.at === child.at && last.order < child.order)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}

// ---------------------------------------------------------------------------------------------
// Synthetic events from patterns: a document that matches a pattern, and values that spread
// across the cases of the branches an awaited event leads to.

type Leaf = string | number | boolean | null;
const NO_VALUE = Symbol('no value');

/** A document matching `pattern` (the first alternative of each choice), for entry, goal and awaited events. */
export function documentMatching(pattern: EventPattern): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      const first = Array.isArray(value) ? value[0] : undefined;
      if (first && typeof first === 'object') mergeInto(document, documentMatching(first as EventPattern));
    } else if (Array.isArray(value)) {
      const leaf = leafMatching(value);
      if (leaf !== NO_VALUE) document[key] = leaf;
    } else if (value && typeof value === 'object') {
      const nested = documentMatching(value as EventPattern);
      const existing = document[key];
      document[key] = existing && typeof existing === 'object' ? mergeInto(existing as Record<string, unknown>, nested) : nested;
    }
  }
  return document;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (existing && typeof existing === 'object' && value && typeof value === 'object' && !Array.isArray(value)) mergeInto(existing as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
  return target;
}

/** A value one of the matchers accepts (NO_VALUE: the field must be absent, or nothing simple fits). */
function leafMatching(matchers: unknown[]): Leaf | typeof NO_VALUE {
  for (const matcher of matchers) {
    if (matcher === null || typeof matcher !== 'object') return matcher as Leaf;
    const [operator, operand] = Object.entries(matcher)[0] ?? [];
    switch (operator) {
      case 'prefix':
      case 'suffix':
      case 'equals-ignore-case':
        if (typeof operand === 'string') return operand;
        if (operand && typeof operand === 'object') {
          const inner = Object.values(operand)[0];
          if (typeof inner === 'string') return inner;
        }
        break;
      case 'wildcard':
        if (typeof operand === 'string') return operand.replace(/\\\*/g, '\u0000').replace(/\*/g, '').replace(/\u0000/g, '*');
        break;
      case 'numeric':
        if (Array.isArray(operand)) return numberInRange(operand);
        break;
      case 'exists':
        if (operand === true) return 'simulated';
        return NO_VALUE;
      case 'anything-but': {
        const excluded = Array.isArray(operand) ? operand : [operand];
        if (excluded.every((v) => typeof v === 'number')) return Math.max(0, ...(excluded as number[])) + 1;
        return 'simulated-other';
      }
      case 'cidr':
        if (typeof operand === 'string') return operand.split('/')[0] ?? operand;
        break;
    }
  }
  return NO_VALUE;
}

/** A number satisfying a numeric matcher ([">=", 9], [">", 0, "<=", 5], ["=", 3]). */
function numberInRange(operand: unknown[]): number {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < operand.length; i += 2) {
    const op = operand[i];
    const n = operand[i + 1];
    if (typeof n !== 'number') continue;
    if (op === '=') return n;
    if (op === '>' || op === '>=') lo = Math.max(lo, op === '>' ? n + 1e-6 : n);
    if (op === '<' || op === '<=') hi = Math.min(hi, op === '<' ? n - 1e-6 : n);
  }
  // The smallest whole number in range if there is one, else the middle of the range.
  if (Number.isFinite(lo)) return Math.ceil(lo) <= hi ? Math.ceil(lo) : (lo + hi) / 2;
  if (Number.isFinite(hi)) return Math.floor(hi);
  return 0;
}

/** What branch conditions test in `event.detail`: per field, the thresholds and the exact values they name. */
export interface FieldSpec {
  path: string[];
  thresholds: number[];
  values: Leaf[];
}

export function collectDetailFields(pattern: unknown, path: string[], fields: Map<string, FieldSpec>): void {
  if (!pattern || typeof pattern !== 'object') return;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (Array.isArray(value)) for (const alternative of value) collectDetailFields(alternative, path, fields);
    } else if (Array.isArray(value)) {
      const fieldPath = [...path, key];
      const id = fieldPath.join('\u0000');
      let spec = fields.get(id);
      if (!spec) fields.set(id, (spec = { path: fieldPath, thresholds: [], values: [] }));
      for (const matcher of value) {
        if (matcher === null || typeof matcher !== 'object') {
          if (!spec.values.includes(matcher as Leaf)) spec.values.push(matcher as Leaf);
          continue;
        }
        const [operator, operand] = Object.entries(matcher)[0] ?? [];
        if (operator === 'numeric' && Array.isArray(operand)) {
          for (let i = 1; i < operand.length; i += 2) if (typeof operand[i] === 'number') spec.thresholds.push(operand[i] as number);
        } else if (operator === 'anything-but') {
          for (const v of Array.isArray(operand) ? operand : [operand]) if (v === null || typeof v !== 'object') spec.values.push(v as Leaf);
        } else if ((operator === 'equals-ignore-case' || operator === 'prefix' || operator === 'suffix') && typeof operand === 'string') {
          spec.values.push(operand);
        }
      }
    } else {
      collectDetailFields(value, [...path, key], fields);
    }
  }
}

/** Draws a value for a field so that, over many customers, every branch case (and the else) is taken. */
export function drawField(spec: FieldSpec, random: () => number): Leaf {
  const name = spec.path[spec.path.length - 1] ?? '';
  if (spec.thresholds.length > 0) {
    const lo = Math.min(...spec.thresholds);
    const hi = Math.max(...spec.thresholds);
    const integers = spec.thresholds.every(Number.isInteger);
    // A score (NPS, CSAT on 0..10): every integer from 0 to 10.
    if (/score/i.test(name) || (integers && lo >= 0 && hi <= 10)) return Math.floor(random() * 11);
    const span = hi > lo ? hi - lo : Math.max(1, Math.abs(hi));
    const value = lo - span / 2 + random() * (hi - lo + span);
    return integers ? Math.round(value) : Math.round(value * 100) / 100;
  }
  if (spec.values.length > 0) {
    // Each named value, and once in a while one none of the cases names (the else).
    const i = Math.floor(random() * (spec.values.length + 1));
    if (i < spec.values.length) return spec.values[i]!;
    return spec.values.every((v) => typeof v === 'number') ? Math.max(0, ...(spec.values as number[])) + 1 : 'other';
  }
  return 'simulated';
}

export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    let next = node[key];
    if (!next || typeof next !== 'object') node[key] = next = {};
    node = next as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function hasPath(target: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = target;
  for (const key of path) {
    if (!node || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** A non-email event a `wait` step waits for, and how the simulation makes one. */
export interface WaitedEvent {
  stepId: string;
  /** The awaited event's detail-type (the key of `waitedEvents`). */
  key: string;
  probability: number;
  source: string;
  detailType: string;
  /** The fields the wait's pattern requires. */
  base: Record<string, unknown>;
  /** Fields the branches after the wait look at (absent from `base`): drawn per event. */
  drawn: FieldSpec[];
}

/** The steps an event's context reaches from `start` without passing a wait: where `event` is still in scope. */
export function stepsReachedAtOnce(workflow: Workflow, start: string): string[] {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const step = workflow.steps[id];
    if (!step || seen.has(id)) continue;
    seen.add(id);
    switch (step.type) {
      case 'branch':
        queue.push(...step.cases.map((c) => c.next), step.else);
        break;
      case 'split':
        queue.push(...step.paths.map((p) => p.next));
        break;
      case 'email':
      case 'stage':
        if (step.next !== undefined) queue.push(step.next);
        break;
      case 'holdout':
        queue.push(step.next);
        break;
      default: // a wait ends the event's scope; an exit ends the journey
    }
  }
  return [...seen];
}

const SIMULATED_SOURCE = 'com.waymark.simulation';

function firstString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isEngagementType(detailType: string): boolean {
  return detailType in ENGAGEMENT_DETAIL_TYPES;
}

export function waitedEventsOf(workflow: Workflow, probabilities: Record<string, number>): WaitedEvent[] {
  const waited: WaitedEvent[] = [];
  for (const [stepId, step] of Object.entries(workflow.steps)) {
    if (step.type !== 'wait' || !step.until) continue;
    const sample = documentMatching(step.until.on);
    const detailType = firstString(sample['detail-type']) ?? 'simulated.event';
    const source = firstString(sample.source) ?? SIMULATED_SOURCE;
    // Waits on opens and clicks are ended by the simulated SES events themselves.
    if (source === 'aws.ses' || isEngagementType(detailType)) continue;
    const base = (sample.detail && typeof sample.detail === 'object' ? sample.detail : {}) as Record<string, unknown>;
    const fields = new Map<string, FieldSpec>();
    for (const id of stepsReachedAtOnce(workflow, step.next)) {
      const after = workflow.steps[id];
      if (after?.type !== 'branch') continue;
      for (const branchCase of after.cases) {
        const onEvent = (branchCase.if as Record<string, unknown>).event;
        const detail = onEvent && typeof onEvent === 'object' ? (onEvent as Record<string, unknown>).detail : undefined;
        collectDetailFields(detail, [], fields);
        // $or at the top of a condition may also reach into event.detail
        const alternatives = (branchCase.if as Record<string, unknown>).$or;
        if (Array.isArray(alternatives)) {
          for (const alternative of alternatives) {
            const e = (alternative as Record<string, unknown>)?.event;
            collectDetailFields(e && typeof e === 'object' ? (e as Record<string, unknown>).detail : undefined, [], fields);
          }
        }
      }
    }
    const drawn = [...fields.values()].filter((spec) => !hasPath(base, spec.path) && spec.path[0] !== 'customerId' && spec.path[0] !== 'profile');
    waited.push({ stepId, key: detailType, probability: probabilities[detailType] ?? probabilities['*'] ?? SIMULATION_DEFAULTS.waitedEvent, source, detailType, base, drawn });
  }
  return waited;
}

// ---------------------------------------------------------------------------------------------
// Parameters

function resolveEngagement(catalogue: ContentCatalogue, overrides: Record<string, Rates> = {}): Record<string, Rates> {
  const everyKind = overrides['*'];
  const kinds = new Set<string>([...Object.keys(ENGAGEMENT_BY_KIND), ...catalogue.byKind.keys(), ...Object.keys(overrides)]);
  kinds.delete('*');
  const resolved: Record<string, Rates> = {};
  for (const kind of [...kinds].sort()) {
    const rates = overrides[kind] ?? everyKind ?? ENGAGEMENT_BY_KIND[kind] ?? SIMULATION_DEFAULTS.unknownKind;
    resolved[kind] = { open: rates.open, click: rates.click };
  }
  return resolved;
}

function probability(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new RangeError(`${name} must be a probability from 0 to 1, not ${value}`);
  return value;
}

/** The parameters a simulation runs with: the settings over the defaults, checked. */
export function simulationParameters(target: SimulationTarget, settings: SimulationSettings): SimulationParameters {
  const { customers } = settings;
  if (!Number.isInteger(customers) || customers < 1) throw new RangeError(`customers must be a whole number of at least 1, not ${customers}`);
  const days = settings.days ?? SIMULATION_DEFAULTS.days;
  if (!Number.isInteger(days) || days < 1 || days > 3660) throw new RangeError(`days must be a whole number from 1 to 3660, not ${days}`);
  const entryDays = settings.entryDays ?? Math.ceil(days / 3);
  if (!(entryDays > 0 && entryDays <= days)) throw new RangeError(`entry days must be more than 0 and at most the ${days} days simulated, not ${entryDays}`);
  const seed = settings.seed ?? SIMULATION_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a whole number, not ${seed}`);
  const startText = settings.start ?? SIMULATION_DEFAULTS.start;
  const startAt = Date.parse(startText);
  if (Number.isNaN(startAt) || !/^\d{4}-\d{2}-\d{2}/.test(startText)) throw new RangeError(`start must be an ISO 8601 time such as 2026-11-02T00:00:00Z, not "${startText}"`);
  const sesMaxSendRate = settings.sesMaxSendRate ?? SIMULATION_DEFAULTS.sesMaxSendRate;
  if (!(sesMaxSendRate > 0 && Number.isFinite(sesMaxSendRate))) throw new RangeError(`the SES send rate must be a positive number of emails per second, not ${sesMaxSendRate}`);
  const engagement = resolveEngagement(target.catalogue, settings.engagement);
  for (const [kind, rates] of Object.entries(engagement)) {
    probability(`engagement.${kind}.open`, rates.open);
    probability(`engagement.${kind}.click`, rates.click);
  }
  const waitedEvents: Record<string, number> = {};
  for (const waited of waitedEventsOf(target.workflow, settings.waitedEvents ?? {})) waitedEvents[waited.key] = probability(`waitedEvents.${waited.key}`, waited.probability);
  for (const [key, value] of Object.entries(settings.waitedEvents ?? {})) if (!(key in waitedEvents) && key !== '*') waitedEvents[key] = probability(`waitedEvents.${key}`, value);
  return {
    customers,
    days,
    seed,
    entryDays,
    start: new Date(startAt).toISOString(),
    sesMaxSendRate,
    engagement,
    conversionPerClick: probability('conversionPerClick', settings.conversionPerClick ?? SIMULATION_DEFAULTS.conversionPerClick),
    baseConversion: probability('baseConversion', settings.baseConversion ?? SIMULATION_DEFAULTS.baseConversion),
    waitedEvents,
  };
}

/** Emails need no unsubscribe links in a simulation (nothing is rendered): a constant, not an HMAC per email. */
const NO_LINKS: UnsubscribeLinks = { forEmail: () => ({ url: 'https://unsubscribe.invalid/simulated' }) };

/** A separate generator per purpose, so that e.g. changing click rates does not move who enters when. */
function stream(seed: number, purpose: string): () => number {
  return seededRandom(hash53(`${seed}:${purpose}`) % 4294967296);
}

// ---------------------------------------------------------------------------------------------
// The simulation

/**
 * Customers run in batches of at most this many, one after the other. Customers never affect
 * one another (each has their own journey, timers and random draws, and events are named after
 * their customer), so the batches' figures simply add up: the forecast is the same for any batch
 * size, and memory stays bounded however many customers are simulated.
 */
export const BATCH_SIZE = 2_000;

const ACTIVE = 1;
const CONVERTED = 2;

/** What every batch shares: the workflow, the parameters, who enters when, the synthetic events' shapes. */
interface Plan {
  parameters: SimulationParameters;
  registry: WorkflowRegistry;
  workflowId: string;
  start: number;
  end: number;
  firstDay: number;
  firstMinute: number;
  /** Entry instants, ascending: customer i (from 0) enters at entryTimes[i]. */
  entryTimes: Float64Array;
  /** Per customer: an index into FIRST_NAMES, and one into timeZones. */
  firstNames: Uint8Array;
  zones: Uint16Array;
  timeZones: readonly string[];
  idWidth: number;
  behaviourSeed: number;
  entry: { source: string; detailType: string; detail: Record<string, unknown>; profile: Record<string, unknown> };
  goal: { source: string; detailType: string; detail: Record<string, unknown> } | undefined;
  conversionPerClick: number;
  baseConversion: number;
  waitedByStep: ReadonlyMap<string, WaitedEvent>;
  ratesByContent: ReadonlyMap<string, Rates>;
}

/** The figures batches add up. */
interface Totals {
  perDay: Float64Array;
  perMinute: Uint32Array;
  emails: number;
  counters: CounterTotals;
  statuses: Record<string, number>;
}

/** Settings that can travel to a worker thread (everything but the progress callback). */
type PortableSettings = Omit<SimulationSettings, 'onProgress' | 'workers'>;

/** Everything a batch needs, derived from the target and settings alone: a worker derives the same plan. */
function planSimulation(target: SimulationTarget, settings: PortableSettings): { plan: Plan; workflow: CompiledWorkflow } {
  const parameters = simulationParameters(target, settings);
  const timeZones = settings.timeZones ?? DEFAULT_TIME_ZONES;
  if (timeZones.length === 0) throw new RangeError('timeZones must name at least one IANA time zone');
  for (const zone of timeZones) if (!isValidTimeZone(zone)) throw new RangeError(`"${zone}" is not an IANA time zone (e.g. "Europe/Berlin")`);

  const definition = target.workflow;
  const registry = new WorkflowRegistry([definition], target.catalogue);
  const workflow = registry.latestOf(definition.id)!;
  const { customers, seed } = parameters;
  const start = Date.parse(parameters.start);
  const end = start + parameters.days * DAY;

  // Who enters when, and as whom: drawn up front, in customer order, from a generator of its own.
  const population = stream(seed, 'population');
  const entryTimes = new Float64Array(customers);
  const entrySpan = parameters.entryDays * DAY;
  for (let i = 0; i < customers; i++) entryTimes[i] = start + Math.floor(population() * entrySpan);
  entryTimes.sort();
  const firstNames = new Uint8Array(customers);
  const zones = new Uint16Array(customers);
  for (let i = 0; i < customers; i++) {
    firstNames[i] = Math.floor(population() * FIRST_NAMES.length);
    zones[i] = Math.floor(population() * timeZones.length);
  }

  const entrySample = documentMatching(definition.entry.on);
  const entryDetail = objectOrEmpty(entrySample.detail);
  const goalSample = definition.goal ? documentMatching(definition.goal.on) : undefined;
  const goal = goalSample && { source: firstString(goalSample.source) ?? SIMULATED_SOURCE, detailType: firstString(goalSample['detail-type']) ?? 'simulated.goal', detail: objectOrEmpty(goalSample.detail) };
  // A goal on opens or clicks is reached by the simulated SES events themselves.
  const simulatesGoal = goal !== undefined && goal.source !== 'aws.ses' && !isEngagementType(goal.detailType);
  const waitedByStep = new Map<string, WaitedEvent>();
  for (const waited of waitedEventsOf(definition, parameters.waitedEvents)) waitedByStep.set(waited.stepId, waited);
  // Rates by content id, looked up once per item rather than once per email.
  const ratesByContent = new Map<string, Rates>();
  for (const item of target.catalogue.items) if (!ratesByContent.has(item.id)) ratesByContent.set(item.id, parameters.engagement[item.kind] ?? SIMULATION_DEFAULTS.unknownKind);

  const plan: Plan = {
    parameters,
    registry,
    workflowId: workflow.id,
    start,
    end,
    firstDay: Math.floor(start / DAY),
    firstMinute: Math.floor(start / MINUTE),
    entryTimes,
    firstNames,
    zones,
    timeZones,
    idWidth: Math.max(6, String(customers).length),
    behaviourSeed: hash53(`${seed}:behaviour`) % 4294967296,
    entry: { source: firstString(entrySample.source) ?? SIMULATED_SOURCE, detailType: firstString(entrySample['detail-type']) ?? 'simulated.entry', detail: entryDetail, profile: objectOrEmpty(entryDetail.profile) },
    goal: simulatesGoal ? goal : undefined,
    conversionPerClick: simulatesGoal ? parameters.conversionPerClick : 0,
    baseConversion: simulatesGoal ? parameters.baseConversion : 0,
    waitedByStep,
    ratesByContent,
  };
  return { plan, workflow };
}

function emptyTotals(plan: Plan): Totals {
  return {
    perDay: new Float64Array(Math.floor((plan.end - 1) / DAY) - plan.firstDay + 1),
    perMinute: new Uint32Array(Math.floor((plan.end - 1) / MINUTE) - plan.firstMinute + 1),
    emails: 0,
    counters: new CounterTotals(),
    statuses: Object.fromEntries(STATUSES.map((s) => [s, 0])),
  };
}

/** Adds one worker's figures to the totals (sums of whole numbers: the order does not matter). */
function addTotals(totals: Totals, part: PortableTotals): void {
  for (let i = 0; i < part.perDay.length; i++) totals.perDay[i]! += part.perDay[i]!;
  for (let i = 0; i < part.perMinute.length; i++) totals.perMinute[i]! += part.perMinute[i]!;
  totals.emails += part.emails;
  totals.counters.add(part.counters);
  for (const [status, value] of Object.entries(part.statuses)) totals.statuses[status] = (totals.statuses[status] ?? 0) + value;
}

/** Below this many customers a simulation runs in process: starting worker threads would cost more than it saves. */
const WORKER_THRESHOLD = 10_000;

/**
 * Simulates `settings.customers` synthetic customers through the workflow, and forecasts.
 * Batches of customers (BATCH_SIZE) run one after the other, on worker threads when there are
 * enough customers and CPU cores (`workers`, default: one per core, at most 4): the forecast is
 * the same either way.
 */
export async function simulate(target: SimulationTarget, settings: SimulationSettings): Promise<SimulationOutput> {
  const startedAt = performance.now();
  const { onProgress, workers: wanted, ...portable } = settings;
  const { plan, workflow } = planSimulation(target, portable);
  const { parameters } = plan;
  const totals = emptyTotals(plan);
  const batchSize = Math.max(1, Math.floor(settings.batchSize ?? BATCH_SIZE));
  const batches = Math.ceil(parameters.customers / batchSize);
  const workers = Math.min(batches, Math.max(1, Math.floor(wanted ?? (parameters.customers >= WORKER_THRESHOLD ? Math.min(4, availableParallelism()) : 1))));

  const bootstrap = workers > 1 ? workerBootstrap() : undefined;
  if (bootstrap !== undefined) {
    await runOnWorkers(bootstrap, target, { ...portable, batchSize }, workers, batches, plan, totals, onProgress);
  } else {
    for (let batch = 0; batch < batches; batch++) {
      const from = batch * batchSize;
      const to = Math.min(parameters.customers, from + batchSize);
      const tick = onProgress && ((at: number, entered: number) => onProgress(progressOf(plan, batch + (at - plan.start) / (plan.end - plan.start), batch + 1, batches, at, from + entered, totals.emails)));
      await runBatch(plan, from, to, totals, tick);
    }
  }

  const rows = totals.counters.rows(workflow.id);
  return {
    workflow: { id: workflow.id, version: workflow.version, name: target.workflow.name },
    parameters,
    forecast: forecastFrom(workflow, parameters, rows, totals),
    counters: rows,
    durationMs: Math.round(performance.now() - startedAt),
  };
}

function progressOf(plan: Plan, batchesDone: number, batch: number, batches: number, at: number, entered: number, emails: number): SimulationProgress {
  const { days, customers } = plan.parameters;
  return { done: Math.min(1, batchesDone / batches), batch, batches, day: Math.min(days, Math.max(1, Math.floor((at - plan.start) / DAY) + 1)), days, entered, customers, emails };
}

// ---------------------------------------------------------------------------------------------
// Worker threads: batch i runs on worker i mod n; each worker derives the same plan from the
// same target and settings, and sends back its sums.

interface WorkerInput {
  workflow: Workflow;
  content: readonly ContentItem[];
  settings: PortableSettings & { batchSize: number };
  batches: number[];
}

/** Totals as they cross a thread boundary. */
interface PortableTotals {
  perDay: Float64Array;
  perMinute: Uint32Array;
  emails: number;
  counters: CounterRow[];
  statuses: Record<string, number>;
}

type WorkerMessage =
  | { type: 'progress'; worker: number; batchesDone: number; batch: number; at: number; entered: number; emails: number }
  | { type: 'done'; totals: PortableTotals };

/**
 * The code a worker thread starts with: TypeScript through tsx (as bin/waymark.js runs it), then
 * this module. Undefined when tsx cannot be found (the simulation then runs in process).
 */
function workerBootstrap(): string | undefined {
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    try {
      tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
    } catch {
      return undefined;
    }
  }
  return `import(${JSON.stringify(tsx)}).then((tsx) => { (tsx.register ?? tsx.default.register)(); return import(${JSON.stringify(import.meta.url)}); }).then((simulator) => simulator.runSimulationWorker());`;
}

async function runOnWorkers(
  bootstrap: string,
  target: SimulationTarget,
  settings: PortableSettings & { batchSize: number },
  workers: number,
  batches: number,
  plan: Plan,
  totals: Totals,
  onProgress: ((progress: SimulationProgress) => void) | undefined,
): Promise<void> {
  const progress = Array.from({ length: workers }, () => ({ batchesDone: 0, batch: 0, entered: 0, emails: 0 }));
  const { customers } = plan.parameters;
  const threads: Worker[] = [];
  const report = (at: number) => {
    let done = 0;
    let entered = 0;
    let emails = 0;
    let batch = 0;
    for (const p of progress) {
      done += p.batchesDone;
      entered += p.entered;
      emails += p.emails;
      batch = Math.max(batch, p.batch);
    }
    onProgress?.(progressOf(plan, done, batch, batches, at, Math.min(customers, entered), emails));
  };
  const runs = Array.from({ length: workers }, (_, w) => {
    const assigned: number[] = [];
    for (let batch = w; batch < batches; batch += workers) assigned.push(batch);
    const input: WorkerInput & { worker: number } = { workflow: target.workflow, content: target.catalogue.items, settings, batches: assigned, worker: w };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(bootstrap, { eval: true, workerData: input });
      threads.push(worker);
      let finished = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'done') {
          finished = true;
          addTotals(totals, message.totals);
        } else {
          progress[w] = { batchesDone: message.batchesDone, batch: message.batch, entered: message.entered, emails: message.emails };
          report(message.at);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (finished ? resolve() : reject(new Error(`a simulation worker stopped (exit code ${code}) before it finished`))));
    });
  });
  try {
    await Promise.all(runs);
  } catch (error) {
    await Promise.all(threads.map((thread) => thread.terminate()));
    throw error;
  }
}

/** A worker thread's main: runs its batches and posts their sums. */
export async function runSimulationWorker(): Promise<void> {
  const input = workerData as WorkerInput & { worker: number };
  const target: SimulationTarget = { workflow: input.workflow, catalogue: createCatalogue(input.content) };
  const { plan } = planSimulation(target, input.settings);
  const totals = emptyTotals(plan);
  const { batchSize } = input.settings;
  const { customers } = plan.parameters;
  let entered = 0;
  for (let i = 0; i < input.batches.length; i++) {
    const batch = input.batches[i]!;
    const from = batch * batchSize;
    const to = Math.min(customers, from + batchSize);
    const post = (at: number, enteredInBatch: number) =>
      parentPort!.postMessage({ type: 'progress', worker: input.worker, batchesDone: i + (at - plan.start) / (plan.end - plan.start), batch: batch + 1, at, entered: entered + enteredInBatch, emails: totals.emails } satisfies WorkerMessage);
    await runBatch(plan, from, to, totals, post);
    entered += to - from;
  }
  const portable: PortableTotals = { perDay: totals.perDay, perMinute: totals.perMinute, emails: totals.emails, counters: totals.counters.rows(plan.workflowId), statuses: totals.statuses };
  parentPort!.postMessage({ type: 'done', totals: portable } satisfies WorkerMessage);
}

/**
 * Customers [from, to) through the journey service: their entries (in time order), the store's
 * timers and one heap of synthetic events, always the earliest next (a tie: timers, then entries,
 * then events in the order they were scheduled), until the end of the period.
 */
async function runBatch(
  plan: Plan,
  from: number,
  to: number,
  totals: Totals,
  tick: ((at: number, entered: number) => void) | undefined,
): Promise<void> {
  const { workflowId, end, entryTimes, ratesByContent, waitedByStep, conversionPerClick, baseConversion, entry, goal } = plan;
  const size = to - from;
  const queue = new EventQueue();

  // Customer i (from 0) is "sim-000001" and so on: the number tells the simulation who an input is about.
  const ids: string[] = new Array<string>(size);
  for (let i = 0; i < size; i++) ids[i] = `sim-${String(from + i + 1).padStart(plan.idWidth, '0')}`;
  const localIndex = (customerId: string) => Number(customerId.slice(4)) - 1 - from;
  // What the simulation knows of each customer (from the service's observer), and how many events it made up for them.
  const flags = new Uint8Array(size);
  const madeUp = new Uint32Array(size);
  // What each customer does (opens, clicks, answers, conversions) comes from a generator of their
  // own, so it does not depend on the order in which simultaneous inputs of others are applied.
  const behaviours: Array<() => number> = new Array<() => number>(size);
  const behaviourOf = (local: number) => (behaviours[local] ??= seededRandom((plan.behaviourSeed ^ Math.imul(from + local + 1, 0x9e3779b1)) >>> 0));

  const observer = (applied: AppliedStep) => {
    const local = localIndex(applied.customerId);
    const state: JourneyState = applied.state;
    const active = state.status === 'active';
    flags[local] = (active ? ACTIVE : 0) | (state.convertedAt !== null ? CONVERTED : 0);
    let scheduled = false;
    const effects: readonly Effect[] = applied.effects;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === 'schedule') {
        scheduled = true;
        continue;
      }
      if (effect.type !== 'send-email') continue;
      // Each email sent may be opened, then clicked, and a click may lead to a conversion.
      const email = effect.email;
      const rates = ratesByContent.get(email.contentId) ?? SIMULATION_DEFAULTS.unknownKind;
      const random = behaviourOf(local);
      const roll = random();
      if (roll >= rates.open && roll >= rates.click) continue;
      // Most opens come within hours, a few a day or two later.
      const openedAt = email.at + MINUTE + Math.floor(Math.min(OPEN_DELAY_MAX, -Math.log(1 - random()) * OPEN_DELAY_MEAN));
      queue.push(openedAt, OPEN, local, email.stepId, email.seq, null, null);
      if (roll >= rates.click) continue;
      const clickedAt = openedAt + 30_000 + Math.floor(random() * CLICK_DELAY_MAX);
      queue.push(clickedAt, CLICK, local, email.stepId, email.seq, null, null);
      if (conversionPerClick > 0 && random() < conversionPerClick) queue.push(clickedAt + MINUTE + Math.floor(random() * CONVERSION_DELAY_MAX), CONVERT, local, '', 0, null, null);
    }
    // A customer who has just started waiting for a (non-email) event may get it before the timeout.
    if (scheduled && active && state.waitingSince !== null && state.dueAt !== null && state.stepId !== null) {
      const waited = waitedByStep.get(state.stepId);
      if (waited && waited.probability > 0) {
        const random = behaviourOf(local);
        const window = state.dueAt - state.waitingSince;
        if (random() < waited.probability && window > 2 * MINUTE) {
          // Answers come early rather than late: the square of a uniform draw.
          const u = random();
          const detail = copyObject(waited.base);
          for (const spec of waited.drawn) setPath(detail, spec.path, drawField(spec, random));
          queue.push(state.waitingSince + MINUTE + Math.floor(u * u * (window - 2 * MINUTE)), WAITED, local, '', 0, waited, detail);
        }
      }
    }
  };

  // Deciding and delivering as `waymark run` does, without rendering: the simulation only counts.
  const engine = new MemoryEngine(plan.registry, { render: false, links: NO_LINKS, counters: totals.counters, observer });
  const { store, mailer } = engine;
  const { perDay, perMinute } = totals;
  const { firstDay, firstMinute } = plan;

  let entered = 0;
  let iterations = 0;

  for (;;) {
    const wake = store.nextWake();
    const wakeAt = wake ? wake.at : Number.POSITIVE_INFINITY;
    const entryAt = entered < size ? entryTimes[from + entered]! : Number.POSITIVE_INFINITY;
    const pending = queue.peek();
    const pendingAt = pending ? pending.at : Number.POSITIVE_INFINITY;
    const at = wakeAt <= entryAt && wakeAt <= pendingAt ? wakeAt : entryAt <= pendingAt ? entryAt : pendingAt;
    if (!(at < end)) break;

    if (wake && wakeAt === at) {
      await engine.apply({ kind: 'wake', customerId: wake.customerId }, at);
    } else if (entryAt === at) {
      const local = entered++;
      const id = ids[local]!;
      const profile = { ...entry.profile, email: `${id}@example.com`, firstName: FIRST_NAMES[plan.firstNames[from + local]!]!, timezone: plan.timeZones[plan.zones[from + local]!]! };
      const event = { id: `${id}:entry`, source: entry.source, 'detail-type': entry.detailType, time: new Date(at).toISOString(), detail: { ...entry.detail, customerId: id, profile } };
      await engine.apply({ kind: 'event', event }, at);
      // Some customers convert whatever the journey does: at a time spread over the rest of the period.
      if (baseConversion > 0 && flags[local]! & ACTIVE) {
        const random = behaviourOf(local);
        if (random() < baseConversion) queue.push(at + 1 + Math.floor(random() * (end - at - 1)), CONVERT, local, '', 0, null, null);
      }
    } else {
      const item = queue.pop()!;
      const local = item.customer;
      const id = ids[local]!;
      let event: Record<string, unknown> | undefined;
      if (item.kind === OPEN || item.kind === CLICK) {
        const opened = item.kind === OPEN;
        event = {
          id: `${id}:${opened ? 'open' : 'click'}:${item.emailSeq}`,
          source: 'aws.ses',
          'detail-type': opened ? 'Email Opened' : 'Email Clicked',
          time: new Date(at).toISOString(),
          detail: { customerId: id, workflowId, stepId: item.stepId, emailSeq: item.emailSeq },
        };
      } else if (item.kind === CONVERT) {
        // Once converted, or out of the journey, a conversion changes nothing: skip the work.
        if ((flags[local]! & (ACTIVE | CONVERTED)) === ACTIVE) {
          event = { id: `${id}:goal:${++madeUp[local]!}`, source: goal!.source, 'detail-type': goal!.detailType, time: new Date(at).toISOString(), detail: { ...goal!.detail, customerId: id } };
        }
      } else if (flags[local]! & ACTIVE) {
        const waited = item.waited!;
        event = { id: `${id}:event:${++madeUp[local]!}`, source: waited.source, 'detail-type': waited.detailType, time: new Date(at).toISOString(), detail: { ...item.detail, customerId: id } };
      }
      if (event) await engine.apply({ kind: 'event', event }, at);
    }

    // The mailer records what was sent; the simulation keeps only counts (100k customers get half a million emails).
    const sent = mailer.sent;
    if (sent.length > 0) {
      for (let i = 0; i < sent.length; i++) {
        const sentAt = sent[i]!.at;
        perDay[Math.floor(sentAt / DAY) - firstDay]! += 1;
        perMinute[Math.floor(sentAt / MINUTE) - firstMinute]! += 1;
      }
      totals.emails += sent.length;
      sent.length = 0;
    }
    if (tick && (++iterations & 4095) === 0) tick(at, entered);
  }
  tick?.(end, entered);

  for (const journey of store.journeys()) totals.statuses[journey.state.status] = (totals.statuses[journey.state.status] ?? 0) + 1;
}

/**
 * Counter rows added up in memory, as production's BufferedCounters does for a batch, and
 * handed over once at the end (one workflow: the key needs no workflow id).
 */
class CounterTotals implements CounterSink {
  /** day → step → name → row: nested maps, so adding a row builds no key string. */
  private readonly totals = new Map<string, Map<string, Map<string, CounterRow>>>();

  add(rows: CounterRow[]): void {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let bySteps = this.totals.get(row.day);
      if (!bySteps) this.totals.set(row.day, (bySteps = new Map()));
      let byNames = bySteps.get(row.stepId);
      if (!byNames) bySteps.set(row.stepId, (byNames = new Map()));
      const existing = byNames.get(row.name);
      if (existing) existing.value += row.value;
      else byNames.set(row.name, { workflowId: row.workflowId, day: row.day, stepId: row.stepId, name: row.name, value: row.value });
    }
  }

  /** Sorted by day, step and name, so that a forecast's JSON is stable. */
  rows(workflowId: string): CounterRow[] {
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const rows: CounterRow[] = [];
    for (const bySteps of this.totals.values()) for (const byNames of bySteps.values()) for (const row of byNames.values()) if (row.workflowId === workflowId) rows.push(row);
    return rows.sort((a, b) => compare(a.day, b.day) || compare(a.stepId, b.stepId) || compare(a.name, b.name));
  }
}

function objectOrEmpty(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A copy of a plain object, nested objects included (drawn fields are set into it). */
function copyObject(source: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) copy[key] = value && typeof value === 'object' && !Array.isArray(value) ? copyObject(value as Record<string, unknown>) : value;
  return copy;
}

function forecastFrom(
  workflow: CompiledWorkflow,
  parameters: SimulationParameters,
  counters: readonly CounterRow[],
  totals: Totals,
): SimulationForecast {
  const metrics = metricsFrom(workflow.definition, counters);

  const firstDay = Math.floor(Date.parse(parameters.start) / DAY);
  const firstMinute = Math.floor(Date.parse(parameters.start) / MINUTE);
  const perDay = [...totals.perDay].map((count, i) => ({ day: new Date((firstDay + i) * DAY).toISOString().slice(0, 10), count }));
  let peakDay: { day: string; count: number } | null = null;
  for (const day of perDay) if (day.count > 0 && (peakDay === null || day.count > peakDay.count)) peakDay = day;
  let peakIndex = -1;
  let peakCount = 0;
  const minutes = totals.perMinute;
  for (let i = 0; i < minutes.length; i++) {
    if (minutes[i]! > peakCount) {
      peakCount = minutes[i]!;
      peakIndex = i;
    }
  }
  const peakMinute = peakIndex < 0 ? null : { at: new Date((firstMinute + peakIndex) * MINUTE).toISOString(), count: peakCount };

  const steps: SimulationForecast['steps'] = {};
  for (const [id, step] of Object.entries(metrics.steps)) steps[id] = { reached: step.entered, sent: step.sent, opened: step.opened, clicked: step.clicked };
  const stages: SimulationForecast['stages'] = {};
  for (const [name, stage] of Object.entries(metrics.stages)) stages[name] = { reached: stage.entered, conversionToNext: stage.conversionToNext };

  const deferrals = { window: 0, cap: 0 };
  const skipped = { contentExhausted: 0, noAddress: 0 };
  for (const row of counters) {
    if (row.name === 'email.deferred:window') deferrals.window += row.value;
    else if (row.name === 'email.deferred:cap') deferrals.cap += row.value;
    else if (row.name === 'email.skipped:no-content') skipped.contentExhausted += row.value;
    else if (row.name === 'email.skipped:no-address') skipped.noAddress += row.value;
  }

  return {
    emails: {
      total: totals.emails,
      perDay,
      peakDay,
      peakMinute,
      peakMinuteSendSeconds: peakCount / parameters.sesMaxSendRate,
    },
    steps,
    stages,
    conversion: {
      converted: metrics.converted,
      rate: metrics.entered > 0 ? metrics.converted / metrics.entered : 0,
      averageDaysToConvert: metrics.averageTimeToConvertMs === null ? null : metrics.averageTimeToConvertMs / DAY,
    },
    deferrals,
    skipped,
    statuses: totals.statuses,
  };
}

/** Content-exhausted skips per step, from the counters (for the forecast's reader). */
export function contentExhaustedBySteps(counters: readonly CounterRow[]): Array<{ stepId: string; count: number }> {
  const bySteps = new Map<string, number>();
  for (const row of counters) if (row.name === 'email.skipped:no-content') bySteps.set(row.stepId, (bySteps.get(row.stepId) ?? 0) + row.value);
  return [...bySteps].map(([stepId, count]) => ({ stepId, count }));
}

