/**
 * `waymark journeys list|pause|resume|stop --table NAME --region R` as a user runs it against a
 * deployed stack's table, here a table on DynamoDB Local: the command builds its own DynamoDB client
 * from the default credential chain, and AWS_ENDPOINT_URL_DYNAMODB (which the AWS SDK honours, as
 * every AWS tool does) points it at DynamoDB Local instead of AWS.
 *
 * The table is seeded by the Lambda handlers themselves (tests/support/local-runtime.ts), as a
 * deployment would: customers who entered welcome-series v1, then v2 once it was deployed, and
 * cold-offer's. Between commands the handlers carry on (a wait runs out, the sweep runs), so a pause
 * holds real emails and a resume releases them. The handlers run on a clock the test moves, and the
 * command is handed the same clock (deployed, both read the wall clock).
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { journeysCommand, type JourneysOptions } from '../../lib/cli/journeys-command';
import { CONTROL_SETTLE_MS } from '../../lib/runtime/journey-lifecycle';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { createLocalRuntime, type LocalRuntime, uniqueAddress } from '../support/local-runtime';

const HOUR = 3_600_000;
const REGION = 'us-east-1';

/** welcome-series: a welcome, two hours, a tip, two hours, a last email. v2 changes the last email only. */
const welcomeSeries = (version: number) => ({
  id: 'welcome-series',
  version,
  name: 'Welcome series',
  entry: { on: { 'detail-type': ['lead.captured'] } },
  settings: { from: 'Ledgerly <hello@ledgerly.example>', timezone: 'UTC' },
  start: 'welcome',
  steps: {
    welcome: { type: 'email', template: 'article-get-paid-faster', next: 'pause-1' },
    'pause-1': { type: 'wait', duration: 'PT2H', next: 'tip' },
    tip: { type: 'email', template: 'book-a-demo', next: 'pause-2' },
    'pause-2': { type: 'wait', duration: 'PT2H', next: 'last' },
    last: { type: 'email', template: version === 1 ? 'book-a-demo' : 'offer-first-three-months' },
  },
});

/** cold-offer: a welcome, two hours, an offer. */
const coldOffer = {
  id: 'cold-offer',
  version: 1,
  name: 'Cold offer',
  entry: { on: { 'detail-type': ['trial.started'] } },
  settings: { from: 'Ledgerly <hello@ledgerly.example>', timezone: 'UTC' },
  start: 'welcome',
  steps: {
    welcome: { type: 'email', template: 'article-get-paid-faster', next: 'pause' },
    pause: { type: 'wait', duration: 'PT2H', next: 'offer' },
    offer: { type: 'email', template: 'offer-first-three-months' },
  },
};

/** What was deployed, as `--workflows` reads it: the latest versions, v1 of welcome-series in archive/, the sample content. */
function deployedWorkflows(): string {
  const directory = join(mkdtempSync(join(tmpdir(), 'waymark-journeys-')), 'workflows');
  mkdirSync(join(directory, 'archive'), { recursive: true });
  cpSync('workflows/content', join(directory, 'content'), { recursive: true });
  writeFileSync(join(directory, 'welcome-series.json'), JSON.stringify(welcomeSeries(2)));
  writeFileSync(join(directory, 'archive', 'welcome-series.v1.json'), JSON.stringify(welcomeSeries(1)));
  writeFileSync(join(directory, 'cold-offer.json'), JSON.stringify(coldOffer));
  return directory;
}

let workflows: string;
let runtime: LocalRuntime;
const addresses: Record<string, string> = {};
const environment = { ...process.env };

/** `waymark journeys ACTION [WORKFLOW] --table T --region R --workflows DIR [flags]`: its exit code, what it printed, and the waits it asked for. */
async function journeys(action: 'list' | 'pause' | 'resume' | 'stop', workflowId?: string, flags: Partial<JourneysOptions> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const waits: number[] = [];
  const code = await journeysCommand(action, workflowId, { table: runtime.tableName, region: REGION, workflows, ...flags }, {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    // The stop's 35-second wait for the functions' caches: recorded, and passed on the handlers' clock rather than slept.
    sleep: async (ms) => {
      waits.push(ms);
      runtime.clock.now += ms;
    },
    clock: () => runtime.clock.now,
  });
  // eslint-disable-next-line no-control-regex
  const plain = (lines: string[]) => lines.join('\n').replace(/\u001b\[[0-9;]*m/g, '');
  return { code, out: plain(out), err: plain(err), waits };
}

/** The listing's row of one journey, its cells split on the table's column gaps. */
function row(listing: string, workflowId: string): string[] {
  const line = listing.split('\n').find((l) => l.trimStart().startsWith(`${workflowId} `));
  if (!line) throw new Error(`no row for ${workflowId} in:\n${listing}`);
  return line.trim().split(/\s{2,}/);
}

const lead = (customerId: string) => ({
  id: `lead-${customerId}`,
  source: 'com.ledgerly.web',
  'detail-type': 'lead.captured',
  time: new Date(runtime.clock.now).toISOString(),
  detail: { customerId, profile: { email: (addresses[customerId] = uniqueAddress(customerId)) } },
});
const trial = (customerId: string) => ({ ...lead(customerId), id: `trial-${customerId}`, 'detail-type': 'trial.started' });
const subjectsTo = async (customerId: string) => (await runtime.messagesTo(addresses[customerId]!)).length;
/** Moves the handlers' clock on by `ms`, firing every timer on time and sending what they decide. */
const later = async (ms: number) => runtime.advanceTo(new Date(runtime.clock.now + ms).toISOString());

beforeAll(async () => {
  // As a user on their machine points the AWS CLI or SDK at DynamoDB Local.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_PROFILE;

  workflows = deployedWorkflows();
  const deployed = WorkflowRegistry.fromLoaded(loadValidWorkflows([workflows]));
  // A Monday morning, as good as any: no workflow here has a send window.
  const start = '2026-11-02T09:00:00Z';
  // First v1 of welcome-series was deployed: three leads entered it, and one trial cold-offer.
  const first = await createLocalRuntime({ registry: deployed.upTo('welcome-series', 1), start });
  runtime = first;
  await first.publish(lead('ana'), lead('ben'), lead('cara'), trial('dev'));
  // Then v2: two more leads enter it, while the first three go on in v1.
  runtime = await createLocalRuntime({ registry: deployed, start, tableName: first.tableName });
  await runtime.publish(lead('eve'), lead('finn'));
}, 120_000);

afterAll(() => {
  process.env = environment;
});

describe('waymark journeys --table (a deployed table: DynamoDB Local through AWS_ENDPOINT_URL_DYNAMODB)', () => {
  it('list: each journey, its latest version, its status and its customers by version', async () => {
    const result = await journeys('list');
    expect(result.code).toBe(0);
    expect(result.out).toContain(`Journeys in table ${runtime.tableName} (${REGION})`);
    expect(result.out).toMatch(/JOURNEY\s+LATEST\s+STATUS\s+ACTIVE CUSTOMERS\s+MOVED TO A NEWER VERSION/);
    expect(row(result.out, 'welcome-series')).toEqual(['welcome-series', 'v2', 'active', 'v2: 2 · v1: 3']);
    expect(row(result.out, 'cold-offer')).toEqual(['cold-offer', 'v1', 'active', 'v1: 1']);
  });

  it('pause: the emails that fall due are held, and the list says paused, since when, and how many are held', async () => {
    const paused = await journeys('pause', 'welcome-series');
    expect(paused.code).toBe(0);
    // A deployed function reads the control through a 30-second cache: the message says so.
    expect(paused.out).toContain('welcome-series paused: within a minute no email of it reaches SES');
    expect((await journeys('pause', 'cold-offer')).code).toBe(0);

    // Three hours on: every tip and cold-offer's offer fell due, and none was sent.
    await later(3 * HOUR);
    for (const customerId of ['ana', 'ben', 'cara', 'dev', 'eve', 'finn']) expect(await subjectsTo(customerId)).toBe(1);

    const listed = await journeys('list');
    expect(row(listed.out, 'welcome-series')).toEqual(['welcome-series', 'v2', 'paused (3 h ago)', 'v2: 2 · v1: 3', '5 emails held']);
    expect(row(listed.out, 'cold-offer')).toEqual(['cold-offer', 'v1', 'paused (3 h ago)', 'v1: 1', '1 email held']);

    const json = JSON.parse((await journeys('list', undefined, { json: true })).out);
    expect(json.journeys.find((j: { id: string }) => j.id === 'welcome-series')).toMatchObject({ status: 'paused', held: 5, activeByVersion: [{ version: 2, customers: 2 }, { version: 1, customers: 3 }] });
    // The listing's ages are counted from `now`: the table's clock (the wall clock, deployed).
    expect(json.now).toBe(runtime.clock.now);
  });

  it('resume: the held emails go; resume --drop-held: they are dropped and the customers go on', async () => {
    const resumed = await journeys('resume', 'welcome-series');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toContain('welcome-series resumed: emails held by the pause go within the next minutes');
    const dropped = await journeys('resume', 'cold-offer', { dropHeld: true });
    expect(dropped.code).toBe(0);
    expect(dropped.out).toContain('cold-offer resumed: emails held by the pause are dropped');

    // The sweep releases what was held (these handlers' sweep waits for no cache).
    await runtime.sweepOnce();
    await runtime.settle();
    for (const customerId of ['ana', 'ben', 'cara', 'eve', 'finn']) expect(await subjectsTo(customerId)).toBe(2);
    expect(await subjectsTo('dev')).toBe(1);
    expect((await runtime.journey('dev', 'cold-offer'))?.state.status).toBe('completed');

    const listed = await journeys('list');
    expect(row(listed.out, 'welcome-series')).toEqual(['welcome-series', 'v2', 'active (just now)', 'v2: 2 · v1: 3']);
    expect(row(listed.out, 'cold-offer')).toEqual(['cold-offer', 'v1', 'active (just now)', '0']);
  });

  it('refuses what makes no sense, saying what to do: --drop-held without resume, a stop without --yes (exit code 2)', async () => {
    const dropOnPause = await journeys('pause', 'welcome-series', { dropHeld: true });
    expect(dropOnPause).toMatchObject({ code: 2, out: '' });
    expect(dropOnPause.err).toContain('--drop-held goes with `resume` only');

    const unconfirmed = await journeys('stop', 'welcome-series');
    expect(unconfirmed).toMatchObject({ code: 2, out: '' });
    expect(unconfirmed.err).toContain('stopping ends every active customer of welcome-series ("exited"), drops the emails on their way, and lets no one enter until a newer version is deployed (or it is resumed): add --yes to do it');
    expect(row((await journeys('list')).out, 'welcome-series')[2]).toBe('active (just now)');

    const unknown = await journeys('pause', 'no-such-journey');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('no workflow "no-such-journey" in');
  });

  it('stop --yes: waits for the functions to see it, ends every active customer, and lets no one in until v3', async () => {
    const stopped = await journeys('stop', 'welcome-series', { yes: true });
    expect(stopped.code).toBe(0);
    expect(stopped.waits).toEqual([CONTROL_SETTLE_MS]);
    expect(stopped.err).toContain('waiting 35 s for every function to see it');
    expect(stopped.out).toContain('welcome-series stopped: 5 active customers ended ("exited")');

    // The sweep ends them (the command woke them after its wait: due then).
    await runtime.sweepOnce();
    for (const customerId of ['ana', 'ben', 'cara', 'eve', 'finn']) expect((await runtime.journey(customerId, 'welcome-series'))?.state.status).toBe('exited');
    for (const customerId of ['ana', 'ben', 'cara', 'eve', 'finn']) expect(await subjectsTo(customerId)).toBe(2);
    await runtime.publish(lead('gus'));
    expect(await runtime.journey('gus', 'welcome-series')).toBeUndefined();

    // Stamped before the 35-second wait.
    const listed = await journeys('list');
    expect(row(listed.out, 'welcome-series')).toEqual(['welcome-series', 'v2', 'stopped (1 min ago)', '0', 'deploy v3 or resume to let customers in']);

    // A stopped journey has nobody to pause: the change is refused (exit code 1), with the way out.
    const pauseStopped = await journeys('pause', 'welcome-series');
    expect(pauseStopped.code).toBe(1);
    expect(pauseStopped.err).toContain('welcome-series: it is stopped: nobody is in it to pause (resume it to let customers enter again)');
  });

  it('names a table that does not exist, and how to find the right one', async () => {
    let missing = '';
    const result = await journeysCommand('list', undefined, { table: 'no-such-table', region: REGION, workflows }, { out: () => {}, err: (line) => void (missing = line) });
    expect(result).toBe(1);
    expect(missing).toContain('no table "no-such-table" in us-east-1: pass the TableName output of the stack');
  });
});
