/**
 * `waymark report`: the HTML report drawn from counter rows (here, the rows of
 * the example events run in memory), and the command on a simulation file.
 * Given the cold-traffic example, expect its funnel, its email numbers, its
 * time to convert and its journey map, all in one file that needs no network.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePeriod, sourceOf } from '../../lib/cli/report-command';
import { journeyGraph } from '../../lib/engine/graph';
import type { Workflow } from '../../lib/engine/schema';
import { buildWorkflowReport, type Report } from '../../lib/report/build';
import { escapeHtml, formatDuration, formatRatio } from '../../lib/report/format';
import { renderReportHtml } from '../../lib/report/html';
import { metricsFrom, type WorkflowMetrics } from '../../lib/runtime/journey-metrics';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import type { CounterRow } from '../../lib/runtime/store';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import type { SimulationOutput } from '../../lib/sim/types';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);
const coldTraffic = loaded.workflows.find((w) => w.id === 'cold-traffic-nurture')!;
const GENERATED_AT = Date.parse('2026-12-10T08:00:00Z');

/** Counter rows of one workflow after the example events ran in memory. */
async function exampleCounters(file: string, workflowId: string): Promise<CounterRow[]> {
  const result = await runTimeline(registry, timelineFromJsonLines(readFileSync(`workflows/examples/${file}`, 'utf8')));
  return result.runner.store.readCounters(workflowId);
}

/** A `waymark simulate --json`-shaped document around counter rows. */
function simulationOf(workflow: Workflow, counters: CounterRow[]): SimulationOutput {
  return {
    workflow: { id: workflow.id, version: workflow.version, name: workflow.name },
    parameters: {
      customers: 4,
      days: 40,
      seed: 7,
      entryDays: 10,
      start: '2026-11-02T00:00:00.000Z',
      sesMaxSendRate: 14,
      engagement: { article: { open: 0.45, click: 0.12 } },
      conversionPerClick: 0.08,
      baseConversion: 0.03,
      waitedEvents: {},
      goalValue: { min: 20, max: 200 },
      audience: [{ name: 'everyone', weight: 1, share: 1, profile: {} }],
      budget: null,
    },
    forecast: {
      emails: { total: 0, perDay: [], peakDay: null, peakMinute: null, peakMinuteSendSeconds: 0 },
      steps: {},
      stages: {},
      conversion: { converted: 1, rate: 0.25, averageDaysToConvert: 7.1, revenue: 0 },
      deferrals: { window: 0, cap: 0, budget: 0 },
      skipped: { contentExhausted: 0, noAddress: 0, budget: 0 },
      statuses: {},
      paths: {},
      engagement: {},
      audience: [],
      notes: [],
    },
    counters,
    durationMs: 1,
  };
}

/** Cells of the funnel, in document order: [stage, entered]. */
function funnelRows(html: string): Array<[string, number]> {
  return [...html.matchAll(/<div class="funnel-row" data-stage="([^"]*)" data-entered="(\d+)">/g)].map((m) => [m[1]!, Number(m[2])]);
}

/** The email table's row of a step: metric name → the cell's text. */
function emailRow(html: string, stepId: string): Record<string, string> {
  const id = stepId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const row = new RegExp(`<tr data-step-id="${id}">(.*?)</tr>`).exec(html)?.[1] ?? '';
  return Object.fromEntries([...row.matchAll(/data-metric="([^"]+)">(?:<span class="rate-cell">)?([^<]*)/g)].map((m) => [m[1]!, m[2]!]));
}

/** Every reference the page would fetch: src/href/xlink:href/url()/@import/<link> that is not a same-document #fragment. */
function externalReferences(html: string): string[] {
  const references = [
    ...[...html.matchAll(/\s(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?([^"'\s>]+)/gi)].map((m) => m[1]!),
    ...[...html.matchAll(/url\(\s*["']?([^"')]+)/gi)].map((m) => m[1]!),
    ...[...html.matchAll(/@import\s+([^;]+)/gi)].map((m) => m[1]!),
    ...[...html.matchAll(/<link\b[^>]*>/gi)].map((m) => m[0]),
  ];
  return references.filter((ref) => !ref.startsWith('#'));
}

describe('the HTML report', () => {
  let rows: CounterRow[];
  let metrics: WorkflowMetrics;
  let html: string;

  beforeAll(async () => {
    rows = await exampleCounters('cold-traffic.jsonl', 'cold-traffic-nurture');
    metrics = metricsFrom(coldTraffic, rows);
    const report: Report = {
      source: { kind: 'simulation', file: 'forecast.json', workflow: { id: coldTraffic.id }, parameters: simulationOf(coldTraffic, rows).parameters },
      period: { from: null, to: null },
      generatedAt: GENERATED_AT,
      workflows: [await buildWorkflowReport(coldTraffic, rows)],
    };
    html = renderReportHtml(report);
  });

  it('shows the funnel by stage in the workflow\'s order, with who entered, the conversion to the next stage and the time spent', () => {
    expect(funnelRows(html)).toEqual([
      ['awareness', 4],
      ['consideration', 1],
      ['decision', 1],
      ['purchase', 1],
      ['retention', 0],
      ['advocacy', 0],
    ]);
    expect(funnelRows(html)).toEqual(coldTraffic.stages!.map((stage) => [stage, metrics.stages[stage]!.entered]));
    // One lead in four went on from awareness to consideration; three dropped off there.
    expect(metrics.stages.awareness!.conversionToNext).toBe(0.25);
    expect(html).toContain(`<span class="conv">${formatRatio(0.25)}</span> went on to consideration`);
    expect(html).toContain('<span class="drop">3 dropped off</span> (75.0%)');
    expect(html).toContain(`<div class="time">${formatDuration(metrics.stages.awareness!.averageTimeMs)}</div>`);
  });

  it('has a row per email step with the numbers of metricsFrom', () => {
    const emailSteps = Object.entries(coldTraffic.steps).filter(([, step]) => step.type === 'email').map(([id]) => id);
    expect(emailSteps.length).toBeGreaterThan(5);
    for (const id of emailSteps) {
      const row = emailRow(html, id);
      const m = metrics.steps[id]!;
      expect({ id, sent: row.sent, opened: row.opened, clicked: row.clicked }).toEqual({ id, sent: String(m.sent), opened: String(m.opened), clicked: String(m.clicked) });
      expect(Object.keys(row)).toEqual(['sent', 'opened', 'clicked', 'open-rate', 'click-rate', 'bounced', 'complained', 'unsubscribed', 'failed', 'deferred', 'skipped']);
    }
    // The welcome went to all four leads; Ana opened it and clicked.
    expect(emailRow(html, 'welcome')).toMatchObject({ sent: '4', opened: '1', clicked: '1', 'open-rate': '25.0%', 'click-rate': '25.0%' });
  });

  it('shows the time to convert, the conversions, the statuses and the channels', () => {
    expect(metrics.averageTimeToConvertMs).toBe(615_300_000);
    expect(html).toContain('<div class="big-number" data-metric="time-to-convert">7.1 days</div>');
    expect(html).toContain('<dd data-metric="converted">1</dd>');
    expect(html).toContain('<dd data-metric="conversion-rate">25.0%</dd>');
    for (const status of ['active', 'converted', 'completed', 'exited', 'holdout', 'suppressed']) expect(html).toContain(`data-status="${status}"`);
    for (const channel of ['webinar', 'partner', 'search', 'social']) expect(html).toContain(`data-channel="${channel}"`);
  });

  it('draws the journey as an SVG laid out by ELK, with a node per step in stage columns, and routed edges', () => {
    const svg = /<svg class="journey-graph"[^>]*>([\s\S]*?)<\/svg>/.exec(html)?.[1] ?? '';
    const nodes = [...svg.matchAll(/<g class="node node-[a-z]+" transform="translate\([\d.-]+,[\d.-]+\)" data-step-id="([^"]+)"/g)].map((m) => m[1]);
    expect(nodes.sort()).toEqual(Object.keys(coldTraffic.steps).sort());
    expect(svg).toContain('data-goal="true"');
    expect([...svg.matchAll(/<g class="band" data-stage="([^"]+)"/g)].map((m) => m[1])).toEqual(['awareness', 'consideration', 'decision', 'purchase']);
    expect((svg.match(/<g class="edge edge-/g) ?? []).length).toBe(journeyGraph(coldTraffic).edges.length);
    expect(svg).toMatch(/<path d="M[\d.]+,[\d.]+ L/);
  });

  it('sums up each step on its map card and in its tooltip, a wait until a moment with its date', async () => {
    const yearEnd = loaded.workflows.find((w) => w.id === 'year-end-promotion')!;
    const page = renderReportHtml({
      source: { kind: 'simulation', file: 'forecast.json', workflow: { id: yearEnd.id }, parameters: simulationOf(yearEnd, []).parameters },
      period: { from: null, to: null },
      generatedAt: GENERATED_AT,
      workflows: [await buildWorkflowReport(yearEnd, [])],
    });
    expect(page).toContain('<text class="node-summary" x="12" y="62" font-size="11" fill="#5b6573">wait until 31 Dec 2026 14:00 UTC</text>');
    expect(page).toContain('<title>Until the last morning (last-day): wait until 31 Dec 2026 14:00 UTC</title>');
    expect(page).not.toContain('undefined');
  });

  it('is self-contained: no scripts or styles from anywhere, nothing fetched, no web address at all for a simulation', () => {
    expect(html).not.toMatch(/<script\s+[^>]*src/i);
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;/);
  });

  it('names its source, period and generation time', () => {
    expect(html).toContain('Simulation <code>forecast.json</code><small>4 customers over 40 days from 2026-11-02</small>');
    expect(html).toContain('2026-11-02 – 2026-12-08 (37 days)');
    expect(html).toContain('2026-12-10 08:00 UTC');
  });

  it('escapes every string from the workflow: name, step ids, stage names', async () => {
    const hostileName = '<script>alert("name")</script> & <img src=x onerror=alert(1)>';
    const hostileStep = '"><svg onload=alert(2)>';
    const hostileStage = "aware</text><script>alert('stage')</script>";
    const text = JSON.stringify(coldTraffic).replaceAll('"welcome"', JSON.stringify(hostileStep)).replaceAll('"awareness"', JSON.stringify(hostileStage));
    const workflow = { ...(JSON.parse(text) as Workflow), name: hostileName, description: '<b>bold</b>' };
    const hostileRows = rows.map((r) => ({ ...r, stepId: r.stepId === 'welcome' ? hostileStep : r.stepId === 'stage:awareness' ? `stage:${hostileStage}` : r.stepId }));
    const page = renderReportHtml({
      source: { kind: 'local', endpoint: 'http://127.0.0.1:8000', table: '<table>' },
      period: { from: null, to: null },
      generatedAt: GENERATED_AT,
      workflows: [await buildWorkflowReport(workflow, hostileRows)],
    });
    expect(page).not.toContain('<script');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<svg onload');
    expect(page).not.toContain('<b>bold');
    expect(page).not.toContain('<table>');
    expect(page).toContain(escapeHtml(hostileName));
    expect(page).toContain(`<tr data-step-id="${escapeHtml(hostileStep)}">`);
    expect(page).toContain(`data-stage="${escapeHtml(hostileStage)}" data-entered="4"`);
    expect(emailRow(page, escapeHtml(hostileStep))).toMatchObject({ sent: '4', opened: '1', clicked: '1' });
  });
});

describe('report options', () => {
  it('--days counts back from the last day; --since starts a day; both at once is an error', () => {
    expect(parsePeriod({ days: '7' }, '2026-12-01')).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    expect(parsePeriod({ since: '2026-11-10' }, '2026-12-01')).toEqual({ from: '2026-11-10', to: null });
    expect(parsePeriod({}, '2026-12-01')).toEqual({ from: null, to: null });
    expect(() => parsePeriod({ days: '7', since: '2026-11-10' }, '2026-12-01')).toThrow('--days and --since cannot be used together');
    expect(() => parsePeriod({ days: 'week' }, '2026-12-01')).toThrow('--days expects a whole number');
    expect(() => parsePeriod({ since: '2026-02-30' }, '2026-12-01')).toThrow('--since expects a day as YYYY-MM-DD');
  });

  it('--endpoint alone means the local stack of `waymark dev`; --table alone a deployed table', () => {
    expect(sourceOf({ endpoint: true })).toEqual({ kind: 'local', endpoint: 'http://127.0.0.1:8000', table: 'waymark' });
    expect(sourceOf({ endpoint: 'http://localhost:9000', table: 't' })).toEqual({ kind: 'local', endpoint: 'http://localhost:9000', table: 't' });
    expect(sourceOf({ table: 'prod-journeys', region: 'eu-west-1' })).toEqual({ kind: 'table', table: 'prod-journeys', region: 'eu-west-1' });
    expect(sourceOf({ from: 'sim.json' })).toEqual({ kind: 'simulation', file: 'sim.json' });
    expect(() => sourceOf({})).toThrow('where are the counters?');
    expect(() => sourceOf({ from: 'sim.json', table: 't' })).toThrow('cannot be combined');
    expect(() => sourceOf({ endpoint: true, region: 'eu-west-1' })).toThrow('--region applies to a deployed table');
  });
});

describe('waymark report --from', () => {
  let dir: string;

  function waymark(...args: string[]): { status: number; stdout: string; stderr: string } {
    try {
      const stdout = execFileSync(process.execPath, ['bin/waymark.js', 'report', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: 0, stdout, stderr: '' };
    } catch (error) {
      const failure = error as { status: number; stdout: string; stderr: string };
      return { status: failure.status, stdout: failure.stdout, stderr: failure.stderr };
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waymark-report-'));
    // A workflows directory whose journey has a hostile name, and a simulation of it.
    mkdirSync(join(dir, 'workflows'));
    cpSync('workflows/content', join(dir, 'workflows', 'content'), { recursive: true });
    const definition = JSON.parse(readFileSync('workflows/cold-traffic-nurture.json', 'utf8')) as Record<string, unknown>;
    delete definition.$schema;
    writeFileSync(join(dir, 'workflows', 'cold-traffic-nurture.json'), JSON.stringify({ ...definition, name: 'Nurture <script>alert(1)</script>' }));
    const rows = await exampleCounters('cold-traffic.jsonl', 'cold-traffic-nurture');
    writeFileSync(join(dir, 'forecast.json'), JSON.stringify(simulationOf(coldTraffic, rows)));
    writeFileSync(join(dir, 'run.json'), JSON.stringify({ emails: [], customers: [], rejected: [] }));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the HTML file, prints the summary and the path, exits 0', () => {
    const out = join(dir, 'reports', 'nurture.html');
    const result = waymark('--from', join(dir, 'forecast.json'), '--workflows', join(dir, 'workflows'), '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(existsSync(out)).toBe(true);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Nurture &lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script');
    expect(funnelRows(html)[0]).toEqual(['awareness', 4]);
    expect(emailRow(html, 'welcome')).toMatchObject({ sent: '4', opened: '1', clicked: '1' });
    expect(result.stdout).toContain(`simulation ${join(dir, 'forecast.json')}`);
    expect(result.stdout).toMatch(/awareness\s+4\s+25\.0%/);
    expect(result.stdout).toMatch(/welcome\s+4\s+1\s+1/);
    expect(result.stdout).toContain(`Report written to ${out}`);
  });

  it('--days counts back from the end of the simulated period', () => {
    const out = join(dir, 'last-week.html');
    // The simulation starts 2026-11-02 for 40 days: the last 7 are 2026-12-05 to 2026-12-11 (only a sunset timeout on 12-08).
    const result = waymark('--from', join(dir, 'forecast.json'), '--workflows', join(dir, 'workflows'), '--days', '7', '--out', out);
    expect(result.status).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('2026-12-05 – 2026-12-11 (7 days)');
    expect(funnelRows(html)[0]).toEqual(['awareness', 0]);
  });

  it('a wrong --workflow exits 1 and names the workflows there are', () => {
    const result = waymark('--from', join(dir, 'forecast.json'), '--workflows', 'workflows', '--workflow', 'no-such-journey', '--out', join(dir, 'x.html'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown workflow "no-such-journey" (workflows in workflows: ');
    expect(result.stderr).toContain('cold-traffic-nurture');
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });

  it('refuses a file that is not simulate output, and says what is missing', () => {
    const result = waymark('--from', join(dir, 'run.json'), '--out', join(dir, 'y.html'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${join(dir, 'run.json')} is not \`waymark simulate --json\` output: "workflow.id" is missing`);
  });

  it('says where it looked when the period holds no counters', () => {
    const result = waymark('--from', join(dir, 'forecast.json'), '--workflows', join(dir, 'workflows'), '--since', '2027-01-01', '--out', join(dir, 'z.html'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no counters found for workflow cold-traffic-nurture in simulation ${join(dir, 'forecast.json')} since 2027-01-01`);
  });
});
