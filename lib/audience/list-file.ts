/**
 * Reading a list file, streamed: CSV (a header row, RFC 4180 quoting, `,` or
 * `;`, UTF-8 with or without a byte order mark) or JSON Lines (one object per
 * line). Each row comes out with the line it starts on and its values by
 * column; a row that cannot be read comes out with the reason instead.
 * Problems with the file as a whole (no header, no email column, a column
 * named twice) are a `ListFileError`: nothing can be imported.
 */
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { type Rejection, RESERVED_ATTRIBUTES, quoteValue } from './row-to-event';
import { type CsvRecord, CsvParser, type Delimiter } from './csv';

export type ListFormat = 'csv' | 'jsonl';

export class ListFileError extends Error {
  override readonly name = 'ListFileError';
}

export type ListRow = { line: number; values: Record<string, unknown> } | { line: number; rejection: Rejection };

export interface ListFile {
  format: ListFormat;
  /** CSV only. */
  delimiter: Delimiter | undefined;
  /** The header's columns (CSV); for JSON Lines, filled in as rows are read. */
  columns: string[];
  rows: AsyncGenerator<ListRow>;
  /** How much of the file the rows handed out so far cover, from 0 to 1 (progress). */
  fraction(): number;
  size: number;
  /** Lines that held nothing (skipped, not rows). */
  blankLines(): number;
}

/** The format by extension (`.jsonl`, `.ndjson` → JSON Lines), else CSV. */
export function formatOf(path: string): ListFormat {
  return ['.jsonl', '.ndjson'].includes(extname(path).toLowerCase()) ? 'jsonl' : 'csv';
}

/** U+FFFD is what the decoder puts where the bytes were not UTF-8. */
const NOT_UTF8 = '\uFFFD';
const notUtf8 = (column: string, value: string): Rejection => ({
  line: 0,
  column,
  value,
  reason: 'not valid UTF-8: save the file as UTF-8 (in Excel: "CSV UTF-8")',
});

export async function openListFile(path: string, options: { format?: ListFormat; delimiter?: Delimiter } = {}): Promise<ListFile> {
  let size: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new ListFileError(`${path} is not a file`);
    size = stat.size;
  } catch (error) {
    if (error instanceof ListFileError) throw error;
    throw new ListFileError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  const format = options.format ?? formatOf(path);
  let bytes = 0;
  let blank = 0;
  /** Characters decoded, and characters of them the rows handed out cover. */
  let decoded = 0;
  let consumed = 0;
  const stream = createReadStream(path, { highWaterMark: 256 * 1024 });
  async function* texts(): AsyncGenerator<string> {
    const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      const text = decoder.decode(chunk, { stream: true });
      decoded += text.length;
      if (text) yield text;
    }
    const rest = decoder.decode();
    decoded += rest.length;
    if (rest) yield rest;
  }
  // The bytes read, scaled by the share of the text read that rows were made of (a chunk is read ahead).
  const fraction = () => (size === 0 || decoded === 0 ? 1 : Math.min(1, (bytes / size) * (consumed / decoded)));
  const common = { fraction, size, blankLines: () => blank };
  if (format === 'jsonl') return { format, delimiter: undefined, columns: [], rows: jsonLines(texts(), (n) => (blank += n), (n) => (consumed += n)), ...common };

  const parser = new CsvParser({ delimiter: options.delimiter ?? 'auto' });
  const records = csvRecords(texts(), parser);
  const first = await nextNonBlank(records, () => blank++);
  if (first === undefined) {
    stream.destroy();
    throw new ListFileError(`${path} is empty: a CSV list starts with a header row (email, firstName, ...)`);
  }
  const columns = first.fields.map((name) => name.trim());
  const problems: string[] = [];
  if (first.problem) problems.push(first.problem);
  const seen = new Set<string>();
  columns.forEach((name, i) => {
    if (name === '') problems.push(`column ${i + 1} has no name`);
    else if (seen.has(name)) problems.push(`column "${name}" appears twice`);
    else if (RESERVED_ATTRIBUTES.has(name)) problems.push(`"${name}" cannot be a column name`);
    else if (name.includes(NOT_UTF8)) problems.push(`column ${i + 1} ${quoteValue(name)} is not valid UTF-8: save the file as UTF-8 (in Excel: "CSV UTF-8")`);
    seen.add(name);
  });
  if (problems.length > 0) {
    stream.destroy();
    throw new ListFileError(`the header row (line ${first.line}) of ${path}: ${problems.join('; ')}`);
  }

  async function* rows(): AsyncGenerator<ListRow> {
    for await (const record of records) {
      consumed = record.end ?? consumed;
      if (isBlank(record)) {
        blank++;
        continue;
      }
      if (record.problem) {
        yield { line: record.line, rejection: { line: record.line, reason: record.problem } };
        continue;
      }
      if (record.fields.length !== columns.length) {
        yield {
          line: record.line,
          rejection: { line: record.line, reason: `${record.fields.length} ${record.fields.length === 1 ? 'field' : 'fields'} where the header has ${columns.length} (a missing quote around a value with "${parser.detectedDelimiter}"?)` },
        };
        continue;
      }
      const values: Record<string, unknown> = {};
      let broken: Rejection | undefined;
      record.fields.forEach((value, i) => {
        values[columns[i]!] = value;
        if (!broken && value.includes(NOT_UTF8)) broken = { ...notUtf8(columns[i]!, value), line: record.line };
      });
      yield broken ? { line: record.line, rejection: broken } : { line: record.line, values };
    }
  }
  return { format, delimiter: parser.detectedDelimiter, columns, rows: rows(), ...common };
}

async function* csvRecords(texts: AsyncIterable<string>, parser: CsvParser): AsyncGenerator<CsvRecord> {
  for await (const text of texts) yield* parser.push(text);
  yield* parser.end();
}

/** An empty line, or a row of empty unquoted cells (`,,,` from a spreadsheet): nothing to import. */
function isBlank(record: CsvRecord): boolean {
  return record.problem === undefined && record.fields.every((f) => f.trim() === '');
}

async function nextNonBlank(records: AsyncGenerator<CsvRecord>, onBlank: () => void): Promise<CsvRecord | undefined> {
  for (;;) {
    const next = await records.next();
    if (next.done) return undefined;
    if (isBlank(next.value)) onBlank();
    else return next.value;
  }
}

/** JSON Lines: each non-blank line one JSON object; its keys are the columns. */
async function* jsonLines(texts: AsyncIterable<string>, onBlank: (n: number) => void, onConsumed: (chars: number) => void): AsyncGenerator<ListRow> {
  let rest = '';
  let line = 0;
  let first = true;
  const row = (text: string): ListRow | undefined => {
    line++;
    onConsumed(text.length + 1);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() === '') {
      onBlank(1);
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      return { line, rejection: { line, reason: `invalid JSON: ${(error as Error).message.replace(/ in JSON at position \d+.*$/, '')}` } };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line, rejection: { line, reason: 'expected a JSON object with "email" (and "customerId" or "id")' } };
    for (const [column, v] of Object.entries(value)) {
      if (typeof v === 'string' && v.includes(NOT_UTF8)) return { line, rejection: { ...notUtf8(column, v), line } };
    }
    return { line, values: value as Record<string, unknown> };
  };
  for await (let text of texts) {
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    for (const l of lines) {
      const r = row(l);
      if (r) yield r;
    }
  }
  if (rest !== '') {
    const r = row(rest);
    if (r) yield r;
  }
}
