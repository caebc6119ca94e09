/**
 * Pausing and resuming a live journey in `waymark dev` (issue 13's acceptance): customers mid-way
 * through the cold-traffic nurture, the journey paused, the clock moved a week: no email of it
 * reaches the local SES server, the emails it decided are held. Resumed after the send window has
 * closed: the held emails go when the window opens, not at once and not lost.
 *
 * In process (like dev-demo.test.ts), with the server's own DynamoDB Local and aws-ses-v2-local,
 * driven through its HTTP API (/api/clock, /api/settle, /api/journeys), its events endpoint, and
 * `waymark journeys pause|list|resume --endpoint` (the command's function, as the CLI calls it).
 * The dev clock starts on 2 November 2026 whatever the day on the wall: the ages the listing prints
 * are counted on dev's clock.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CustomerView } from '../../lib/dev/api-types';
import { journeysCommand } from '../../lib/cli/journeys-command';
import { type DevServer, startDev } from '../../lib/dev/dev-server';
import type { JourneyListing } from '../../lib/runtime/journey-lifecycle';
import { LOCAL_CREDENTIALS, type LocalSes, localSes } from '../../lib/runtime/local-servers';
import { type DevApi, devApi } from '../support/dev-api';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NURTURE = 'cold-traffic-nurture';
const LEADS = ['e2e-pause-1', 'e2e-pause-2', 'e2e-pause-3'];
const addressOf = (customerId: string) => `${customerId}@example.com`;

let server: DevServer;
let events: EventBridgeClient;
let dev: DevApi;
let ses: LocalSes;
const logged: string[] = [];

/** The messages the local SES server holds for the leads, by address. */
async function mailToLeads(): Promise<Record<string, string[]>> {
  const messages = await ses.messages();
  return Object.fromEntries(LEADS.map((id) => [addressOf(id), messages.filter((m) => m.destination.to.includes(addressOf(id))).map((m) => m.subject)]));
}

const emailsOf = async (customerId: string) => (await dev.api<CustomerView>(`/api/customers/${customerId}`)).emails.filter((e) => e.workflowId === NURTURE);
const nurtureListing = async () => (await dev.api<{ journeys: JourneyListing[] }>('/api/journeys')).journeys.find((j) => j.id === NURTURE)!;

/** `waymark journeys ACTION [NURTURE] --endpoint <dev>`: its exit code and what it printed (colours stripped). */
async function journeys(action: 'list' | 'pause' | 'resume') {
  const out: string[] = [];
  const err: string[] = [];
  const code = await journeysCommand(action, action === 'list' ? undefined : NURTURE, { endpoint: server.urls.map, workflows: 'workflows' }, { out: (line) => out.push(line), err: (line) => err.push(line) });
  // eslint-disable-next-line no-control-regex
  const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return { code, out: plain(out), err: plain(err) };
}
/** The cells of the nurture's row in `waymark journeys list`. */
const nurtureRow = (listing: string) => listing.split('\n').find((line) => line.trimStart().startsWith(`${NURTURE} `))!.trim().split(/\s{2,}/);

beforeAll(async () => {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-lifecycle-'));
  server = await startDev({
    workflowsDirectory: 'workflows',
    port: 0,
    sesPort: 0,
    dynamoPort: 0,
    host: '127.0.0.1',
    dataDirectory: join(directory, 'data'),
    fresh: true,
    speed: 1,
    // Monday 2 November 2026, 14:00 UTC: 09:00 in New York, when the nurture's send window opens (weekdays 09:00–18:00).
    start: Date.parse('2026-11-02T14:00:00Z'),
    demo: false,
    log: (line) => logged.push(line),
  });
  events = new EventBridgeClient({ endpoint: server.urls.events, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  dev = devApi(server.urls.map, events);
  ses = localSes(server.urls.mailViewer.replace(/\/$/, ''));
}, 120_000);

afterAll(async () => {
  events?.destroy();
  await ses?.stop();
  await server?.stop();
});

describe('waymark dev: pause and resume a live journey', () => {
  it('paused, a week passes with no email of it; resumed after hours, the held emails go when the send window opens', { timeout: 240_000 }, async () => {
    // Three leads enter on Monday morning and get the welcome article.
    for (const id of LEADS) await dev.put('lead.captured', { customerId: id, channel: 'webinar', profile: { email: addressOf(id), timezone: 'America/New_York' } });
    for (const subjects of Object.values(await mailToLeads())) expect(subjects).toHaveLength(1);

    // Tuesday: mid-way, waiting for a click on it (the second article is due Thursday). Paused.
    await dev.advanceClock(DAY);
    const pause = await journeys('pause');
    expect(pause.code).toBe(0);
    // The dev server clears its control cache: the pause holds at once, not within a minute.
    expect(pause.out).toContain(`${NURTURE} paused: from now on no email of it reaches SES`);
    const paused = await nurtureListing();
    expect(paused).toMatchObject({ status: 'paused', activeByVersion: [{ version: 1, customers: 3 }] });

    // A week passes: the second article fell due on Thursday for each, and none reached SES.
    await dev.advanceClock(7 * DAY);
    for (const subjects of Object.values(await mailToLeads())) expect(subjects).toHaveLength(1);
    for (const id of LEADS) expect((await emailsOf(id)).map((e) => e.stepId)).toEqual(['welcome']);
    const held = await nurtureListing();
    expect(held.status).toBe('paused');
    expect(held.held).toBe(3);
    // Paused a week ago on dev's clock (weeks after, on the wall clock of this run).
    const listed = await journeys('list');
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(`Journeys in waymark dev at ${server.urls.map}`);
    expect(nurtureRow(listed.out)).toEqual([NURTURE, 'v1', 'paused (7 days ago)', 'v1: 3', '3 emails held']);
    // Still in the journey, held at the email step, not exited or timed out.
    const customer = await dev.api<CustomerView>(`/api/customers/${LEADS[0]}`);
    expect(customer.journeys.find((j) => j.workflowId === NURTURE)).toMatchObject({ status: 'active', stepId: 'article-2' });

    // Resumed on Tuesday 10 November at 19:00 in New York, after the window closed: nothing goes tonight.
    await dev.advanceClock(10 * HOUR);
    const resumedAt = Date.parse((await dev.settle()).now);
    expect(new Date(resumedAt).toISOString().slice(0, 13)).toBe('2026-11-11T00');
    const resume = await journeys('resume');
    expect(resume.code).toBe(0);
    expect(resume.out).toContain(`${NURTURE} resumed: emails held by the pause go`);
    expect(nurtureRow((await journeys('list')).out).slice(0, 3)).toEqual([NURTURE, 'v1', 'active (just now)']);
    await dev.settle();
    for (const subjects of Object.values(await mailToLeads())) expect(subjects).toHaveLength(1);

    // Wednesday 11 November, 10:00 in New York: the held emails went when the window opened, one each.
    await dev.advanceClock(15 * HOUR);
    const mail = await mailToLeads();
    for (const id of LEADS) {
      expect(mail[addressOf(id)]).toHaveLength(2);
      const emails = await emailsOf(id);
      expect(emails.map((e) => e.stepId)).toEqual(['welcome', 'article-2']);
      const sentAt = Date.parse(emails[1]!.at);
      // Within Wednesday's window (09:00–18:00 New York, 14:00–23:00 UTC), after the resume.
      expect(sentAt).toBeGreaterThan(resumedAt);
      expect(sentAt).toBeGreaterThanOrEqual(Date.parse('2026-11-11T14:00:00Z'));
      expect(sentAt).toBeLessThan(Date.parse('2026-11-11T23:00:00Z'));
    }
    const resumed = await nurtureListing();
    expect(resumed).toMatchObject({ status: 'active', held: 0 });
    expect(logged.filter((line) => /^error/.test(line))).toEqual([]);
  });
});
