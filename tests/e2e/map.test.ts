/**
 * `waymark map` in a browser: the journey map, read-only, on a table in
 * DynamoDB Local seeded by a run (the cold-traffic example events, their
 * counters scaled up to a big audience, so counts have five and six digits),
 * with experiment counters and customers resting at a step. Given that table,
 * expect cards whose counts do not collide, experiments and per-day charts,
 * a holdout shown as a control group, emails held by the send budget counted
 * apart, a readable channel, lookup by email
 * through the index, the customers at a step, a readable Fit, no
 * lifecycle buttons, and an activity panel that says the live feed is only in
 * `waymark dev`. Also the report's printed pages: nothing overflows.
 * Screenshots go to test-results/ (gitignored).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { emptyJourney } from '../../lib/engine/model';
import type { Workflow } from '../../lib/engine/schema';
import { type MapServer, startMapServer } from '../../lib/dev/map-server';
import { buildWorkflowReport } from '../../lib/report/build';
import { renderReportHtml } from '../../lib/report/html';
import { DynamoStore } from '../../lib/runtime/dynamo-store';
import { ensureTable, localDynamoClient } from '../../lib/runtime/local-servers';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import type { CounterRow } from '../../lib/runtime/store';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { launchBrowser } from '../support/browser';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);
const workflows = registry.latest().map((c) => c.definition as Workflow);
const nurture = workflows.find((w) => w.id === 'cold-traffic-nurture')!;
const SCALE = 1000;

/** The example run's counters, scaled to a big audience, plus the experiment counters of one. */
async function seededCounters(): Promise<CounterRow[]> {
  const run = await runTimeline(registry, timelineFromJsonLines(readFileSync('workflows/examples/cold-traffic.jsonl', 'utf8')));
  const rows = (await run.runner.store.readCounters(nurture.id)).map((r) => ({ ...r, value: r.day === 'all' ? r.value : r.value * SCALE }));
  const day = rows.find((r) => r.day !== 'all')!.day;
  const row = (stepId: string, name: string, value: number): CounterRow => ({ workflowId: nurture.id, day, stepId, name, value });
  return [
    ...rows,
    row('_', 'entered:com.waymark.simulation', 12_345),
    row('holdout', 'assigned:journey', 19_000),
    row('holdout', 'assigned:holdout', 1000),
    row('holdout', 'converted.path:journey', 1710),
    row('holdout', 'converted.path:holdout', 60),
    row('holdout', 'holdout', 1000),
    row('demo-or-offer', 'assigned:demo', 3000),
    row('demo-or-offer', 'assigned:offer', 3100),
    row('demo-or-offer', 'converted.path:demo', 300),
    row('demo-or-offer', 'converted.path:offer', 410),
    row('offer', 'revenue', 410 * 49),
    row('offer', 'converted', 410),
    // The send budget across journeys held some of the welcome emails and skipped others.
    row('welcome', 'email.deferred:budget', 300),
    row('welcome', 'email.skipped:budget', 40),
  ];
}

/** Overlapping boxes of the elements matched, within each card. */
async function collisions(page: Page, selector: string): Promise<string[]> {
  return page.locator('[data-testid="step"]').evaluateAll((cards, inner) => {
    const found: string[] = [];
    for (const card of cards) {
      const frame = card.querySelector('rect.card')!.getBoundingClientRect();
      const boxes = [...card.querySelectorAll(inner)].map((el) => ({ el, r: el.getBoundingClientRect() })).filter((b) => b.r.width > 0);
      for (const [i, a] of boxes.entries()) {
        if (a.r.right > frame.right + 0.5 || a.r.left < frame.left - 0.5) found.push(`${card.getAttribute('data-step-id')}: "${a.el.textContent}" leaves its card`);
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.r.left < b.r.right - 0.5 && b.r.left < a.r.right - 0.5 && a.r.top < b.r.bottom - 0.5 && b.r.top < a.r.bottom - 0.5;
          if (overlap) found.push(`${card.getAttribute('data-step-id')}: "${a.el.textContent}" overlaps "${b.el.textContent}"`);
        }
      }
    }
    return found;
  }, selector);
}

describe('waymark map on a table', () => {
  const client = localDynamoClient(inject('dynamoEndpoint'));
  const tableName = `waymark-map-${randomUUID().slice(0, 8)}`;
  let map: MapServer;
  let browser: Browser;

  beforeAll(async () => {
    await ensureTable(client, tableName);
    const store = new DynamoStore({ client, tableName });
    await store.addCounters(await seededCounters());
    // Customers resting at the first wait, one findable by email (any case).
    const at = Date.parse('2026-11-03T10:00:00Z');
    for (let i = 0; i < 3; i++) {
      const customerId = `map-${i}`;
      await store.saveProfile({ customerId, profile: { email: `Map.Customer${i}@Example.com` }, times: { email: at }, expectedVersion: null, now: at });
      const state = { ...emptyJourney(customerId, nurture.id), status: 'active' as const, stepId: 'clicked-1?', stage: 'awareness', enteredAt: at, pendingSince: at, waitingSince: at, dueAt: at + 3 * 86_400_000, clock: at, stages: [['awareness', at]] as Array<[string, number]> };
      await store.saveJourney({ customerId, workflowId: nurture.id, state, expectedVersion: null, outbox: [], counters: [], now: at });
    }
    map = await startMapServer({ client, tableName, workflows, source: `DynamoDB Local, table ${tableName}`, host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
  });

  // One browser for the file (@sparticuz's Chromium runs in one process: closing its last page ends it).
  afterAll(async () => {
    await browser?.close();
    await map?.stop();
    client.destroy();
  });

  it('draws the map read-only with experiments and trends, and no count leaving or overlapping another', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${map.url}#workflow=${nurture.id}`);
    await page.locator('[data-testid="step"][data-step-id="welcome"]').waitFor({ timeout: 30_000 });

    // Counts of five and more digits: each fits its column.
    const entered = await page.locator('[data-testid="step"][data-step-id="welcome"] [data-testid="step-entered"]').textContent();
    expect(entered!.replace(/\D/g, '').length + (/[KM]/.test(entered!) ? 3 : 0)).toBeGreaterThanOrEqual(4);
    expect(await collisions(page, '.stat-value, .stat-caption, .badge')).toEqual([]);

    // Emails the send budget held back show on their card, told apart from the window's in its tooltip.
    const welcome = page.locator('[data-testid="step"][data-step-id="welcome"]');
    expect(await welcome.locator('[data-testid="step-over-budget"]').textContent()).toBe('over budget 340');
    const tooltip = await welcome.locator('title').first().textContent();
    expect(tooltip).toMatch(/^deferred: [\d,]+ \(300 held by the send budget, [\d,]+ by the window or the cap\)$/m);
    expect(tooltip).toContain('skipped: 40 (40 over the send budget)');

    // A holdout is a control group, not a drop-off.
    const holdout = page.locator('[data-testid="step"][data-step-id="holdout"]');
    expect(await holdout.locator('[data-testid="step-dropped"]').count()).toBe(0);
    expect(await holdout.locator('[data-testid="step-held-out"]').textContent()).toContain('held out');

    // Experiments with their intervals and verdicts, and the per-day charts.
    expect(await page.locator('[data-testid="experiment"]').count()).toBe(2);
    expect(await page.locator('[data-testid="experiment"][data-kind="split"] [data-testid="experiment-verdict"]').textContent()).toContain('converts better');
    expect(await page.locator('[data-testid="trends"] svg').count()).toBe(6);

    // Channels read as channels; read-only: no lifecycle buttons, no events hint.
    expect(await page.locator('[data-testid="channel"][data-channel="com.waymark.simulation"] .bar-name').textContent()).toBe('simulation');
    expect(await page.locator('[data-testid^="lifecycle-"]').count()).toBe(0);
    expect(await page.locator('#hintbar').isVisible()).toBe(false);

    // The activity panel says where the live feed is, not "No customers yet" beside thousands of them.
    const activity = await page.locator('#activity').textContent();
    expect(activity).toContain('The live activity feed is only in waymark dev');
    expect(activity).not.toContain('No customers yet');

    // Nothing in the side column or the insights overflows its box horizontally.
    const overflowing = await page
      .locator('.side .card, .insights .card, .experiment-table')
      .evaluateAll((nodes) => nodes.filter((el) => el.scrollWidth > el.clientWidth + 1).map((el) => `${el.className}: ${el.scrollWidth - el.clientWidth}px`));
    expect(overflowing).toEqual([]);
    // No column header is cut to an ellipsis ("REVE…").
    const truncatedHeaders = await page
      .locator('.experiment-table thead th')
      .evaluateAll((nodes) => nodes.filter((el) => el.scrollWidth > el.clientWidth).map((el) => `${el.textContent}: ${el.scrollWidth - el.clientWidth}px`));
    expect(truncatedHeaders).toEqual([]);

    // Fit: to the width, never below a readable zoom.
    await page.locator('[data-testid="fit"]').click();
    expect(Number((await page.locator('.zoom-label').textContent())!.replace('%', ''))).toBeGreaterThanOrEqual(50);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/waymark-map.png' });
    expect(errors).toEqual([]);
  });

  it('finds a customer by email through the index, and lists the customers at a step', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${map.url}#workflow=${nurture.id}`);
    await page.locator('[data-testid="step"][data-step-id="clicked-1?"]').waitFor({ timeout: 30_000 });

    await page.locator('[data-testid="customer-search"]').fill('map.customer1@example.COM');
    await page.locator('[data-testid="customer-result"][data-customer-id="map-1"]').waitFor();
    await page.locator('[data-testid="customer-result"][data-customer-id="map-1"]').click();
    await page.locator('[data-testid="customer-id"]', { hasText: 'map-1' }).waitFor();
    await page.keyboard.press('Escape');

    await page.locator('[data-testid="fit"]').click();
    await page.locator('[data-testid="step"][data-step-id="clicked-1?"] rect.card').click();
    await page.locator('[data-testid="step-customer"]').nth(2).waitFor();
    const listed = await page.locator('[data-testid="step-customer"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-customer-id')).sort());
    expect(listed).toEqual(['map-0', 'map-1', 'map-2']);
    await page.screenshot({ path: 'test-results/waymark-map-step.png' });
  });

  it("prints the report's pages with nothing wider than the page", async () => {
    const store = new DynamoStore({ client, tableName });
    const report = { source: { kind: 'table' as const, table: tableName, region: null }, period: { from: null, to: null }, generatedAt: Date.parse('2026-12-01T00:00:00Z'), workflows: [await buildWorkflowReport(nurture, await store.readCounters(nurture.id))] };
    const page = await browser.newPage({ viewport: { width: 710, height: 1000 } }); // A4's printable width at 96 dpi
    await page.emulateMedia({ media: 'print' });
    await page.setContent(renderReportHtml(report));
    const overflowing = await page.locator('main *').evaluateAll((nodes, width) =>
      nodes.filter((el) => {
        const r = el.getBoundingClientRect();
        // Inside an SVG, the drawing's own viewBox clips (a print slice shows part of the graph).
        return r.width > 0 && r.right > width + 1 && !el.closest('.graph-scroll') && el.parentElement?.closest('svg') == null;
      }).map((el) => `${el.tagName.toLowerCase()}.${el.getAttribute('class')}: ${Math.round(el.getBoundingClientRect().right - width)}px`), 710);
    expect(overflowing).toEqual([]);
    expect(await page.locator('[data-panel="experiments"]').count()).toBe(1);
    await page.pdf({ path: 'test-results/waymark-report.pdf', format: 'A4' });
  });
});
