/**
 * `waymark dev`'s event archive: every customer event the local bus accepts,
 * used by a workflow or not, appended (buffered) to <data>/events/YYYY-MM-DD.jsonl
 * by the day the bus received it, in the AWS archive's format, and readable
 * by `waymark replay --from`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalBus, rulesFor } from '../../lib/dev/bus';
import { DevEventArchive } from '../../lib/dev/event-archive';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { orderedTimeline } from '../../lib/replay/ordered-timeline';
import { pathSource } from '../../lib/replay/sources';

const loaded = loadValidWorkflows(['workflows']);
const rules = rulesFor(loaded.workflows, [...loaded.catalogue.items], loaded.settings.profileAttributes ?? []);
const entry = (detailType: string, detail: Record<string, unknown>, source = 'com.ledgerly.web') => ({ Source: source, DetailType: detailType, Detail: JSON.stringify(detail) });

describe('DevEventArchive on the local bus', () => {
  it('keeps every customer event the bus accepts, routed or not, by the day it arrived; not events without a customer, nor what the bus refused', async () => {
    const directory = join(mkdtempSync(join(tmpdir(), 'waymark-dev-')), 'events');
    let now = Date.parse('2026-11-02T23:59:00Z');
    const delivered: string[] = [];
    const bus = new LocalBus(rules, (json) => delivered.push(json), () => now);
    const archive = (bus.archive = new DevEventArchive(directory, { flushEveryMs: 60_000 }));

    bus.putEvents([
      entry('lead.captured', { customerId: 'c-ana', profile: { email: 'ana@example.com' } }),
      entry('page.viewed', { customerId: 'c-ana', url: '/pricing' }),
      entry('page.viewed', { url: '/anonymous' }),
      entry('Email Clicked', { customerId: 'c-ana' }, 'aws.ses'),
      { Source: 'com.ledgerly.web', DetailType: 'lead.captured', Detail: 'not json' },
    ]);
    now += 2 * 60_000;
    // Sent with its own (older) time: archived on the day it arrived, with that arrival as deliveredAt.
    bus.putEvents([{ ...entry('order.placed', { customerId: 'c-ana', amount: 29 }), Time: '2026-11-01T12:00:00Z' }]);

    // Buffered: nothing on disk before a flush.
    expect(existsSync(directory)).toBe(false);
    archive.close();
    bus.putEvents([entry('lead.captured', { customerId: 'c-late' })]);
    archive.flush();

    expect(readdirSync(directory).sort()).toEqual(['2026-11-02.jsonl', '2026-11-03.jsonl']);
    const day1 = readFileSync(join(directory, '2026-11-02.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const day2 = readFileSync(join(directory, '2026-11-03.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(day1.map((l) => [l.deliveredAt, l.event['detail-type'], l.event.detail.url ?? null])).toEqual([
      ['2026-11-02T23:59:00.000Z', 'lead.captured', null],
      ['2026-11-02T23:59:00.000Z', 'page.viewed', '/pricing'],
    ]);
    expect(day2.map((l) => [l.deliveredAt, l.event.time, l.event['detail-type']])).toEqual([['2026-11-03T00:01:00.000Z', '2026-11-01T12:00:00Z', 'order.placed']]);
    // The archived event is the very event the rules got (same id).
    expect(delivered.map((json) => JSON.parse(json).id)).toContain(day1[0].event.id);

    // `waymark replay --from <data>/events` reads it: each event applied when it arrived.
    const applied: string[] = [];
    for await (const input of orderedTimeline([pathSource(directory)])) {
      if (input.kind === 'item' && input.item.kind === 'event') applied.push(`${(input.item.event as { 'detail-type': string })['detail-type']} ${new Date(input.item.at).toISOString()}`);
    }
    expect(applied).toEqual(['lead.captured 2026-11-02T23:59:00.000Z', 'page.viewed 2026-11-02T23:59:00.000Z', 'order.placed 2026-11-03T00:01:00.000Z']);
  });

  it('writes as soon as enough is buffered; a write that fails is reported and kept for the next try', () => {
    const parent = mkdtempSync(join(tmpdir(), 'waymark-dev-'));
    const blocked = join(parent, 'events');
    writeFileSync(blocked, 'a file where the directory should be');
    const errors: string[] = [];
    const archive = new DevEventArchive(blocked, { flushEveryMs: 60_000, flushBytes: 1, onError: (e) => errors.push(e.message) });
    const event = { id: '1', source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time: '2026-11-02T10:00:00Z', detail: { customerId: 'c-1' } };
    archive.append(event, Date.parse('2026-11-02T10:00:00Z'));
    expect(errors).toHaveLength(1);

    const ok = join(parent, 'ok');
    const direct = new DevEventArchive(ok, { flushEveryMs: 60_000, flushBytes: 1 });
    direct.append(event, Date.parse('2026-11-02T10:00:00Z'));
    expect(readFileSync(join(ok, '2026-11-02.jsonl'), 'utf8')).toBe(`{"deliveredAt":"2026-11-02T10:00:00.000Z","event":${JSON.stringify(event)}}\n`);
    direct.close();
    archive.close();
    expect(errors).toHaveLength(2);
  });
});
