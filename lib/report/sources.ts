/**
 * Where `waymark report` reads counters from: a `waymark simulate --json`
 * file, a local stack's DynamoDB Local, or a deployed table. Tables are read
 * through DynamoStore.readCounters; a simulation's rows go through a
 * MemoryStore, so a period filters both the same way.
 */
import { readFileSync } from 'node:fs';
import type { SimulationOutput, SimulationParameters } from '../sim/types';
import { MemoryStore } from '../runtime/memory-store';
import type { CounterRow } from '../runtime/store';
import { formatCount } from './format';

export type ReportSource =
  | { kind: 'simulation'; file: string; workflow: { id: string; version?: number; name?: string }; parameters: Partial<SimulationParameters> | null }
  | { kind: 'local'; endpoint: string; table: string }
  | { kind: 'table'; table: string; region: string | null };

/** Anything that reads counter rows by workflow and day range (DynamoStore, MemoryStore). */
export interface CounterReader {
  readCounters(workflowId: string, fromDay?: string, toDay?: string): Promise<CounterRow[]>;
}

/** A problem with what the user asked for or gave: printed as is, exit code 1. */
export class ReportInputError extends Error {
  override readonly name = 'ReportInputError';
}

/** Defaults of `waymark dev`'s DynamoDB Local. */
export const LOCAL_STACK = { endpoint: 'http://127.0.0.1:8000', table: 'waymark' } as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isCounterRow(value: unknown): value is CounterRow {
  return (
    isObject(value) &&
    typeof value.workflowId === 'string' &&
    typeof value.day === 'string' &&
    typeof value.stepId === 'string' &&
    typeof value.name === 'string' &&
    typeof value.value === 'number' &&
    Number.isFinite(value.value)
  );
}

/**
 * Reads and checks a `waymark simulate --json` file: it needs `workflow.id`
 * and `counters` (rows of workflowId, day, stepId, name, value).
 */
export function readSimulationFile(path: string): SimulationOutput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ReportInputError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const notSimulation = (why: string) =>
    new ReportInputError(`${path} is not \`waymark simulate --json\` output: ${why}. Create one with \`waymark simulate --workflow <id> --json > ${path}\`.`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notSimulation('it is not JSON');
  }
  if (!isObject(value)) throw notSimulation('expected a JSON object');
  if (!isObject(value.workflow) || typeof value.workflow.id !== 'string') throw notSimulation('"workflow.id" is missing');
  if (!Array.isArray(value.counters)) throw notSimulation('"counters" is missing');
  const bad = value.counters.findIndex((row) => !isCounterRow(row));
  if (bad >= 0) throw notSimulation(`counters[${bad}] is not a counter row {workflowId, day, stepId, name, value}`);
  if (value.parameters !== undefined && !isObject(value.parameters)) throw notSimulation('"parameters" is not an object');
  return value as unknown as SimulationOutput;
}

/** A simulation's counters (of its workflow only) as a reader. */
export async function simulationReader(simulation: SimulationOutput): Promise<CounterReader> {
  const store = new MemoryStore();
  await store.addCounters(simulation.counters.filter((row) => row.workflowId === simulation.workflow.id));
  return store;
}

/** One line naming the source: "simulation sim.json", "local stack http://127.0.0.1:8000, table waymark", "table waymark (eu-west-1)". */
export function describeSource(source: ReportSource): string {
  switch (source.kind) {
    case 'simulation':
      return `simulation ${source.file}`;
    case 'local':
      return `local stack ${source.endpoint}, table ${source.table}`;
    case 'table':
      return `table ${source.table}${source.region ? ` (${source.region})` : ''}`;
  }
}

/** The simulation's set-up in words: ["2,000 customers over 30 days from 2026-11-02", "seed 1, entries spread over 10 days, SES 14 emails/s"]. */
export function describeSimulation(parameters: Partial<SimulationParameters> | null): string[] {
  if (!parameters) return [];
  const lines: string[] = [];
  const head: string[] = [];
  if (typeof parameters.customers === 'number') head.push(`${formatCount(parameters.customers)} customers`);
  if (typeof parameters.days === 'number') head.push(`over ${formatCount(parameters.days)} days`);
  if (typeof parameters.start === 'string') head.push(`from ${parameters.start.slice(0, 10)}`);
  if (head.length > 0) lines.push(head.join(' '));
  const details: string[] = [];
  if (typeof parameters.seed === 'number') details.push(`seed ${parameters.seed}`);
  if (typeof parameters.entryDays === 'number') details.push(`entries spread over ${formatCount(parameters.entryDays)} days`);
  if (typeof parameters.sesMaxSendRate === 'number') details.push(`SES ${formatCount(parameters.sesMaxSendRate)} emails/s`);
  if (details.length > 0) lines.push(details.join(', '));
  return lines;
}

/** The simulation's engagement assumptions, by content kind, when the file has them. */
export function engagementOf(parameters: Partial<SimulationParameters> | null): Array<{ kind: string; open: number; click: number }> {
  if (!parameters || !isObject(parameters.engagement)) return [];
  return Object.entries(parameters.engagement).flatMap(([kind, e]) => (isObject(e) && typeof e.open === 'number' && typeof e.click === 'number' ? [{ kind, open: e.open, click: e.click }] : []));
}
