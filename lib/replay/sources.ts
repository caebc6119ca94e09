/**
 * Where replayed events come from, read line by line, never a whole file at
 * once: local files (JSON Lines, gzip'd or not: `.gz` files and any file that
 * starts with gzip's magic bytes are decompressed as they stream), a
 * directory of day files (`waymark dev`'s `.waymark/events/`), and S3
 * (s3-source.ts). A source is a sequence of files read one after the other,
 * in name order, which for the archive is time order.
 */
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { utcDay } from './archive-format';

export class ReplaySourceError extends Error {
  override readonly name = 'ReplaySourceError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** One file of a source: its name (for messages) and how to read its bytes. */
export interface SourceFile {
  name: string;
  open(): Promise<AsyncIterable<Uint8Array>>;
}

/** Files read one after the other, as one stream of lines. */
export interface EventSource {
  name: string;
  files(): AsyncIterable<SourceFile>;
}

export interface SourceLine {
  file: string;
  /** 1-based, within its file. */
  line: number;
  text: string;
}

/** The lines of every file of a source, in order; blank lines are skipped. */
export async function* linesOf(source: EventSource): AsyncGenerator<SourceLine> {
  for await (const file of source.files()) {
    let bytes: AsyncIterable<Uint8Array>;
    try {
      bytes = await file.open();
    } catch (error) {
      throw error instanceof ReplaySourceError ? error : new ReplaySourceError(`cannot read ${file.name}: ${describe(error)}`, { cause: error });
    }
    const lines = createInterface({ input: Readable.from(decompressed(bytes, file.name)), crlfDelay: Number.POSITIVE_INFINITY });
    let line = 0;
    try {
      for await (const text of lines) {
        line += 1;
        if (text.trim() !== '') yield { file: file.name, line, text };
      }
    } catch (error) {
      throw error instanceof ReplaySourceError ? error : new ReplaySourceError(`cannot read ${file.name} (after line ${line}): ${describe(error)}`, { cause: error });
    }
  }
}

/** The bytes as they are, or gunzip'd when they start with gzip's magic bytes (1f 8b). */
async function* decompressed(bytes: AsyncIterable<Uint8Array>, name: string): AsyncGenerator<Uint8Array> {
  const iterator = bytes[Symbol.asyncIterator]();
  let first = await iterator.next();
  // A chunk of one byte cannot say; gzip data never comes in such chunks from a file or S3, but be sure.
  while (!first.done && first.value.length < 2) {
    const next = await iterator.next();
    if (next.done) break;
    first = { done: false, value: Buffer.concat([first.value, next.value]) };
  }
  if (first.done) return;
  const rest = (async function* () {
    yield first.value;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* rest;
    return;
  }
  const gunzip = Readable.from(rest).pipe(createGunzip());
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    throw new ReplaySourceError(`${name} is not valid gzip: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}

/** One local file. */
export function fileSource(path: string): EventSource {
  return {
    name: path,
    async *files() {
      yield {
        name: path,
        async open() {
          const stat = statSync(path, { throwIfNoEntry: false });
          if (!stat) throw new ReplaySourceError(`cannot read ${path}: no such file`);
          if (!stat.isFile()) throw new ReplaySourceError(`cannot read ${path}: not a file`);
          return createReadStream(path);
        },
      };
    },
  };
}

/** `2026-11-02.jsonl`, `2026-11-02.jsonl.gz`: a day file of the `waymark dev` archive. */
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})[^/]*$/;
const EVENT_FILE = /\.(jsonl|ndjson)(\.gz)?$/;

/**
 * The JSON Lines files of a directory in name order (the dev archive's day files: time order), or
 * the one file it is. `since`: day files of earlier days are left out (files not named by a day are read).
 */
export function pathSource(path: string, options: { since?: number } = {}): EventSource {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new ReplaySourceError(`cannot read ${path}: no such file or directory`);
  if (!stat.isDirectory()) return fileSource(path);
  const sinceDay = options.since === undefined ? undefined : utcDay(options.since);
  const names = readdirSync(path)
    .filter((name) => EVENT_FILE.test(name) && statSync(join(path, name)).isFile())
    .filter((name) => {
      const day = DAY_FILE.exec(name)?.[1];
      return sinceDay === undefined || day === undefined || day >= sinceDay;
    })
    .sort();
  if (names.length === 0) throw new ReplaySourceError(`no event files (*.jsonl, *.jsonl.gz) in ${path}${sinceDay ? ` from ${sinceDay} on` : ''}`);
  return {
    name: path,
    async *files() {
      for (const name of names) yield* fileSource(join(path, name)).files();
    },
  };
}
