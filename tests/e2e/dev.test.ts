/**
 * `waymark dev` as a user runs it: a child process on free ports, with its own
 * DynamoDB Local and SES server. Events go in through its EventBridge-compatible
 * endpoint with the real EventBridge client; the clock is moved forward; the
 * emails are read back from the SES server. Then the journey map is opened in
 * headless Chromium (the system's, else the one from npm: tests/support/browser.ts)
 * and must show the steps with their live counts, and a customer-data warning in
 * its activity.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../lib/dev/api-types';
import { LOCAL_CREDENTIALS, localSes } from '../../lib/runtime/local-servers';
import { launchBrowser } from '../support/browser';
import { type DevApi, devApi } from '../support/dev-api';

const DAY = 86_400_000;
let dev: ChildProcess;
let output = '';
let urls: { map: string; events: string; mailViewer: string; dynamo: string; unsubscribe: string };
let events: EventBridgeClient;

let client: DevApi;
const api = <T>(path: string, init?: RequestInit) => client.api<T>(path, init);
const advanceClock = (ms: number) => client.advanceClock(ms);
const settle = () => client.settle();
const put = (detailType: string, detail: Record<string, unknown>) => client.put(detailType, detail);

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-e2e-'));
  const readyFile = join(directory, 'ready.json');
  // Monday 2 November 2026, 14:00 UTC: 09:00 in New York, when the cold-traffic window opens.
  dev = spawn(process.execPath, ['bin/waymark.js', 'dev', '--port', '0', '--ses-port', '0', '--dynamo-port', '0', '--data', join(directory, 'data'), '--fresh', '--speed', '1', '--start', '2026-11-02T14:00:00Z', '--ready-file', readyFile], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, so that the test can press Ctrl-C as a terminal does: to the whole group.
    detached: true,
  });
  dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!existsSync(readyFile)) {
    if (dev.exitCode !== null || Date.now() > deadline) throw new Error(`waymark dev did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  urls = JSON.parse(readFileSync(readyFile, 'utf8'));
  events = new EventBridgeClient({ endpoint: urls.events, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  client = devApi(urls.map, events);
}, 120_000);

afterAll(async () => {
  events?.destroy();
  if (dev && dev.exitCode === null) {
    dev.kill('SIGINT');
    await new Promise((resolve) => dev.once('exit', resolve));
  }
});

describe('waymark dev', () => {
  it('prints where everything is', () => {
    expect(output).toContain(`Journey map    ${urls.map}`);
    expect(output).toContain(`Mail viewer    ${urls.mailViewer}`);
    expect(output).toContain(`Events         ${urls.events}`);
  });

  it('takes events from the real EventBridge client, moves them through the journey as time passes, and sends the emails through SES', async () => {
    const ses = localSes(urls.mailViewer.replace(/\/$/, ''));
    await put('lead.captured', { customerId: 'e2e-ana', channel: 'webinar', profile: { email: 'ana.e2e@example.com', firstName: 'Ana' } });
    const subjects = async () => (await ses.messages()).filter((m) => m.destination.to.includes('ana.e2e@example.com')).map((m) => m.subject);
    expect(await subjects()).toEqual(['Ana, 3 ways to get paid faster']);

    // No click in three days: the second intro article (Thursday 09:00 in New York).
    await advanceClock(3 * DAY);
    expect(await subjects()).toEqual(['Ana, 3 ways to get paid faster', '5 invoice mistakes that quietly delay payment']);

    // She buys: converted in the nurture, and welcomed by the post-purchase journey.
    await put('order.placed', { customerId: 'e2e-ana', orderId: 'ORD-E2E', plan: 'Pro' });
    expect((await subjects()).at(-1)).toBe('Welcome to Ledgerly: your first three steps');

    const [message] = (await ses.messages()).filter((m) => m.destination.to.includes('ana.e2e@example.com'));
    expect(message!.headers).toEqual(expect.arrayContaining([{ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' }]));

    const customer = await api<{ journeys: Array<{ workflowId: string; status: string; stage: string }> }>('/api/customers/e2e-ana');
    expect(customer.journeys).toEqual(expect.arrayContaining([expect.objectContaining({ workflowId: 'cold-traffic-nurture', status: 'converted', stage: 'purchase' })]));
    await ses.stop();
  });

  it('answers only this machine: refuses a rebound host name and another site\'s changes to the API', async () => {
    const port = new URL(urls.map).port;
    const status = (method: string, path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest(new URL(path, urls.map), { method, headers }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end(method === 'POST' ? '{"advanceByMs":0}' : undefined);
      });
    expect(await status('GET', '/api/overview', { Host: `rebound.example:${port}` })).toBe(403);
    expect(await status('POST', '/api/clock', { Origin: 'https://elsewhere.example', 'Content-Type': 'text/plain' })).toBe(403);
    expect(await status('POST', '/api/clock', { Origin: new URL(urls.map).origin })).toBe(200);
    expect(await status('GET', '/api/overview', { Host: `localhost:${port}` })).toBe(200);
  });

  it('reports an event that is not valid to the dead-letter path without stopping', async () => {
    const result = await events.send(new PutEventsCommand({ Entries: [{ Source: 'com.ledgerly.web', DetailType: 'lead.captured', Detail: JSON.stringify({ profile: { email: 'x@example.com' } }) }] }));
    expect(result.FailedEntryCount).toBe(0);
    await settle();
    const overview = await api<Overview>('/api/overview');
    expect(overview.totals?.rejected).toBe(1);
    expect(overview.activity.find((a) => a.kind === 'rejected')?.text).toContain('detail.customerId: required');
  });

  it('shows the journey map with every step and its live counts in a browser', async () => {
    for (let i = 0; i < 6; i++) await put('lead.captured', { customerId: `e2e-lead-${i}`, channel: i % 2 ? 'search' : 'social', profile: { email: `lead${i}.e2e@example.com` } });
    // A time zone with a typo: the send window is applied in the workflow's zone, and the activity says so.
    await put('lead.captured', { customerId: 'e2e-chicgo', profile: { email: 'chicgo.e2e@example.com', timezone: 'America/Chicgo' } });
    const overview = await api<Overview>('/api/overview');
    expect(overview.activity).toContainEqual(expect.objectContaining({ kind: 'warning', customerId: 'e2e-chicgo', workflowId: 'cold-traffic-nurture' }));
    const nurture = overview.workflows.find((w) => w.id === 'cold-traffic-nurture')!;

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.goto(urls.map);
      await page.locator('[data-testid="step"][data-step-id="welcome"]').first().waitFor({ timeout: 30_000 });

      const steps = await page.locator('[data-testid="step"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-step-id')));
      expect(new Set(steps)).toEqual(new Set(nurture.steps.map((s) => s.id)));
      const welcome = page.locator('[data-testid="step"][data-step-id="welcome"]').first();
      const number = async (testId: string) => Number(((await welcome.locator(`[data-testid="${testId}"]`).first().textContent()) ?? '').replace(/[^\d]/g, ''));
      expect(await number('step-entered')).toBe(nurture.metrics.steps.welcome!.entered);
      expect(await number('step-sent')).toBe(nurture.metrics.steps.welcome!.sent);
      expect(nurture.metrics.steps.welcome!.sent).toBeGreaterThanOrEqual(7);
      expect(await page.locator('[data-testid="stage-column"]').count()).toBeGreaterThanOrEqual(nurture.stages.length);
      const warning = page.locator('[data-testid="activity-item"].kind-warning', { hasText: 'e2e-chicgo' }).first();
      expect(await warning.locator('.feed-text').textContent()).toContain('e2e-chicgo in cold-traffic-nurture: profile.timezone "America/Chicgo" is not an IANA time zone');
      expect(await warning.locator('.feed-kind').textContent()).toBe('data warning');

      // A customer lookup shows the path and the emails, with a link to each message.
      await page.locator('[data-testid="customer-search"]').fill('e2e-ana');
      await page.locator('[data-testid="customer-result"]').first().click();
      const panel = page.locator('[data-testid="customer-panel"]');
      await panel.waitFor();
      expect(await panel.textContent()).toContain('converted');
      expect(await panel.locator('[data-testid="email-link"]').count()).toBeGreaterThanOrEqual(3);

      mkdirSync('test-results', { recursive: true });
      await page.screenshot({ path: 'test-results/journey-map.png', fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('stops cleanly on Ctrl-C, stopping the servers it started', async () => {
    // Work in progress when Ctrl-C comes: events still being applied.
    const entries = Array.from({ length: 10 }, (_, i) => ({ Source: 'com.ledgerly.web', DetailType: 'lead.captured', Detail: JSON.stringify({ customerId: `e2e-late-${i}`, profile: { email: `late${i}.e2e@example.com` } }) }));
    expect((await events.send(new PutEventsCommand({ Entries: entries }))).FailedEntryCount).toBe(0);
    // Ctrl-C in a terminal signals the foreground process group: waymark dev and any child it left in that group.
    process.kill(-dev.pid!, 'SIGINT');
    const code = await new Promise<number | null>((resolve) => dev.once('exit', resolve));
    expect(code).toBe(0);
    // The work stops before the servers it uses: nothing fails on the way out (no ECONNREFUSED from DynamoDB Local), and nothing failed before.
    const stopping = output.slice(output.indexOf('stopping:'));
    expect(stopping.split('\n').slice(1).filter((line) => line.trim() !== '')).toEqual(['✔ stopped']);
    expect(output.split('\n').filter((line) => /error/i.test(line))).toEqual([]);
    await expect(fetch(urls.dynamo)).rejects.toThrow();
    await expect(fetch(urls.mailViewer)).rejects.toThrow();
  });
});
