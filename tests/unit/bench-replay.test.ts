/** The replay benchmark's workload: exactly N events, valid, in arrival order at most two minutes out of time order. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReplayWorkload } from '../../bench/replay';
import { orderedTimeline, type TimelineStats } from '../../lib/replay/ordered-timeline';
import { fileSource } from '../../lib/replay/sources';

describe('writeReplayWorkload', () => {
  it('writes exactly the events asked for, every line an event, slightly out of time order, none late for the replay window', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'waymark-bench-')), 'events.jsonl');
    const { events, customers } = writeReplayWorkload(file, 2000);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { time: string; 'detail-type': string });
    expect(events).toBe(2000);
    expect(lines).toHaveLength(2000);
    expect(customers).toBeGreaterThan(250);
    let newest = 0;
    let outOfOrder = 0;
    for (const line of lines) {
      const at = Date.parse(line.time);
      if (at < newest) outOfOrder += 1;
      expect(newest - at).toBeLessThanOrEqual(120_000);
      newest = Math.max(newest, at);
    }
    expect(outOfOrder).toBeGreaterThan(0);
    const stats: TimelineStats = { lines: 0, late: 0, heldAtMost: 0 };
    let rejected = 0;
    for await (const input of orderedTimeline([fileSource(file)], { windowMs: 15 * 60_000, minEvents: 0, maxEvents: 100_000 }, stats)) if (input.kind === 'rejected') rejected += 1;
    expect([rejected, stats.late]).toEqual([0, 0]);
  });
});
