/**
 * What a simulation is asked (`SimulationSettings`: the CLI's options and `--config` file) and
 * what it runs with (`SimulationParameters`: the settings over the defaults, checked, reported
 * with every forecast).
 */
import type { ContentCatalogue } from '../engine/content';
import type { Workflow } from '../engine/schema';
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
  /** IANA time zones of the synthetic customers (each equally likely). */
  timeZones?: readonly string[];
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
