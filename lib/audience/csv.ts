/**
 * A streaming RFC 4180 CSV parser: text goes in chunk by chunk (a file is
 * never held whole), records come out with the line they start on.
 *
 * - Fields may be quoted; inside quotes, `""` is a quote and the delimiter,
 *   CR and LF are ordinary characters (a record then spans several lines,
 *   and the next record's line number still counts every line of the file).
 * - Records end at LF, CRLF or a lone CR; the last may have no line end.
 * - A leading UTF-8 byte order mark is dropped.
 * - The delimiter is `,` or `;`; `auto` picks the one that occurs more often,
 *   outside quotes, in the first record (the header), `,` on a tie.
 * - A quote that ends a quoted field must be followed by the delimiter or the
 *   end of the record: `"5" screen"` is reported as a problem of its record,
 *   never silently read as something else. An unquoted field keeps a stray
 *   quote as it is (`5" screen` reads as written).
 *
 * @example
 *   const parser = new CsvParser({ delimiter: 'auto' });
 *   parser.push('email;note\r\na@example.com;"two\nlines"\n'); // → [{ line: 1, ... }, { line: 2, fields: ['a@example.com', 'two\nlines'] }]
 *   parser.end();                                               // → []
 */

export type Delimiter = ',' | ';';

export interface CsvRecord {
  /** The line (1-based) the record starts on. */
  line: number;
  fields: string[];
  /** Characters of the input read up to the end of this record (progress). */
  end?: number;
  /** Set when the record is malformed; `fields` then holds what could be read. */
  problem?: string;
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  /** A quote inside a quoted field: the field's end, or the first half of `""`. */
  QuoteInQuoted,
}

const CR = 13;
const LF = 10;
const QUOTE = 34;

export class CsvParser {
  private delimiter: Delimiter | undefined;
  private delimiterCode = 0;
  /** Text held back until the first record is complete (auto delimiter only). */
  private pending = '';
  private started = false;

  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private problem: string | undefined;
  /** The previous character was a CR: an LF right after it is the same line end. */
  private afterCr = false;
  private out: CsvRecord[] = [];
  /** Characters of the input before the text being consumed. */
  private base = 0;

  constructor(options: { delimiter: Delimiter | 'auto' }) {
    if (options.delimiter !== 'auto') this.useDelimiter(options.delimiter);
  }

  /** The delimiter in use (known once the first record has been read, with `auto`). */
  get detectedDelimiter(): Delimiter | undefined {
    return this.delimiter;
  }

  push(text: string): CsvRecord[] {
    if (!this.started && text !== '') {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.delimiter === undefined) {
      this.pending += text;
      const end = firstRecordEnd(this.pending);
      if (end === undefined) return [];
      this.useDelimiter(detectDelimiter(this.pending.slice(0, end)));
      text = this.pending;
      this.pending = '';
    }
    this.consume(text);
    return this.take();
  }

  /** The end of the input: the last record (without a line end), or a quoted field never closed. */
  end(): CsvRecord[] {
    if (this.delimiter === undefined) {
      this.useDelimiter(detectDelimiter(this.pending));
      const text = this.pending;
      this.pending = '';
      this.consume(text);
    }
    if (this.state === State.Quoted) {
      this.problem ??= `the quoted field that starts on line ${this.recordLine} is never closed (a missing closing quote "?)`;
      this.finishRecord(this.base);
    } else if (this.state !== State.FieldStart || this.fields.length > 0) {
      this.finishRecord(this.base);
    }
    return this.take();
  }

  private useDelimiter(delimiter: Delimiter): void {
    this.delimiter = delimiter;
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  private take(): CsvRecord[] {
    const records = this.out;
    this.out = [];
    return records;
  }

  private consume(text: string): void {
    const delimiter = this.delimiterCode;
    let i = 0;
    const n = text.length;
    if (this.afterCr && n > 0) {
      this.afterCr = false;
      if (text.charCodeAt(0) === LF) {
        if (this.state === State.Quoted) this.field += '\n';
        i = 1;
      }
    }
    while (i < n) {
      const code = text.charCodeAt(i);
      switch (this.state) {
        case State.FieldStart:
          if (this.fields.length === 0) this.recordLine = this.line;
          if (code === QUOTE) {
            this.state = State.Quoted;
            i++;
          } else if (code === delimiter) {
            this.fields.push('');
            i++;
          } else if (code === CR || code === LF) {
            i = this.lineEnd(text, i, code);
            this.fields.push('');
            this.finishRecord(this.base + i);
          } else {
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          // Copy the run of ordinary characters at once.
          let j = i;
          while (j < n) {
            const c = text.charCodeAt(j);
            if (c === delimiter || c === CR || c === LF) break;
            j++;
          }
          this.field += text.slice(i, j);
          i = j;
          if (i >= n) break;
          const c = text.charCodeAt(i);
          if (c === delimiter) {
            this.endField();
            i++;
          } else {
            i = this.lineEnd(text, i, c);
            this.endField();
            this.finishRecord(this.base + i);
          }
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < n) {
            const c = text.charCodeAt(j);
            if (c === QUOTE || c === CR || c === LF) break;
            j++;
          }
          this.field += text.slice(i, j);
          i = j;
          if (i >= n) break;
          const c = text.charCodeAt(i);
          if (c === QUOTE) {
            this.state = State.QuoteInQuoted;
            i++;
          } else {
            // A line break inside quotes is part of the value, kept as written.
            this.line++;
            if (c === CR && i + 1 < n && text.charCodeAt(i + 1) === LF) {
              this.field += '\r\n';
              i += 2;
            } else {
              this.field += c === CR ? '\r' : '\n';
              if (c === CR && i + 1 === n) this.afterCr = true;
              i++;
            }
          }
          break;
        }
        case State.QuoteInQuoted:
          if (code === QUOTE) {
            this.field += '"';
            this.state = State.Quoted;
            i++;
          } else if (code === delimiter) {
            this.endField();
            i++;
          } else if (code === CR || code === LF) {
            i = this.lineEnd(text, i, code);
            this.endField();
            this.finishRecord(this.base + i);
          } else {
            this.problem ??= `field ${this.fields.length + 1}: text after a closing quote; a quote inside a quoted field must be doubled ("")`;
            this.state = State.Unquoted;
          }
          break;
      }
    }
    this.base += text.length;
  }

  /** Consumes a line end at `i` (CR, LF or CRLF) and counts the line; returns the index after it. */
  private lineEnd(text: string, i: number, code: number): number {
    this.line++;
    if (code === CR) {
      if (i + 1 < text.length) return text.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      this.afterCr = true;
    }
    return i + 1;
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private finishRecord(end: number): void {
    if (this.state !== State.FieldStart) this.endField();
    const record: CsvRecord = { line: this.recordLine, fields: this.fields, end };
    if (this.problem !== undefined) record.problem = this.problem;
    this.out.push(record);
    this.fields = [];
    this.problem = undefined;
    this.state = State.FieldStart;
  }
}

/** The index just past the first record's line end (outside quotes), or undefined if it has not ended yet. */
function firstRecordEnd(text: string): number | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) quoted = !quoted;
    else if (!quoted && (code === LF || code === CR)) return i;
  }
  return undefined;
}

/** `;` when the header has more semicolons than commas outside quotes, else `,`. */
export function detectDelimiter(header: string): Delimiter {
  let quoted = false;
  let commas = 0;
  let semicolons = 0;
  for (const ch of header) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === ',') commas++;
    else if (!quoted && ch === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** One field as RFC 4180 writes it: quoted when it holds the delimiter, a quote, CR or LF (or edge spaces). */
export function csvField(value: string, delimiter: Delimiter = ','): string {
  return value.includes(delimiter) || /["\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
