/**
 * `waymark dev`'s event archive: every customer event that reaches the local
 * bus, whether or not a workflow uses it, appended to
 * `<data>/events/YYYY-MM-DD.jsonl` (the day the bus received it, on the dev
 * clock), in the format of the AWS archive (lib/replay/archive-format.ts), so
 * `waymark replay --from .waymark/events` replays what happened locally.
 *
 * Append-only and buffered: lines are written at most a second after the
 * event, or sooner when 256 KB are waiting, and on close. A write that fails
 * (disk full) is reported and the lines are kept for the next try; the bus
 * never waits for the archive.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { compilePattern } from '../engine/patterns';
import { ARCHIVED_EVENTS, archiveLine, utcDay } from '../replay/archive-format';

const isArchived = compilePattern(ARCHIVED_EVENTS);

export interface DevEventArchiveOptions {
  /** How often buffered lines are written (default 1 s). */
  flushEveryMs?: number;
  /** Write as soon as this much is buffered (default 256 KB). */
  flushBytes?: number;
  onError?: (error: Error) => void;
}

export class DevEventArchive {
  private readonly pending = new Map<string, string[]>();
  private bytes = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly directory: string,
    private readonly options: DevEventArchiveOptions = {},
  ) {
    this.timer = setInterval(() => this.flush(), options.flushEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Keeps a customer event the bus received at `deliveredAt`; anything else (no customerId, an aws.* source) is not archived. */
  append(event: unknown, deliveredAt: number): void {
    if (this.closed || !isArchived(event)) return;
    const line = `${archiveLine(event, deliveredAt)}\n`;
    const day = utcDay(deliveredAt);
    const lines = this.pending.get(day);
    if (lines) lines.push(line);
    else this.pending.set(day, [line]);
    this.bytes += line.length;
    if (this.bytes >= (this.options.flushBytes ?? 256 * 1024)) this.flush();
  }

  /** Writes what is buffered, day by day. */
  flush(): void {
    if (this.pending.size === 0) return;
    try {
      mkdirSync(this.directory, { recursive: true });
    } catch (error) {
      this.options.onError?.(error as Error);
      return;
    }
    for (const [day, lines] of [...this.pending]) {
      try {
        appendFileSync(join(this.directory, `${day}.jsonl`), lines.join(''));
        this.pending.delete(day);
        this.bytes -= lines.reduce((n, l) => n + l.length, 0);
      } catch (error) {
        this.options.onError?.(error as Error);
        return;
      }
    }
  }

  /** Writes what is left and stops the timer. */
  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.closed = true;
  }
}
