/**
 * The replay's input, streamed: files (gzip'd or not) and archive
 * directories read line by line, several sources merged by time, and a
 * reorder window that puts slightly out-of-order events back in order and
 * applies later ones late, as production does.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { archiveLine } from '../../lib/replay/archive-format';
import { orderedTimeline, type ReplayInput, type ReorderWindow, type TimelineStats } from '../../lib/replay/ordered-timeline';
import { type EventSource, fileSource, pathSource, ReplaySourceError } from '../../lib/replay/sources';

const MINUTE = 60_000;
const T0 = Date.parse('2026-11-02T10:00:00Z');
const iso = (at: number) => new Date(at).toISOString();
const event = (name: string, at: number) => ({ id: name, source: 'com.ledgerly.web', 'detail-type': 'page.viewed', time: iso(at), detail: { customerId: name } });

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'waymark-timeline-'));
}
function file(lines: unknown[], name = 'events.jsonl', where = dir()): string {
  const path = join(where, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n'));
  return path;
}

async function collect(sources: EventSource[], window?: ReorderWindow) {
  const stats: TimelineStats = { lines: 0, late: 0, heldAtMost: 0 };
  const out: ReplayInput[] = [];
  for await (const input of orderedTimeline(sources, window, stats)) out.push(input);
  const items = out.flatMap((i) => (i.kind === 'item' ? [i] : []));
  return {
    stats,
    /** Each item as "<customer>@<minutes applied>" ("(own time)" when applied late). */
    order: items.map(({ item }) => {
      const at = (item.at - T0) / MINUTE;
      if (item.kind === 'suppress') return `suppress ${item.entry.address}@${at}`;
      const e = item.event as { time: string; detail: { customerId: string } };
      const own = (Date.parse(e.time) - T0) / MINUTE;
      return `${e.detail.customerId}@${at}${own !== at ? ` (${own})` : ''}`;
    }),
    files: items.map((i) => i.file),
    rejected: out.flatMap((i) => (i.kind === 'rejected' ? [[`${i.file.split('/').pop()}:${i.line}`, i.reason]] : [])),
  };
}

const tight: ReorderWindow = { windowMs: 15 * MINUTE, minEvents: 0, maxEvents: 1000 };

describe('the reorder window', () => {
  it('puts events up to 15 minutes out of order back in order; one later than that is applied late, at the clock, keeping its own time', async () => {
    const at = (m: number) => event(`m${m}`, T0 + m * MINUTE);
    const { order, stats } = await collect([fileSource(file([at(0), at(10), at(5), at(40), at(20), at(60), at(30)]))], tight);
    expect(order).toEqual(['m0@0', 'm5@5', 'm10@10', 'm20@20', 'm40@40', 'm30@40 (30)', 'm60@60']);
    expect(stats.late).toBe(1);
    expect(stats.lines).toBe(7);
  });

  it('holds at most maxEvents: the earliest goes first when it is full', async () => {
    const times = [50, 40, 30, 20, 10, 0];
    const { order, stats } = await collect([fileSource(file(times.map((m) => event(`m${m}`, T0 + m * MINUTE))))], { windowMs: 10 * 24 * 60 * MINUTE, minEvents: 0, maxEvents: 2 });
    expect(stats.heldAtMost).toBe(2);
    // 50, 40, 30 come in; the earliest (30) must go; then 20 is late, and so on.
    expect(order).toEqual(['m30@30', 'm20@30 (20)', 'm10@30 (10)', 'm0@30 (0)', 'm40@40', 'm50@50']);
  });

  it('sorts a small file exactly, as `waymark run` does, however far out of order its lines are (the default holds 10,000 events)', async () => {
    const path = 'workflows/examples/cold-traffic.jsonl';
    const { order, stats, rejected } = await collect([fileSource(path)]);
    const expected = timelineFromJsonLines(readFileSync(path, 'utf8')).items.map((item) =>
      item.kind === 'suppress' ? `suppress ${item.entry.address}@${(item.at - T0) / MINUTE}` : `${(item.event as { detail: { customerId: string } }).detail.customerId}@${(item.at - T0) / MINUTE}`,
    );
    expect(expected).toContain('suppress dev.patel@example.com@420');
    expect(order).toEqual(expected);
    expect(stats.late).toBe(0);
    expect(rejected).toEqual([
      ['cold-traffic.jsonl:13', expect.stringContaining('detail.customerId: required')],
      ['cold-traffic.jsonl:14', expect.stringContaining('time: expected an ISO 8601 time')],
    ]);
  });
});

describe('merging sources', () => {
  it('merges files by time, k ways, each item keeping the file it came from; on a tie the first source goes first', async () => {
    const a = file([event('a1', T0), event('a2', T0 + 20 * MINUTE), event('a3', T0 + 40 * MINUTE)], 'a.jsonl');
    const b = file([event('b1', T0 + 10 * MINUTE), event('b2', T0 + 20 * MINUTE), event('b3', T0 + 90 * MINUTE)], 'b.jsonl');
    const c = file([event('c1', T0 + 5 * MINUTE)], 'c.jsonl');
    const { order, files } = await collect([fileSource(a), fileSource(b), fileSource(c)], tight);
    expect(order).toEqual(['a1@0', 'c1@5', 'b1@10', 'a2@20', 'b2@20', 'a3@40', 'b3@90']);
    expect(files.map((f) => f.split('/').pop())).toEqual(['a.jsonl', 'c.jsonl', 'b.jsonl', 'a.jsonl', 'b.jsonl', 'a.jsonl', 'b.jsonl']);
  });

  it('reads gzip, by extension or by its magic bytes, and plain text alike', async () => {
    const where = dir();
    writeFileSync(join(where, 'one.jsonl.gz'), gzipSync(`${JSON.stringify(event('gz', T0))}\n`));
    writeFileSync(join(where, 'two.bin'), gzipSync(`${JSON.stringify(event('magic', T0 + MINUTE))}\r\n\r\n${JSON.stringify(event('magic2', T0 + 2 * MINUTE))}`));
    const plain = file([event('plain', T0 + 3 * MINUTE)]);
    const { order } = await collect([fileSource(join(where, 'one.jsonl.gz')), fileSource(join(where, 'two.bin')), fileSource(plain)]);
    expect(order).toEqual(['gz@0', 'magic@1', 'magic2@2', 'plain@3']);
  });

  it('reports a line that is not an event with its file and line (blank lines counted), and goes on', async () => {
    const path = file([event('ok', T0), '', '{"not json', { id: 'x', source: 's', 'detail-type': 't', time: iso(T0), detail: {} }, event('ok2', T0 + MINUTE)], 'mixed.jsonl');
    const { order, rejected, stats } = await collect([fileSource(path)]);
    expect(order).toEqual(['ok@0', 'ok2@1']);
    expect(rejected).toEqual([
      ['mixed.jsonl:3', expect.stringMatching(/^invalid JSON: /)],
      ['mixed.jsonl:4', expect.stringContaining('detail.customerId: required')],
    ]);
    expect(stats.lines).toBe(4);
  });

  it('fails clearly on a file that is not there, and on a gzip file cut short', async () => {
    await expect(collect([fileSource('no-such.jsonl')])).rejects.toThrow(new ReplaySourceError('cannot read no-such.jsonl: no such file'));
    const where = dir();
    writeFileSync(join(where, 'cut.jsonl.gz'), gzipSync(`${JSON.stringify(event('x', T0))}\n`.repeat(200)).subarray(0, 60));
    await expect(collect([fileSource(join(where, 'cut.jsonl.gz'))])).rejects.toThrow(/cut\.jsonl\.gz is not valid gzip|cannot read .*cut\.jsonl\.gz/);
  });
});

describe('archive lines', () => {
  it('are applied when the bus received them, the event keeping its own time; a producer clock ahead of the bus does not reject them', async () => {
    const backfill = event('backfill', T0 - 3 * 24 * 60 * MINUTE);
    const ahead = event('ahead', T0 + 12 * MINUTE);
    const path = file([archiveLine(event('live', T0), T0 + 1000), archiveLine(backfill, T0 + 5 * MINUTE), archiveLine(ahead, T0 + 10 * MINUTE)].map((l) => JSON.parse(l)));
    const { order, rejected, stats } = await collect([fileSource(path)]);
    expect(rejected).toEqual([]);
    expect(stats.late).toBe(0);
    expect(order).toEqual(['live@0.016666666666666666 (0)', 'backfill@5 (-4320)', 'ahead@10 (12)']);
  });

  it('a directory is read day file by day file, in name order; --since leaves out earlier days, other files are not events', async () => {
    const where = dir();
    file([archiveLine(event('d3', T0 + 2 * 1440 * MINUTE), T0 + 2 * 1440 * MINUTE)], '2026-11-04.jsonl', where);
    file([archiveLine(event('d1', T0), T0)], '2026-11-02.jsonl', where);
    writeFileSync(join(where, '2026-11-03.jsonl.gz'), gzipSync(archiveLine(event('d2', T0 + 1440 * MINUTE), T0 + 1440 * MINUTE)));
    file(['not an event file'], 'notes.txt', where);
    mkdirSync(join(where, 'sub.jsonl'));
    expect((await collect([pathSource(where)])).order.map((o) => o.split('@')[0])).toEqual(['d1', 'd2', 'd3']);
    expect((await collect([pathSource(where, { since: Date.parse('2026-11-03T18:00:00Z') })])).order.map((o) => o.split('@')[0])).toEqual(['d2', 'd3']);
    expect(() => pathSource(dir())).toThrow(/no event files/);
    expect(() => pathSource(join(where, 'missing'))).toThrow(/no such file or directory/);
  });
});
