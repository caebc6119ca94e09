/**
 * What a simulation is asked (`SimulationSettings`: the CLI's options and `--config` file) and
 * what it runs with (`SimulationParameters`: the settings over the defaults, checked, reported
 * with every forecast).
 */
import type { ContentCatalogue } from '../engine/content';
import { parseCustomerEvent } from '../engine/events';
import type { ProjectSettings, Workflow } from '../engine/schema';
import { closestTimeZone, didYouMean } from '../engine/suggest';
import { isValidTimeZone } from '../engine/time';
import { SIMULATION_DEFAULTS } from './defaults';
import { ENGAGEMENT_BY_KIND, type Rates } from './engagement';
import { waitedEventsOf } from './synthetic-events';
import type { SimulationParameters } from './types';

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
  /** The value of a conversion (the goal event's `goal.value` field, revenue): drawn evenly from min to max, whole units. */
  goalValue?: { min: number; max: number };
  /** IANA time zones of the synthetic customers (each equally likely), for those whose profile in the mix names none. */
  timeZones?: readonly string[];
  /**
   * The audience: kinds of customer, each with a weight (its share of the customers), the profile
   * attributes they enter with (over the generated email, firstName and timezone), and, optionally,
   * how they engage and convert when it differs from everyone's. Default: one kind, no attributes.
   */
  profiles?: readonly AudienceGroup[];
  /** Customers per batch (default BATCH_SIZE): changes speed and memory, never the forecast. */
  batchSize?: number;
  /** Worker threads (default: one per CPU core, at most 4, from 10,000 customers; 1: in process): never changes the forecast. */
  workers?: number;
  /**
   * The path every input takes: the interpreter stepped directly (the default, fast), or the
   * journey service on a memory store (the reference it is checked against, slower). Never changes the forecast.
   */
  through?: 'interpreter' | 'service';
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
  /** workflows/settings.json: the send budget across journeys holds in a simulation too (this journey's emails count against it). */
  settings?: ProjectSettings;
}

/** One kind of customer in the audience (`"profiles"` of the `--config` file). */
export interface AudienceGroup {
  /** What the forecast calls them (default: their attributes, "plan=trial, timezone=Europe/Berlin"). */
  name?: string;
  /** Their share of the customers, relative to the other groups' weights. */
  weight: number;
  profile: Record<string, unknown>;
  /** Their open and click rates by content kind ("*": every kind), over everyone's. */
  engagement?: Record<string, Rates>;
  conversionPerClick?: number;
  baseConversion?: number;
  goalValue?: { min: number; max: number };
}

function checkedValue(name: string, range: { min: number; max: number }): { min: number; max: number } {
  if (!(Number.isFinite(range.min) && Number.isFinite(range.max) && range.min >= 0 && range.max >= range.min)) {
    throw new RangeError(`${name} must be {"min", "max"} with 0 <= min <= max, not ${JSON.stringify(range)}`);
  }
  return { min: range.min, max: range.max };
}

export function resolveEngagement(catalogue: ContentCatalogue, overrides: Record<string, Rates> = {}): Record<string, Rates> {
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

export function probability(name: string, value: number): number {
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
  const audience = audienceOf(settings.profiles);
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
    goalValue: checkedValue('goalValue', settings.goalValue ?? SIMULATION_DEFAULTS.goalValue),
    audience,
    budget: budgetOf(target),
  };
}

/** The send budget the simulated journey's emails count against, as the registry compiles it (null: none, or exempt). */
function budgetOf(target: SimulationTarget): SimulationParameters['budget'] {
  const budget = target.settings?.budget;
  const workflow = target.workflow.settings;
  if (!budget || (workflow?.budget ?? 'counted') === 'exempt') return null;
  return { max: budget.max, per: budget.per, overBudget: workflow?.overBudget ?? 'wait' };
}

/** The audience groups, checked, with their names and shares (no "profiles": everyone alike). */
function audienceOf(groups: readonly AudienceGroup[] | undefined): SimulationParameters['audience'] {
  if (groups === undefined) return [{ name: 'everyone', weight: 1, share: 1, profile: {} }];
  if (groups.length === 0) throw new RangeError('profiles must list at least one kind of customer, e.g. [{"weight": 1, "profile": {"plan": "trial"}}]');
  if (groups.length > 250) throw new RangeError(`profiles can list at most 250 kinds of customer, not ${groups.length}`);
  let total = 0;
  groups.forEach((group, i) => {
    if (!(group.weight >= 0 && Number.isFinite(group.weight))) throw new RangeError(`profiles[${i}].weight must be a number of at least 0, not ${group.weight}`);
    total += group.weight;
  });
  if (!(total > 0)) throw new RangeError('the weights of profiles must add up to more than 0');
  const names = new Set<string>();
  return groups.map((group, i) => {
    const where = `profiles[${i}]`;
    if (!group.profile || typeof group.profile !== 'object' || Array.isArray(group.profile)) throw new RangeError(`${where}.profile must be an object of profile attributes, e.g. {"plan": "trial"}`);
    // The profile must be one an event could carry: the same checks as production's.
    const parsed = parseCustomerEvent({ id: 'check', source: 'check', 'detail-type': 'check', time: '2026-01-01T00:00:00Z', detail: { customerId: 'check', profile: group.profile } });
    if (!parsed.ok) throw new RangeError(`${where}: ${parsed.reason.replace(/^detail\.profile/, 'profile')}`);
    const zone = group.profile.timezone;
    if (zone !== undefined && (typeof zone !== 'string' || !isValidTimeZone(zone))) {
      throw new RangeError(`${where}.profile.timezone: ${JSON.stringify(zone)} is not an IANA time zone${typeof zone === 'string' ? didYouMean(closestTimeZone(zone)) : ''}`);
    }
    for (const [kind, rates] of Object.entries(group.engagement ?? {})) {
      probability(`${where}.engagement.${kind}.open`, rates.open);
      probability(`${where}.engagement.${kind}.click`, rates.click);
    }
    if (group.conversionPerClick !== undefined) probability(`${where}.conversionPerClick`, group.conversionPerClick);
    if (group.baseConversion !== undefined) probability(`${where}.baseConversion`, group.baseConversion);
    if (group.goalValue !== undefined) checkedValue(`${where}.goalValue`, group.goalValue);
    const name = group.name ?? (Object.entries(group.profile).map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(', ') || 'no attributes');
    if (names.has(name)) throw new RangeError(`${where}: two kinds of customer are called "${name}": give each a "name"`);
    names.add(name);
    return {
      name,
      weight: group.weight,
      share: group.weight / total,
      profile: group.profile,
      ...(group.engagement ? { engagement: group.engagement } : {}),
      ...(group.conversionPerClick !== undefined ? { conversionPerClick: group.conversionPerClick } : {}),
      ...(group.baseConversion !== undefined ? { baseConversion: group.baseConversion } : {}),
      ...(group.goalValue !== undefined ? { goalValue: group.goalValue } : {}),
    };
  });
}
