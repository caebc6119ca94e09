/**
 * The counters a journey write carries to the stream (`mx`): a compact string, read back exactly,
 * and the long form of items written before still read.
 */
import { describe, expect, it } from 'vitest';
import { decodeCounters, encodeCounters } from '../../lib/runtime/dynamo-store';
import type { CounterRow } from '../../lib/runtime/store';

const row = (day: string, stepId: string, name: string, value = 1): CounterRow => ({ workflowId: 'nurture', day, stepId, name, value });

describe('encodeCounters', () => {
  it('writes the day once, a step once while its rows follow, and no value of 1', () => {
    // Prepare
    const rows = [row('2026-11-03', 'welcome', 'entered'), row('2026-11-03', 'welcome', 'email.sent'), row('2026-11-03', 'wait-1', 'waiting', 2), row('2026-11-03', 'welcome', 'waiting', -1)];

    // Act
    const text = encodeCounters(rows);

    // Assess
    expect(text).toBe('2026-11-03\nwelcome\tI\n\tS\nwait-1\tW\t2\nwelcome\tW\t-1');
    // 11 + 10 + 3 + 11 + 12 = 47 bytes, where a line per row (day, step, name, value) took 28 + 31 + 27 + 29 and three line ends, 118.
    expect(text.length).toBe(47);
    expect(rows.map((r) => `${r.day}\t${r.stepId}\t${r.name}\t${r.value}`).join('\n').length).toBe(118);
  });

  it('starts a new day where the rows change day, and leaves out zeros', () => {
    const text = encodeCounters([row('2026-11-03', '_', 'stage.time', 0), row('2026-11-03', 'a', 'entered'), row('2026-11-04', 'a', 'entered'), row('all', 'a', 'waiting')]);
    expect(text).toBe('2026-11-03\na\tI\n2026-11-04\na\tI\nall\na\tW');
  });

  it('writes common names as one capital letter, keeping their labels, and stage rows as ~stage', () => {
    const text = encodeCounters([row('2026-12-10', 'demo-or-offer', 'assigned:demo'), row('2026-12-10', 'stage:decision', 'stage.entered'), row('2026-12-10', 'stage:decision', 'stage.time', 773092175), row('2026-12-10', 'demo', 'email.dropped:paused')]);
    expect(text).toBe('2026-12-10\ndemo-or-offer\tA:demo\n~decision\tN\n\tT\t773092175\ndemo\temail.dropped:paused');
  });
});

describe('decodeCounters', () => {
  it('reads back what was written, row for row', () => {
    const rows = [row('2026-11-03', 'welcome', 'entered'), row('2026-11-03', 'welcome', 'email.sent'), row('2026-11-03', '', 'odd'), row('2026-11-03', 'welcome', 'waiting', 3), row('2026-11-04', 'x', 'stage.entered:Lead', 1)];
    expect(decodeCounters('nurture', encodeCounters(rows))).toEqual(rows);
  });

  it('reads back every name the engine counts, coded or not', () => {
    const names = ['entered', 'step.entered', 'email.sent', 'email.deferred', 'email.skipped:window', 'email.opened', 'email.clicked', 'converted', 'converted.time', 'converted.path:offer', 'revenue', 'revenue.path:offer', 'assigned:holdout', 'stage.entered', 'stage.left', 'stage.time', 'waiting', 'version:v2', 'migrated:v1', 'warning:bad-timezone', 'journey.parked:v3', 'email.held:in-flight', 'wait.skipped:past', 'entry.refused:too-old'];
    const rows = names.map((name, i) => row('2026-11-03', i % 3 === 0 ? 'stage:purchase' : `step-${i}`, name, i + 1));
    expect(decodeCounters('nurture', encodeCounters(rows))).toEqual(rows);
  });

  it('reads the names written out, as items written before this encoding carry them', () => {
    expect(decodeCounters('nurture', '2026-11-03\nwelcome\tentered\n\temail.sent\nstage:decision\tstage.entered')).toEqual([row('2026-11-03', 'welcome', 'entered'), row('2026-11-03', 'welcome', 'email.sent'), row('2026-11-03', 'stage:decision', 'stage.entered')]);
  });

  it('reads the long form of items written before (day, step, name, value on each line)', () => {
    expect(decodeCounters('nurture', '2026-11-03\twelcome\tentered\t1\n2026-11-03\twait-1\twaiting\t-1')).toEqual([row('2026-11-03', 'welcome', 'entered'), row('2026-11-03', 'wait-1', 'waiting', -1)]);
  });

  it('reads nothing from nothing', () => {
    expect(decodeCounters('nurture', undefined)).toEqual([]);
    expect(decodeCounters('nurture', '')).toEqual([]);
  });
});
