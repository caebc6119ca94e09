/**
 * Experiments, revenue and daily series from counter rows, as the engine
 * writes them: `assigned:<path>` at a split or holdout step, then
 * `converted.path:<path>` and `revenue.path:<path>` when a customer of that
 * group converts; `converted` and `revenue` at the credited email step.
 * Given hand-built rows, expect the figures the report and the map draw.
 */
import { describe, expect, it } from 'vitest';
import type { Workflow } from '../../lib/engine/schema';
import { experimentJson, experimentsFrom } from '../../lib/report/experiments';
import { describeChannel, formatMoney, formatStay } from '../../lib/report/format';
import { newcombeDifference, wilsonInterval } from '../../lib/report/stats';
import { dailySeries, revenueFrom, seriesTotals } from '../../lib/report/trends';
import type { CounterRow } from '../../lib/runtime/store';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';

const coldTraffic = loadValidWorkflows(['workflows']).workflows.find((w) => w.id === 'cold-traffic-nurture')! as Workflow;
const row = (day: string, stepId: string, name: string, value: number): CounterRow => ({ workflowId: coldTraffic.id, day, stepId, name, value });

describe('experimentsFrom', () => {
  it('gives each split path its rate and Wilson interval, and the difference with Newcombe’s interval', () => {
    // Prepare: Newcombe (1998b) example (a) as a split: 56/70 on "offer" vs 48/80 on "demo"
    const rows = [
      row('2026-11-02', 'demo-or-offer', 'assigned:demo', 50),
      row('2026-11-03', 'demo-or-offer', 'assigned:demo', 30),
      row('2026-11-02', 'demo-or-offer', 'assigned:offer', 70),
      row('2026-11-05', 'demo-or-offer', 'converted.path:demo', 48),
      row('2026-11-05', 'demo-or-offer', 'converted.path:offer', 56),
      row('2026-11-05', 'demo-or-offer', 'revenue.path:offer', 2800),
    ];

    // Act
    const split = experimentsFrom(coldTraffic, rows).find((e) => e.kind === 'split')!;

    // Assess
    expect(split.stepId).toBe('demo-or-offer');
    expect(split.label).toBe('A/B: demo or offer');
    expect(split.paths.map((p) => [p.next, p.entered, p.converted, p.plannedShare, p.revenue])).toEqual([
      ['demo', 80, 48, 0.5, 0],
      ['offer', 70, 56, 0.5, 2800],
    ]);
    expect(split.paths[0]!.ci95).toEqual(wilsonInterval(48, 80));
    const difference = split.differences![0]!;
    expect(difference.value).toBeCloseTo(0.2, 12);
    expect(difference.ci95![0]).toBeCloseTo(0.0524, 4);
    expect(difference.ci95![1]).toBeCloseTo(0.3339, 4);
    expect(difference.verdict.kind).toBe('better');
    expect(split.truncated).toBe(false);
  });

  it('gives a holdout’s lift: the journey’s rate minus the holdout’s, with its interval', () => {
    const rows = [
      row('2026-11-02', 'holdout', 'assigned:journey', 101),
      row('2026-11-02', 'holdout', 'assigned:holdout', 105),
      row('2026-11-09', 'holdout', 'converted.path:journey', 84),
      row('2026-11-09', 'holdout', 'converted.path:holdout', 89),
    ];
    const holdout = experimentsFrom(coldTraffic, rows).find((e) => e.kind === 'holdout')!;
    expect(holdout.paths.map((p) => [p.next, p.entered, p.converted, p.plannedShare])).toEqual([
      ['journey', 101, 84, 0.95],
      ['holdout', 105, 89, 0.05],
    ]);
    // WUSS 2016 paper 127's HIV trial: 84/101 − 89/105 → −0.1177 to 0.0851
    expect(holdout.lift!.value).toBeCloseTo(84 / 101 - 89 / 105, 12);
    expect(holdout.lift!.ci95).toEqual(newcombeDifference(84, 101, 89, 105)!.ci95);
    expect(holdout.lift!.ci95[0]).toBeCloseTo(-0.1177, 4);
    expect(holdout.liftVerdict!.kind).toBe('unclear');
  });

  it('has paths without rates before anyone is assigned, and no lift', () => {
    const [holdout, split] = experimentsFrom(coldTraffic, []);
    expect(holdout!.kind).toBe('holdout');
    expect(holdout!.lift).toBeUndefined();
    expect(holdout!.liftVerdict!.kind).toBe('no-data');
    expect(split!.paths.every((p) => p.rate === null && p.ci95 === null)).toBe(true);
  });

  it('flags a period that starts after the assignments (more conversions than customers) and caps the count', () => {
    const rows = [row('2026-11-09', 'demo-or-offer', 'assigned:demo', 3), row('2026-11-09', 'demo-or-offer', 'converted.path:demo', 5)];
    const split = experimentsFrom(coldTraffic, rows).find((e) => e.kind === 'split')!;
    expect(split.truncated).toBe(true);
    expect(split.paths[0]!.converted).toBe(3);
  });

  it('keeps a path an older version had, after the current ones', () => {
    const rows = [row('2026-11-02', 'demo-or-offer', 'assigned:survey', 4)];
    const split = experimentsFrom(coldTraffic, rows).find((e) => e.kind === 'split')!;
    expect(split.paths.map((p) => p.next)).toEqual(['demo', 'offer', 'survey']);
    expect(split.paths[2]!.plannedShare).toBe(0);
  });

  it('prints the shape of `waymark report --json`', () => {
    const rows = [row('2026-11-02', 'holdout', 'assigned:journey', 263), row('2026-11-02', 'holdout', 'converted.path:journey', 81), row('2026-11-02', 'holdout', 'assigned:holdout', 20)];
    const json = experimentJson(experimentsFrom(coldTraffic, rows)[0]!);
    expect(json).toMatchObject({ workflowId: 'cold-traffic-nurture', stepId: 'holdout', kind: 'holdout' });
    const paths = json.paths as Array<{ next: string; rate: number; ci95: [number, number] }>;
    // Newcombe (1998a) Table I: 81/263 → 0.2553 to 0.3662; 0/20 → 0 to 0.1611
    expect(paths[0]!.ci95[0]).toBeCloseTo(0.2553, 4);
    expect(paths[0]!.ci95[1]).toBeCloseTo(0.3662, 4);
    expect(paths[1]!.ci95).toEqual([0, expect.closeTo(0.1611, 4)]);
    expect(json.lift).toMatchObject({ value: expect.closeTo(81 / 263, 6) });
  });
});

describe('dailySeries', () => {
  it('gives one point per day, zeros on quiet days, from the totals (not the path counters)', () => {
    const rows = [
      row('2026-11-02', '_', 'entered:webinar', 3),
      row('2026-11-02', '_', 'entered:ads', 2),
      row('2026-11-02', 'welcome', 'email.sent', 4),
      row('2026-11-04', 'welcome', 'email.opened', 2),
      row('2026-11-04', 'welcome', 'email.clicked', 1),
      row('2026-11-04', 'offer', 'converted', 1),
      row('2026-11-04', 'offer', 'revenue', 49.5),
      row('2026-11-04', 'holdout', 'converted.path:journey', 1),
      row('2026-11-04', 'holdout', 'revenue.path:journey', 49.5),
      row('all', 'clicked-1?', 'waiting', 7),
    ];
    const series = dailySeries(rows);
    expect(series).toEqual([
      { day: '2026-11-02', entered: 5, sent: 4, opened: 0, clicked: 0, converted: 0, revenue: 0 },
      { day: '2026-11-03', entered: 0, sent: 0, opened: 0, clicked: 0, converted: 0, revenue: 0 },
      { day: '2026-11-04', entered: 0, sent: 0, opened: 2, clicked: 1, converted: 1, revenue: 49.5 },
    ]);
    expect(seriesTotals(series)).toEqual({ entered: 5, sent: 4, opened: 2, clicked: 1, converted: 1, revenue: 49.5 });
  });

  it('covers the period asked for', () => {
    const series = dailySeries([row('2026-11-02', '_', 'entered:web', 1)], { from: '2026-11-01', to: '2026-11-03' });
    expect(series.map((p) => [p.day, p.entered])).toEqual([['2026-11-01', 0], ['2026-11-02', 1], ['2026-11-03', 0]]);
    expect(dailySeries([])).toEqual([]);
  });
});

describe('revenueFrom', () => {
  it('sums revenue by credited email step (unattributed last) and by experiment path', () => {
    const rows = [
      row('2026-11-04', 'offer', 'converted', 2),
      row('2026-11-04', 'offer', 'revenue', 98),
      row('2026-11-05', 'demo', 'converted', 1),
      row('2026-11-05', 'demo', 'revenue', 120),
      row('2026-11-05', '_', 'converted', 1),
      row('2026-11-05', '_', 'revenue', 500),
      row('2026-11-05', 'demo-or-offer', 'converted.path:offer', 2),
      row('2026-11-05', 'demo-or-offer', 'revenue.path:offer', 98),
    ];
    const revenue = revenueFrom(coldTraffic.id, rows);
    expect(revenue.total).toBe(718);
    expect(revenue.converted).toBe(4);
    expect(revenue.perConversion).toBe(179.5);
    expect(revenue.steps.map((s) => s.stepId)).toEqual(['demo', 'offer', '_']);
    expect(revenue.variants).toEqual([{ stepId: 'demo-or-offer', next: 'offer', converted: 2, revenue: 98 }]);
  });
});

describe('format', () => {
  it('shows a source-like channel by its last part, and a stay under a second as "at once"', () => {
    expect(describeChannel('com.waymark.simulation')).toEqual({ name: 'simulation', source: 'com.waymark.simulation' });
    expect(describeChannel('webinar')).toEqual({ name: 'webinar', source: null });
    expect(describeChannel('')).toEqual({ name: 'unknown', source: null });
    expect(formatStay(0)).toBe('at once');
    expect(formatStay(90_000)).toBe('2 min');
    expect(formatStay(null)).toBe('–');
    expect(formatMoney(1234.5)).toBe('1,234.50');
    expect(formatMoney(1_234_567, true)).toBe('1.2M');
  });
});

describe('the report with experiments, revenue and trends', () => {
  it('draws each experiment with its intervals and verdicts, revenue by credited email, and a chart per metric', async () => {
    // Prepare: a holdout and a split with conversions and revenue over three days
    const rows = [
      row('2026-11-02', '_', 'entered:webinar', 200),
      row('2026-11-02', 'holdout', 'assigned:journey', 190),
      row('2026-11-02', 'holdout', 'assigned:holdout', 10),
      row('2026-11-02', 'holdout', 'holdout', 10),
      row('2026-11-03', 'demo-or-offer', 'assigned:demo', 80),
      row('2026-11-03', 'demo-or-offer', 'assigned:offer', 70),
      row('2026-11-04', 'demo-or-offer', 'converted.path:demo', 48),
      row('2026-11-04', 'demo-or-offer', 'converted.path:offer', 56),
      row('2026-11-04', 'holdout', 'converted.path:journey', 104),
      row('2026-11-04', 'offer', 'converted', 56),
      row('2026-11-04', 'offer', 'revenue', 2744),
      row('2026-11-04', 'demo', 'converted', 48),
    ];
    const { buildWorkflowReport } = await import('../../lib/report/build');
    const { renderReportHtml } = await import('../../lib/report/html');
    const { reportJson } = await import('../../lib/report/json');

    // Act
    const workflowReport = await buildWorkflowReport(coldTraffic, rows);
    const report = { source: { kind: 'table' as const, table: 't', region: 'eu-west-1' }, period: { from: null, to: null }, generatedAt: Date.parse('2026-11-10T00:00:00Z'), workflows: [workflowReport] };
    const html = renderReportHtml(report);
    const json = reportJson(report) as { experiments: Array<{ kind: string; lift?: unknown }>; revenue: Array<{ total: number }>; workflows: Array<{ daily: unknown[] }> };

    // Assess
    expect(html).toContain('data-panel="experiments"');
    expect(html).toContain('path &quot;offer&quot; converts better than path &quot;demo&quot;: +20.0 points (95% CI +5.2 to +33.4)');
    expect(html).toContain('Held out (control)');
    expect(html).toContain('data-panel="revenue"');
    expect(html).toContain('data-panel="trends"');
    expect(html.match(/class="trend"/g)).toHaveLength(6);
    expect(json.experiments.map((e) => e.kind)).toEqual(['holdout', 'split']);
    expect(json.experiments[0]!.lift).toBeDefined();
    expect(json.revenue[0]!.total).toBe(2744);
    expect(json.workflows[0]!.daily).toHaveLength(3);
  });
});
