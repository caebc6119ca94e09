/**
 * `waymark audience import`: a list file → one `Audience Joined` event per
 * customer, into a sink (a bus, a JSON Lines file, or nowhere for a dry run).
 *
 * Every row is accounted for: imported, or rejected with its line and reason
 * (bad email, missing id, duplicate in the file, profile too large, ...), and
 * bad rows never stop the import. The file is streamed: a million rows are
 * never in memory at once (only the ids seen, to find duplicates).
 */
import { createWriteStream, existsSync, rmSync, type WriteStream } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { AudienceJoinedEvent } from './audience-joined';
import { type Rejection, type RowColumns, rowToEvent } from './row-to-event';
import { csvField, type Delimiter } from './csv';
import { type ListFormat, ListFileError, openListFile } from './list-file';
import { PutEventsSender, PutEventsStoppedError } from './put-events';

/** Where accepted events go. `finish` returns those that could not be delivered, by line. */
export interface AudienceSink {
  readonly description: string;
  add(event: AudienceJoinedEvent, line: number): Promise<void>;
  finish(): Promise<Rejection[]>;
}

export interface ImportProgress {
  rows: number;
  accepted: number;
  rejected: number;
  /** How much of the file is done, from 0 to 1. */
  fraction: number;
}

export interface ImportListOptions {
  file: string;
  audience: string;
  /** The events' time (ISO 8601). */
  time: string;
  sink: AudienceSink;
  format?: ListFormat;
  delimiter?: Delimiter;
  /** Columns whose values are numbers (`--number`). */
  numberColumns?: readonly string[];
  onProgress?: (progress: ImportProgress) => void;
}

export interface ImportResult {
  format: ListFormat;
  delimiter: Delimiter | undefined;
  /** CSV: the header's columns. */
  columns: string[];
  /** How the customer id is found: a column, or derived from the email. */
  idColumn: string | undefined;
  rows: number;
  /** Rows that became an event and went to the sink. */
  accepted: number;
  /** Rejected rows and undelivered events, by line. */
  rejected: Rejection[];
  blankLines: number;
  /** The sink stopped for good (e.g. no such bus): the rows from this line on were not imported. */
  stopped?: { line: number; reason: string };
}

const lower = (s: string) => s.toLowerCase();

/** The id and email columns among a row's (or a header's) column names. */
export function columnsOf(names: readonly string[], numbers: ReadonlySet<string>): RowColumns | undefined {
  const find = (wanted: string) => names.find((n) => lower(n) === lower(wanted));
  const email = find('email');
  if (email === undefined) return undefined;
  return { email, id: find('customerId') ?? find('id'), numbers };
}

export async function importList(options: ImportListOptions): Promise<ImportResult> {
  const numbers = new Set(options.numberColumns ?? []);
  const list = await openListFile(options.file, { ...(options.format ? { format: options.format } : {}), ...(options.delimiter ? { delimiter: options.delimiter } : {}) });

  let headerColumns: RowColumns | undefined;
  if (list.format === 'csv') {
    headerColumns = columnsOf(list.columns, numbers);
    if (!headerColumns) throw new ListFileError(`${options.file} has no "email" column (its columns are: ${list.columns.map((c) => `"${c}"`).join(', ')})`);
    const unknown = [...numbers].filter((c) => !list.columns.includes(c));
    if (unknown.length > 0) throw new ListFileError(`--number ${unknown.map((c) => `"${c}"`).join(', ')}: no such column in ${options.file} (its columns are: ${list.columns.map((c) => `"${c}"`).join(', ')})`);
    const special = [...numbers].filter((c) => c === headerColumns!.email || c === headerColumns!.id);
    if (special.length > 0) throw new ListFileError(`--number "${special[0]}": the ${special[0] === headerColumns.email ? 'email' : 'customer id'} column is text`);
  }

  const result: ImportResult = {
    format: list.format,
    delimiter: list.delimiter,
    columns: list.columns,
    idColumn: headerColumns?.id,
    rows: 0,
    accepted: 0,
    rejected: [],
    blankLines: 0,
  };
  /** The line each customer was first seen on. */
  const seen = new Map<string, number>();
  const progress = () => options.onProgress?.({ rows: result.rows, accepted: result.accepted, rejected: result.rejected.length, fraction: list.fraction() });

  for await (const row of list.rows) {
    result.rows++;
    if ('rejection' in row) {
      result.rejected.push(row.rejection);
      progress();
      continue;
    }
    const columns = headerColumns ?? columnsOf(Object.keys(row.values), numbers);
    if (!columns) {
      result.rejected.push({ line: row.line, reason: 'no "email" field' });
      progress();
      continue;
    }
    const outcome = rowToEvent(row.line, row.values, columns, { audience: options.audience, time: options.time });
    if (!outcome.ok) {
      result.rejected.push(outcome.rejection);
      progress();
      continue;
    }
    const { customerId } = outcome.event.detail;
    const first = seen.get(customerId);
    if (first !== undefined) {
      result.rejected.push({
        line: row.line,
        column: columns.id ?? columns.email,
        value: columns.id ? customerId : String(row.values[columns.email]).trim(),
        reason: `duplicate in the file: ${columns.id ? 'this customer' : 'this address'} is already on line ${first}`,
      });
      progress();
      continue;
    }
    seen.set(customerId, row.line);
    try {
      await options.sink.add(outcome.event, row.line);
    } catch (error) {
      if (!(error instanceof PutEventsStoppedError)) throw error;
      result.stopped = { line: row.line, reason: error.message };
      break;
    }
    result.accepted++;
    progress();
  }
  result.blankLines = list.blankLines();
  try {
    result.rejected.push(...(await options.sink.finish()));
  } catch (error) {
    if (!(error instanceof PutEventsStoppedError)) throw error;
    result.stopped ??= { line: result.rows, reason: error.message };
  }
  result.rejected.sort((a, b) => a.line - b.line);
  progress();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Sinks

/** Events to a bus through PutEvents. */
export function putEventsSink(sender: PutEventsSender<number>, description: string): AudienceSink {
  return {
    description,
    add: (event, line) => sender.add({ event, ref: line }),
    async finish() {
      const failed = await sender.flush();
      return failed.map((f) => ({ line: f.ref, reason: f.reason }));
    },
  };
}

/** Events to a JSON Lines file, one full EventBridge event per line (what `waymark run --events` reads). */
export function jsonLinesSink(path: string): AudienceSink {
  let out: WriteStream | undefined;
  return {
    description: path,
    async add(event) {
      out ??= createWriteStream(path, { encoding: 'utf8' });
      if (!out.write(`${JSON.stringify(event)}\n`)) await new Promise<void>((resolve) => out!.once('drain', () => resolve()));
    },
    async finish() {
      out ??= createWriteStream(path, { encoding: 'utf8' });
      await new Promise<void>((resolve, reject) => out!.end((error?: Error | null) => (error ? reject(error) : resolve())));
      return [];
    },
  };
}

/** Nothing is sent: `--dry-run`. */
export function dryRunSink(): AudienceSink {
  return { description: 'nowhere (dry run)', add: async () => {}, finish: async () => [] };
}

// ---------------------------------------------------------------------------------------------
// The rejected-rows file

/**
 * A cell of the rejected-rows file. The file holds values from the list and
 * is opened in spreadsheets: a value that a spreadsheet would run as a formula
 * (`=`, `+`, `-`, `@`, tab, CR first) gets a leading `'` (OWASP, "CSV Injection").
 */
function cell(value: string): string {
  return csvField(/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
}

/** `leads.csv` → `leads.rejected.csv`, beside it. */
export function rejectedFilePath(input: string): string {
  const extension = extname(input);
  return join(dirname(input), `${basename(input, extension)}.rejected.csv`);
}

/**
 * Writes the rejected rows (CSV: line, column, value, reason), or removes a
 * previous run's file when nothing was rejected. Returns the path written, if any.
 */
export async function writeRejectedFile(path: string, rejected: readonly Rejection[]): Promise<string | undefined> {
  if (rejected.length === 0) {
    if (existsSync(path)) rmSync(path);
    return undefined;
  }
  const out = createWriteStream(path, { encoding: 'utf8' });
  const write = async (text: string) => {
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  };
  await write('line,column,value,reason\r\n');
  for (const r of rejected) await write(`${r.line},${cell(r.column ?? '')},${cell(r.value ?? '')},${cell(r.reason)}\r\n`);
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return path;
}
