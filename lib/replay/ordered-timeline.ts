/**
 * Lines from several sources → one timeline, in time order, in bounded memory.
 *
 * Each source is roughly in time order already (an archive is written in the
 * order the bus received events). Sources are merged k ways by the time of
 * their next item, then pass through a reorder window: an item is held while
 * it is within `windowMs` of the newest time seen, or while fewer than
 * `minEvents` items are held (so a small file is put in exact time order, as
 * `waymark run` does), and never more than `maxEvents` are held. An item
 * that comes after a later one was already applied is late: it is applied at
 * the clock's time, with its own event time, as production applies an event
 * that arrives late (see timelineItemsFor).
 */
import { type TimelineItem, timelineItemsFor } from '../runtime/local-runner';
import { MinHeap } from '../runtime/min-heap';
import { type EventSource, linesOf } from './sources';

export interface ReorderWindow {
  /** Event time an item may be out of order by and still be applied in order. */
  windowMs: number;
  /** Items always held (when there are that many): files this small are sorted exactly. */
  minEvents: number;
  /** Items never held beyond this (memory bound): the earliest goes first. */
  maxEvents: number;
}

export const DEFAULT_WINDOW: ReorderWindow = { windowMs: 15 * 60_000, minEvents: 10_000, maxEvents: 100_000 };

export type ReplayInput =
  | { kind: 'item'; item: TimelineItem; file: string }
  | { kind: 'rejected'; file: string; line: number; reason: string };

export interface TimelineStats {
  /** Non-blank lines read. */
  lines: number;
  /** Items that arrived after a later item had been applied: applied late, at the clock's time. */
  late: number;
  /** The largest number of items held at once. */
  heldAtMost: number;
}

type Parsed = { kind: 'item'; item: TimelineItem; file: string } | { kind: 'rejected'; file: string; line: number; reason: string };

/**
 * One line → its timeline items. An archive line whose `deliveredAt` is before the event's own
 * `time` (a producer's clock ahead of EventBridge's, or a time set in the future) is applied when it
 * was delivered, as production applied it; a hand-written line like that is no mistake here either.
 */
export function itemsOfLine(text: string, line: number): { items: TimelineItem[] } | { reason: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof raw === 'object' && raw !== null && 'deliveredAt' in raw && 'event' in raw && Object.keys(raw).length === 2) {
    const { deliveredAt, event } = raw as { deliveredAt: unknown; event: { time?: unknown } | null };
    const delivered = typeof deliveredAt === 'string' ? Date.parse(deliveredAt) : Number.NaN;
    const own = typeof event === 'object' && event !== null && typeof event.time === 'string' ? Date.parse(event.time) : Number.NaN;
    if (delivered < own) {
      const placed = timelineItemsFor(event, 0, line);
      if ('reason' in placed) return placed;
      return { items: placed.items.map((item) => ({ ...item, at: delivered })) };
    }
  }
  return timelineItemsFor(raw, 0, line);
}

async function* parsedLines(source: EventSource, stats: TimelineStats): AsyncGenerator<Parsed> {
  for await (const { file, line, text } of linesOf(source)) {
    stats.lines += 1;
    const placed = itemsOfLine(text, line);
    if ('reason' in placed) yield { kind: 'rejected', file, line, reason: placed.reason };
    else for (const item of placed.items) yield { kind: 'item', item, file };
  }
}

/** The k-way merge: always the source whose next item is earliest; rejected lines pass at once. */
async function* merged(sources: readonly EventSource[], stats: TimelineStats): AsyncGenerator<Parsed> {
  type Head = { at: number; index: number; entry: Parsed & { kind: 'item' }; rest: AsyncGenerator<Parsed> };
  const heads = new MinHeap<Head>((a, b) => a.at < b.at || (a.at === b.at && a.index < b.index));
  async function* advance(index: number, rest: AsyncGenerator<Parsed>): AsyncGenerator<Parsed> {
    for (;;) {
      const next = await rest.next();
      if (next.done) return;
      if (next.value.kind === 'rejected') {
        yield next.value;
        continue;
      }
      heads.push({ at: next.value.item.at, index, entry: next.value, rest });
      return;
    }
  }
  for (let index = 0; index < sources.length; index++) yield* advance(index, parsedLines(sources[index]!, stats));
  while (heads.size > 0) {
    const head = heads.pop()!;
    yield head.entry;
    yield* advance(head.index, head.rest);
  }
}

/** Every source's items in time order (within the window), and the lines that could not be used. */
export async function* orderedTimeline(sources: readonly EventSource[], window: ReorderWindow = DEFAULT_WINDOW, stats: TimelineStats = { lines: 0, late: 0, heldAtMost: 0 }): AsyncGenerator<ReplayInput> {
  type Held = { item: TimelineItem; file: string };
  const held = new MinHeap<Held>((a, b) => a.item.at < b.item.at || (a.item.at === b.item.at && a.item.order < b.item.order));
  let order = 0;
  let newest = Number.NEGATIVE_INFINITY;
  let applied = Number.NEGATIVE_INFINITY;
  const release = (): Held => {
    const next = held.pop()!;
    applied = next.item.at;
    return next;
  };
  for await (const entry of merged(sources, stats)) {
    if (entry.kind === 'rejected') {
      yield entry;
      continue;
    }
    let item: TimelineItem = { ...entry.item, order: order++ };
    if (item.at < applied) {
      stats.late += 1;
      item = { ...item, at: applied };
    }
    newest = Math.max(newest, item.at);
    held.push({ item, file: entry.file });
    while (held.size > window.maxEvents || (held.size > window.minEvents && held.peek()!.item.at <= newest - window.windowMs)) {
      const next = release();
      yield { kind: 'item', item: next.item, file: next.file };
    }
    stats.heldAtMost = Math.max(stats.heldAtMost, held.size);
  }
  while (held.size > 0) {
    const next = release();
    yield { kind: 'item', item: next.item, file: next.file };
  }
}
