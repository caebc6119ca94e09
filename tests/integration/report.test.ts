/**
 * `waymark report --endpoint --table` against DynamoDB Local: counters written
 * with DynamoStore.addCounters (the rows of the example events, run in
 * memory) come back through readCounters into the report, workflow by workflow.
 */
import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoStore } from '../../lib/runtime/dynamo-store';
import { metricsFrom } from '../../lib/runtime/journey-metrics';
import { ensureTable, localDynamoClient } from '../../lib/runtime/local-servers';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import type { CounterRow } from '../../lib/runtime/store';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);
const workflowById = (id: string) => loaded.workflows.find((w) => w.id === id)!;

async function waymark(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/waymark.js', 'report', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { status: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

function funnelRows(html: string): Array<[string, number]> {
  return [...html.matchAll(/<div class="funnel-row" data-stage="([^"]*)" data-entered="(\d+)">/g)].map((m) => [m[1]!, Number(m[2])]);
}

/** The section of one workflow in the report. */
function section(html: string, workflowId: string): string {
  return new RegExp(`<section class="workflow" id="wf-\\d+" data-workflow-id="${workflowId}"[\\s\\S]*?<section class="panel graph">`).exec(html)?.[0] ?? '';
}

function emailRow(html: string, stepId: string): Record<string, string> {
  const row = new RegExp(`<tr data-step-id="${stepId}">(.*?)</tr>`).exec(html)?.[1] ?? '';
  return Object.fromEntries([...row.matchAll(/data-metric="([^"]+)">(?:<span class="rate-cell">)?([^<]*)/g)].map((m) => [m[1]!, m[2]!]));
}

describe('waymark report --endpoint', () => {
  const endpoint = inject('dynamoEndpoint');
  const client = localDynamoClient(endpoint);
  const tableName = `waymark-report-${randomUUID().slice(0, 8)}`;
  const emptyTable = `waymark-report-empty-${randomUUID().slice(0, 8)}`;
  const rows = new Map<string, CounterRow[]>();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'waymark-report-'));
    await ensureTable(client, tableName);
    await ensureTable(client, emptyTable);
    // Given: the counters the example events leave, written as the Lambda handlers write them.
    const result = await runTimeline(registry, timelineFromJsonLines(readFileSync('workflows/examples/cold-traffic.jsonl', 'utf8')));
    const store = new DynamoStore({ client, tableName });
    for (const id of ['cold-traffic-nurture', 'post-purchase']) {
      const counters = await result.runner.store.readCounters(id);
      rows.set(id, counters);
      await store.addCounters(counters);
    }
  });

  afterAll(() => {
    client.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports every workflow with counters in the table, with their numbers', async () => {
    const out = join(dir, 'all.html');
    const result = await waymark('--endpoint', endpoint, '--table', tableName, '--out', out);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const html = readFileSync(out, 'utf8');

    const cold = section(html, 'cold-traffic-nurture');
    const coldMetrics = metricsFrom(workflowById('cold-traffic-nurture'), rows.get('cold-traffic-nurture')!);
    expect(funnelRows(cold)).toEqual([['awareness', 4], ['consideration', 1], ['decision', 1], ['purchase', 1], ['retention', 0], ['advocacy', 0]]);
    expect(emailRow(cold, 'welcome')).toMatchObject({ sent: '4', opened: '1', clicked: '1' });
    expect(emailRow(cold, 'testimonial')).toMatchObject({ sent: String(coldMetrics.steps.testimonial!.sent), opened: '1', clicked: '1' });
    expect(cold).toContain('data-metric="time-to-convert">7.1 days<');

    const post = section(html, 'post-purchase');
    expect(funnelRows(post)).toEqual([['purchase', 1], ['retention', 1], ['advocacy', 0]]);
    for (const step of ['welcome', 'tip-1', 'tip-2', 'survey', 'loyalty']) expect(emailRow(post, step)).toMatchObject({ sent: '1', opened: '0', clicked: '0' });

    // Two workflows: tabs, and the one inline script allowed by hash; still nothing fetched.
    expect(html).toContain('role="tablist"');
    expect(html).not.toMatch(/<script\s+[^>]*src/i);
    expect(html).toContain(`Local stack, table <code>${tableName}</code><small>DynamoDB Local at ${endpoint}</small>`);
    expect(result.stdout).toContain(`local stack ${endpoint}, table ${tableName}`);
    expect(result.stdout).toMatch(/awareness\s+4\s+25\.0%/);
    expect(result.stdout).toMatch(/tip-1\s+1\s+0\s+0/);
    expect(result.stdout).toContain(`Report written to ${out}`);
  });

  it('--workflow picks one; --since narrows the days read', async () => {
    const out = join(dir, 'post.html');
    const result = await waymark('--endpoint', endpoint, '--table', tableName, '--workflow', 'post-purchase', '--since', '2026-11-11', '--out', out);
    expect(result.status).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toContain('data-workflow-id="cold-traffic-nurture"');
    // The order (and the welcome) came on 2026-11-09: from the 11th on, the tips onwards.
    expect(funnelRows(html)).toEqual([['purchase', 0], ['retention', 1], ['advocacy', 0]]);
    expect(emailRow(html, 'welcome')).toMatchObject({ sent: '0' });
    expect(emailRow(html, 'tip-1')).toMatchObject({ sent: '1' });
  });

  it('says where it looked when the table holds no counters', async () => {
    const result = await waymark('--endpoint', endpoint, '--table', emptyTable, '--out', join(dir, 'none.html'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/no counters found for any of \d+ workflows \(cold-traffic-nurture, post-purchase[^)]*\)/);
    expect(result.stderr).toContain(`in local stack ${endpoint}, table ${emptyTable}`);
  });

  it('names a table that does not exist', async () => {
    const result = await waymark('--endpoint', endpoint, '--table', 'no-such-table', '--out', join(dir, 'missing.html'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`no table "no-such-table" in DynamoDB Local at ${endpoint}`);
  });
});
