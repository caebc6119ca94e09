/**
 * The clock loop: one batch of customers through the journey on a virtual clock. Their entries
 * (sorted), a binary heap of synthetic events (opens, clicks, conversions, awaited events) and
 * the journeys' timers, always applying the earliest next; on a tie, timers first,
 * then entries, then events in the order they were scheduled. Timers fire at their due time.
 *
 * Customers never affect one another: each has their own journey and timers, their own seeded
 * generator (so what they do does not depend on the order in which simultaneous inputs of others
 * are applied), and events named after them. So the batches' counts add up to exactly the
 * forecast of one single timeline, whatever the batching.
 */
import type { CompiledWorkflow } from '../engine/compile';
import { hash53 } from '../engine/hash';
import { isValidTimeZone } from '../engine/time';
import type { CustomerEvent, CustomerStatus } from '../engine/model';
import { WorkflowRegistry } from '../runtime/registry';
import type { CounterRow } from '../runtime/store';
import { addPathTotals, type DecisionPoint, decisionPoints, emptyPathTotals, PathTally, type PathTotals } from './branches';
import { CounterTotals } from './counters';
import { type BatchJourneys, InterpreterJourneys, ServiceJourneys, type StepObserver } from './journeys';
import { DAY, DEFAULT_TIME_ZONES, MINUTE, SIMULATED_SOURCE, SIMULATION_DEFAULTS } from './defaults';
import { clickedAt, convertedAfterClick, openedAt, type Rates } from './engagement';
import { CLICK, CONVERT, EventQueue, OPEN, WAITED } from './event-queue';
import { stream, seededRandom } from './random';
import { type SimulationProgress, type SimulationSettings, type SimulationTarget, simulationParameters } from './settings';
import { copyObject, documentMatching, drawField, firstString, isEngagementType, objectOrEmpty, setPath, type WaitedEvent, waitedEventsOf } from './synthetic-events';
import type { SimulationParameters } from './types';

const FIRST_NAMES = ['Ana', 'Ben', 'Cara', 'Dev', 'Elif', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kemi', 'Luca', 'Maya', 'Nils', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sami', 'Tara'];

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let isoDay = Number.NaN;
let isoDayPrefix = '';

/**
 * `new Date(at).toISOString()` for a whole millisecond from 1970 to 9999, without a Date per
 * event: the day's "YYYY-MM-DDT" is kept while events stay on one day, as they mostly do.
 */
export function isoTime(at: number): string {
  const day = Math.floor(at / DAY);
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = new Date(day * DAY).toISOString().slice(0, 11);
  }
  let rest = at - day * DAY;
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  return `${isoDayPrefix}${TWO_DIGITS[(rest - minutes) / 60]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[ms]}Z`;
}

/** The statuses a forecast always lists, in this order. */
const STATUSES: readonly CustomerStatus[] = ['active', 'completed', 'converted', 'exited', 'holdout', 'suppressed'];

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
export interface Plan {
  parameters: SimulationParameters;
  registry: WorkflowRegistry;
  workflow: CompiledWorkflow;
  workflowId: string;
  /** The path inputs take: the interpreter directly (the default), or the journey service (the reference). */
  through: 'interpreter' | 'service';
  start: number;
  end: number;
  firstDay: number;
  firstMinute: number;
  /** Entry instants, ascending: customer i (from 0) enters at entryTimes[i]. */
  entryTimes: Float64Array;
  /** Per customer: an index into FIRST_NAMES, one into timeZones, and one into groups (the kind of customer). */
  firstNames: Uint8Array;
  zones: Uint16Array;
  groupOf: Uint8Array;
  /** The kinds of customer: the attributes they enter with, how they engage and convert. */
  groups: readonly PlannedGroup[];
  /** Content kinds (the engagement table's), and each content item's kind among them. */
  kinds: readonly string[];
  kindOfContent: ReadonlyMap<string, number>;
  /** The workflow's branches, splits and holdouts. */
  points: readonly DecisionPoint[];
  timeZones: readonly string[];
  idWidth: number;
  behaviourSeed: number;
  entry: { source: string; detailType: string; detail: Record<string, unknown>; profile: Record<string, unknown> };
  /** The goal event the simulation sends, and where its value (goal.value, revenue) goes: empty for none. */
  goal: { source: string; detailType: string; detail: Record<string, unknown>; valuePath: readonly string[] } | undefined;
  waitedByStep: ReadonlyMap<string, WaitedEvent>;
}

/** One kind of customer, ready for the loop. */
export interface PlannedGroup {
  profile: Record<string, unknown>;
  /** Rates by content id, looked up once per item rather than once per email. */
  ratesByContent: ReadonlyMap<string, Rates>;
  conversionPerClick: number;
  baseConversion: number;
  /** The goal's value (revenue) is drawn from this range, whole units. */
  goalValue: { min: number; max: number };
}

/** The figures batches add up. */
export interface Totals {
  perDay: Float64Array;
  perMinute: Uint32Array;
  emails: number;
  counters: CounterTotals;
  statuses: Record<string, number>;
  paths: PathTotals;
  /** By content kind (plan.kinds): sent, opened, clicked. */
  kinds: { sent: Float64Array; opened: Float64Array; clicked: Float64Array };
  /** By kind of customer (plan.groups). */
  groups: { customers: Float64Array; emails: Float64Array; opened: Float64Array; clicked: Float64Array; converted: Float64Array; revenue: Float64Array };
}

/** Settings that can travel to a worker thread (everything but the progress callback). */
export type PortableSettings = Omit<SimulationSettings, 'onProgress' | 'workers'>;

/** Everything a batch needs, derived from the target and settings alone: a worker derives the same plan. */
export function planSimulation(target: SimulationTarget, settings: PortableSettings): { plan: Plan; workflow: CompiledWorkflow } {
  const parameters = simulationParameters(target, settings);
  const timeZones = settings.timeZones ?? DEFAULT_TIME_ZONES;
  if (timeZones.length === 0) throw new RangeError('timeZones must name at least one IANA time zone');
  for (const zone of timeZones) if (!isValidTimeZone(zone)) throw new RangeError(`"${zone}" is not an IANA time zone (e.g. "Europe/Berlin")`);

  const definition = target.workflow;
  const registry = new WorkflowRegistry([definition], target.catalogue, target.settings ?? {});
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
  const groupOf = new Uint8Array(customers);
  // The kind of customer, in proportion to the weights (one kind: no draw, so forecasts without a mix stay as they were).
  const { audience } = parameters;
  const cumulative = audience.map(((sum) => (group) => (sum += group.share))(0));
  for (let i = 0; i < customers; i++) {
    firstNames[i] = Math.floor(population() * FIRST_NAMES.length);
    zones[i] = Math.floor(population() * timeZones.length);
    if (audience.length > 1) {
      const u = population();
      let g = 0;
      while (g < audience.length - 1 && !(u < cumulative[g]!)) g++;
      // A weight of 0 is never drawn (rounding could otherwise land on it at the end).
      while (g > 0 && audience[g]!.weight === 0) g--;
      groupOf[i] = g;
    }
  }

  const entrySample = documentMatching(definition.entry.on);
  const entryDetail = objectOrEmpty(entrySample.detail);
  const goalSample = definition.goal ? documentMatching(definition.goal.on) : undefined;
  const goal = goalSample && { source: firstString(goalSample.source) ?? SIMULATED_SOURCE, detailType: firstString(goalSample['detail-type']) ?? 'simulated.goal', detail: objectOrEmpty(goalSample.detail) };
  // A goal on opens or clicks is reached by the simulated SES events themselves.
  const simulatesGoal = goal !== undefined && goal.source !== 'aws.ses' && !isEngagementType(goal.detailType);
  const waitedByStep = new Map<string, WaitedEvent>();
  for (const waited of waitedEventsOf(definition, parameters.waitedEvents)) waitedByStep.set(waited.stepId, waited);
  const kinds = Object.keys(parameters.engagement);
  const kindOfContent = new Map<string, number>();
  for (const item of target.catalogue.items) if (!kindOfContent.has(item.id)) kindOfContent.set(item.id, kinds.indexOf(item.kind));
  const groups: PlannedGroup[] = audience.map((group) => {
    const ratesByContent = new Map<string, Rates>();
    const own = group.engagement ?? {};
    for (const item of target.catalogue.items) {
      if (!ratesByContent.has(item.id)) ratesByContent.set(item.id, own[item.kind] ?? own['*'] ?? parameters.engagement[item.kind] ?? SIMULATION_DEFAULTS.unknownKind);
    }
    return {
      profile: group.profile,
      ratesByContent,
      conversionPerClick: simulatesGoal ? (group.conversionPerClick ?? parameters.conversionPerClick) : 0,
      baseConversion: simulatesGoal ? (group.baseConversion ?? parameters.baseConversion) : 0,
      goalValue: group.goalValue ?? parameters.goalValue,
    };
  });

  const plan: Plan = {
    parameters,
    registry,
    workflow,
    workflowId: workflow.id,
    through: settings.through ?? 'interpreter',
    start,
    end,
    firstDay: Math.floor(start / DAY),
    firstMinute: Math.floor(start / MINUTE),
    entryTimes,
    firstNames,
    zones,
    groupOf,
    groups,
    kinds,
    kindOfContent,
    points: decisionPoints(workflow),
    timeZones,
    idWidth: Math.max(6, String(customers).length),
    behaviourSeed: hash53(`${seed}:behaviour`) % 4294967296,
    entry: { source: firstString(entrySample.source) ?? SIMULATED_SOURCE, detailType: firstString(entrySample['detail-type']) ?? 'simulated.entry', detail: entryDetail, profile: objectOrEmpty(entryDetail.profile) },
    goal: simulatesGoal ? { ...goal, valuePath: definition.goal?.value?.split('.').slice(1) ?? [] } : undefined,
    waitedByStep,
  };
  return { plan, workflow };
}

export function emptyTotals(plan: Plan): Totals {
  return {
    perDay: new Float64Array(Math.floor((plan.end - 1) / DAY) - plan.firstDay + 1),
    perMinute: new Uint32Array(Math.floor((plan.end - 1) / MINUTE) - plan.firstMinute + 1),
    emails: 0,
    counters: new CounterTotals(),
    statuses: Object.fromEntries(STATUSES.map((s) => [s, 0])),
    paths: emptyPathTotals(plan.points),
    kinds: { sent: new Float64Array(plan.kinds.length), opened: new Float64Array(plan.kinds.length), clicked: new Float64Array(plan.kinds.length) },
    groups: { customers: new Float64Array(plan.groups.length), emails: new Float64Array(plan.groups.length), opened: new Float64Array(plan.groups.length), clicked: new Float64Array(plan.groups.length), converted: new Float64Array(plan.groups.length), revenue: new Float64Array(plan.groups.length) },
  };
}

function addArrays(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i]! += from[i]!;
}

/** Adds one worker's figures to the totals (sums of whole numbers: the order does not matter). */
export function addTotals(totals: Totals, part: PortableTotals): void {
  for (let i = 0; i < part.perDay.length; i++) totals.perDay[i]! += part.perDay[i]!;
  for (let i = 0; i < part.perMinute.length; i++) totals.perMinute[i]! += part.perMinute[i]!;
  totals.emails += part.emails;
  totals.counters.add(part.counters);
  for (const [status, value] of Object.entries(part.statuses)) totals.statuses[status] = (totals.statuses[status] ?? 0) + value;
  addPathTotals(totals.paths, part.paths);
  for (const name of ['sent', 'opened', 'clicked'] as const) addArrays(totals.kinds[name], part.kinds[name]);
  for (const name of ['customers', 'emails', 'opened', 'clicked', 'converted', 'revenue'] as const) addArrays(totals.groups[name], part.groups[name]);
}

/** Totals as they cross a thread boundary. */
export interface PortableTotals {
  perDay: Float64Array;
  perMinute: Uint32Array;
  emails: number;
  counters: CounterRow[];
  statuses: Record<string, number>;
  paths: PathTotals;
  kinds: Totals['kinds'];
  groups: Totals['groups'];
}

/**
 * Customers [from, to) through the journey: their entries (in time order), their timers and one
 * heap of synthetic events, always the earliest next (a tie: timers, then entries, then events in
 * the order they were scheduled), until the end of the period.
 */
export async function runBatch(
  plan: Plan,
  from: number,
  to: number,
  totals: Totals,
  tick: ((at: number, entered: number) => void) | undefined,
): Promise<void> {
  const { workflowId, end, entryTimes, waitedByStep, entry, goal, groups, groupOf, kindOfContent } = plan;
  const size = to - from;
  const queue = new EventQueue();

  // Customer i (from 0) is "sim-000001" and so on: the number tells the simulation who an input is about.
  const ids: string[] = new Array<string>(size);
  for (let i = 0; i < size; i++) ids[i] = `sim-${String(from + i + 1).padStart(plan.idWidth, '0')}`;
  const localIndex = (customerId: string) => Number(customerId.slice(4)) - 1 - from;
  // What the simulation knows of each customer (told by the journeys), and how many events it made up for them.
  const flags = new Uint8Array(size);
  const madeUp = new Uint32Array(size);
  // What each customer does (opens, clicks, answers, conversions) comes from a generator of their
  // own, so it does not depend on the order in which simultaneous inputs of others are applied.
  const behaviours: Array<() => number> = new Array<() => number>(size);
  const behaviourOf = (local: number) => (behaviours[local] ??= seededRandom((plan.behaviourSeed ^ Math.imul(from + local + 1, 0x9e3779b1)) >>> 0));
  const { perDay, perMinute } = totals;
  const { firstDay, firstMinute } = plan;
  const lastDay = perDay.length;
  const lastMinute = perMinute.length;

  const byKind = totals.kinds;
  const byGroup = totals.groups;
  // The content kind of the open or click being applied (the engine counts it once per email).
  let engagedKind = -1;
  let paths: PathTally | undefined;

  const observer: StepObserver = (local, before, state, effects, event) => {
    const active = state.status === 'active';
    flags[local] = (active ? ACTIVE : 0) | (state.convertedAt !== null ? CONVERTED : 0);
    const g = groupOf[from + local]!;
    const group = groups[g]!;
    let scheduled = false;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === 'schedule') {
        scheduled = true;
        continue;
      }
      if (effect.type === 'metric') {
        const name = effect.metric;
        if (name === 'email.opened') {
          byGroup.opened[g]! += 1;
          if (engagedKind >= 0) byKind.opened[engagedKind]! += 1;
        } else if (name === 'email.clicked') {
          byGroup.clicked[g]! += 1;
          if (engagedKind >= 0) byKind.clicked[engagedKind]! += 1;
        } else if (name === 'converted') {
          byGroup.converted[g]! += 1;
        } else if (name === 'revenue') {
          byGroup.revenue[g]! += effect.value;
        }
        continue;
      }
      if (effect.type !== 'send-email') continue;
      // Sent as decided (nothing is suppressed or fails in a simulation): counted by day and minute.
      const email = effect.email;
      const day = Math.floor(email.at / DAY) - firstDay;
      if (day >= 0 && day < lastDay) perDay[day]! += 1;
      const minute = Math.floor(email.at / MINUTE) - firstMinute;
      if (minute >= 0 && minute < lastMinute) perMinute[minute]! += 1;
      totals.emails += 1;
      byGroup.emails[g]! += 1;
      const kind = kindOfContent.get(email.contentId) ?? -1;
      if (kind >= 0) byKind.sent[kind]! += 1;
      // Each email sent may be opened, then clicked, and a click may lead to a conversion.
      const rates = group.ratesByContent.get(email.contentId) ?? SIMULATION_DEFAULTS.unknownKind;
      const random = behaviourOf(local);
      const roll = random();
      if (roll >= rates.open && roll >= rates.click) continue;
      // Most opens come within hours, a few a day or two later.
      const opened = openedAt(email.at, random);
      queue.push(opened, OPEN, local, email.stepId, email.seq, null, null, kind);
      if (roll >= rates.click) continue;
      const clicked = clickedAt(opened, random);
      queue.push(clicked, CLICK, local, email.stepId, email.seq, null, null, kind);
      if (group.conversionPerClick > 0 && random() < group.conversionPerClick) queue.push(convertedAfterClick(clicked, random), CONVERT, local, '', 0, null, null, -1);
    }
    paths?.observe(local, before, state, effects, event, journeys.profile(local));
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
          queue.push(state.waitingSince + MINUTE + Math.floor(u * u * (window - 2 * MINUTE)), WAITED, local, '', 0, waited, detail, -1);
        }
      }
    }
  };

  const options = { workflow: plan.workflow, registry: plan.registry, ids, localIndex, observer, firstDay, days: lastDay };
  const journeys: BatchJourneys = plan.through === 'service' ? new ServiceJourneys(options, totals.counters) : new InterpreterJourneys(options);
  if (plan.points.length > 0) paths = new PathTally(plan.workflow, plan.points, ids, totals.paths);

  let entered = 0;
  let iterations = 0;

  for (;;) {
    const wakeAt = journeys.nextWakeAt();
    const entryAt = entered < size ? entryTimes[from + entered]! : Number.POSITIVE_INFINITY;
    const pending = queue.peek();
    const pendingAt = pending ? pending.at : Number.POSITIVE_INFINITY;
    const at = wakeAt <= entryAt && wakeAt <= pendingAt ? wakeAt : entryAt <= pendingAt ? entryAt : pendingAt;
    if (!(at < end)) break;

    let work: void | Promise<void> = undefined;
    if (wakeAt === at) {
      work = journeys.wake(at);
    } else if (entryAt === at) {
      const local = entered++;
      const id = ids[local]!;
      const group = groups[groupOf[from + local]!]!;
      byGroup.customers[groupOf[from + local]!]! += 1;
      // The kind of customer's attributes over the generated ones (its time zone, or its own address, wins).
      const profile = { ...entry.profile, email: `${id}@example.com`, firstName: FIRST_NAMES[plan.firstNames[from + local]!]!, timezone: plan.timeZones[plan.zones[from + local]!]!, ...group.profile };
      const event: CustomerEvent = { id: `${id}:entry`, source: entry.source, 'detail-type': entry.detailType, time: isoTime(at), detail: { ...entry.detail, customerId: id, profile } };
      work = journeys.event(local, event, at);
      if (work) await work;
      work = undefined;
      // Some customers convert whatever the journey does, held-out ones too (the control group): at a time spread over the rest of the period.
      if (group.baseConversion > 0 && journeys.state(local) !== null) {
        const random = behaviourOf(local);
        if (random() < group.baseConversion) queue.push(at + 1 + Math.floor(random() * (end - at - 1)), CONVERT, local, '', 0, null, null, -1);
      }
    } else {
      const item = queue.pop()!;
      const local = item.customer;
      const id = ids[local]!;
      let event: CustomerEvent | undefined;
      if (item.kind === OPEN || item.kind === CLICK) {
        const opened = item.kind === OPEN;
        event = {
          id: `${id}:${opened ? 'open' : 'click'}:${item.emailSeq}`,
          source: 'aws.ses',
          'detail-type': opened ? 'Email Opened' : 'Email Clicked',
          time: isoTime(at),
          detail: { customerId: id, workflowId, stepId: item.stepId, emailSeq: item.emailSeq },
        };
      } else if (item.kind === CONVERT) {
        // Once converted, a conversion changes nothing: skip the work. A customer who finished may still be
        // watched for the goal (completed: within the attribution window; held out: the control group).
        if (!(flags[local]! & CONVERTED)) {
          const detail: Record<string, unknown> = { ...goal!.detail, customerId: id };
          if (goal!.valuePath.length > 0) {
            const { min, max } = groups[groupOf[from + local]!]!.goalValue;
            setPath(detail, goal!.valuePath, Math.round(min + behaviourOf(local)() * (max - min)));
          }
          event = { id: `${id}:goal:${++madeUp[local]!}`, source: goal!.source, 'detail-type': goal!.detailType, time: isoTime(at), detail: detail as CustomerEvent['detail'] };
        }
      } else if (flags[local]! & ACTIVE) {
        const waited = item.waited!;
        event = { id: `${id}:event:${++madeUp[local]!}`, source: waited.source, 'detail-type': waited.detailType, time: isoTime(at), detail: { ...item.detail, customerId: id } };
      }
      if (event) {
        engagedKind = item.contentKind;
        work = journeys.event(local, event, at);
        if (work) await work;
        work = undefined;
        engagedKind = -1;
      }
    }
    if (work) await work;
    if (tick && (++iterations & 4095) === 0) tick(at, entered);
  }
  tick?.(end, entered);

  journeys.addCountersTo(totals.counters);
  for (let local = 0; local < size; local++) {
    const state = journeys.state(local);
    if (state) totals.statuses[state.status] = (totals.statuses[state.status] ?? 0) + 1;
  }
}

export function progressOf(plan: Plan, batchesDone: number, batch: number, batches: number, at: number, entered: number, emails: number): SimulationProgress {
  const { days, customers } = plan.parameters;
  return { done: Math.min(1, batchesDone / batches), batch, batches, day: Math.min(days, Math.max(1, Math.floor((at - plan.start) / DAY) + 1)), days, entered, customers, emails };
}

