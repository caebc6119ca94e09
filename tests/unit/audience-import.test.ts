/**
 * `waymark audience import`: given a list file, these `Audience Joined`
 * events, and these rejected rows with their line numbers and reasons.
 */
import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AudienceJoinedEvent, derivedCustomerId } from '../../lib/audience/audience-joined';
import { type AudienceSink, dryRunSink, importList, type ImportResult, rejectedFilePath } from '../../lib/audience/import-list';
import { ListFileError } from '../../lib/audience/list-file';
import { type Rejection, formatRejection } from '../../lib/audience/row-to-event';
import { audienceImportCommand } from '../../lib/cli/audience-command';
import { parseCustomerEvent } from '../../lib/engine/events';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { defineWorkflow, registryOf } from '../support/journeys';

const TIME = '2026-11-02T14:00:00.000Z';
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'waymark-audience-'));
});

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A sink that keeps what it is given. */
function collecting(): AudienceSink & { events: AudienceJoinedEvent[] } {
  const events: AudienceJoinedEvent[] = [];
  return { description: 'memory', events, add: async (event) => void events.push(event), finish: async () => [] };
}

async function importText(name: string, content: string | Buffer, options: { numberColumns?: string[]; audience?: string } = {}) {
  const sink = collecting();
  const result = await importList({ file: file(name, content), audience: options.audience ?? 'spring-webinar', time: TIME, sink, ...(options.numberColumns ? { numberColumns: options.numberColumns } : {}) });
  return { result, events: sink.events, profiles: sink.events.map((e) => [e.detail.customerId, e.detail.profile] as const), rejected: result.rejected.map(formatRejection) };
}

describe('a CSV list', () => {
  it('becomes one Audience Joined event per row: customerId from its column, every other column a profile attribute', async () => {
    const { events, result } = await importText('leads.csv', 'customerId,email,firstName,timezone\nc-1,ana@example.com,Ana,Europe/Lisbon\nc-2,ben@example.com,Ben,\n');
    expect(result).toMatchObject({ format: 'csv', delimiter: ',', columns: ['customerId', 'email', 'firstName', 'timezone'], idColumn: 'customerId', rows: 2, accepted: 2, rejected: [] });
    expect(events[0]).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      source: 'waymark.audience',
      'detail-type': 'Audience Joined',
      time: TIME,
      detail: { customerId: 'c-1', audience: 'spring-webinar', profile: { email: 'ana@example.com', firstName: 'Ana', timezone: 'Europe/Lisbon' }, eventId: events[0]!.id },
    });
    // An empty cell sets nothing: it never clears what the stored profile holds.
    expect(events[1]!.detail.profile).toEqual({ email: 'ben@example.com', firstName: 'Ben' });
    // Each event is one the engine accepts as it is.
    for (const event of events) expect(parseCustomerEvent(event)).toEqual({ ok: true, event });
  });

  it('takes "id" when there is no customerId column, and matches column names in any case', async () => {
    const { profiles, result } = await importText('crm.csv', 'ID,Email,Plan\n42,ana@example.com,trial\n');
    expect(result.idColumn).toBe('ID');
    expect(profiles).toEqual([['42', { email: 'ana@example.com', Plan: 'trial' }]]);
  });

  it('derives the customer id from the email when there is no id column: "email:" and 20 hex digits of the SHA-256 of the lower-cased address', async () => {
    const { profiles, rejected } = await importText('leads.csv', 'email,firstName\nAna@Example.com,Ana\nana@example.com ,Ana again\n');
    // printf 'ana@example.com' | sha256sum | cut -c1-20  →  8e43ca37701228e74983
    expect(derivedCustomerId('ana@example.com')).toBe('email:8e43ca37701228e74983');
    expect(profiles).toEqual([['email:8e43ca37701228e74983', { email: 'Ana@Example.com', firstName: 'Ana' }]]);
    expect(rejected).toEqual(['line 3, column email ("ana@example.com"): duplicate in the file: this address is already on line 2']);
  });

  it('reads quoted values with commas, quotes and line breaks, and names the right line for every later row', async () => {
    const csv = [
      'customerId,email,note',
      'c-1,ana@example.com,"Lisbon, Portugal"',
      'c-2,ben@example.com,"said ""call me""',
      'on two lines"',
      'c-3,not-an-address,x',
      'c-4,dev@example.com,"three',
      '',
      'lines"',
      'c-5,eve@example',
    ].join('\n');
    const { profiles, rejected } = await importText('leads.csv', csv);
    expect(profiles).toEqual([
      ['c-1', { email: 'ana@example.com', note: 'Lisbon, Portugal' }],
      ['c-2', { email: 'ben@example.com', note: 'said "call me"\non two lines' }],
      ['c-4', { email: 'dev@example.com', note: 'three\n\nlines' }],
    ]);
    expect(rejected).toEqual([
      'line 5, column email ("not-an-address"): not a valid email address',
      'line 9: 2 fields where the header has 3 (a missing quote around a value with ","?)',
    ]);
  });

  it('reads a ";" file with a byte order mark, as Excel saves "CSV UTF-8" in much of Europe', async () => {
    const { result, profiles } = await importText('leads.csv', Buffer.from('\uFEFFemail;firstName;city\r\nana@example.com;Ana;"Lisboa; PT"\r\n', 'utf8'));
    expect(result.delimiter).toBe(';');
    expect(result.columns).toEqual(['email', 'firstName', 'city']);
    expect(profiles[0]![1]).toEqual({ email: 'ana@example.com', firstName: 'Ana', city: 'Lisboa; PT' });
  });

  it('rejects each bad row with its line, column, value and reason, and imports the rest', async () => {
    const csv = [
      'customerId,email,firstName',
      'c-1,ana@example.com,Ana', // 2
      'c-2,,Ben', // 3: no email
      'c-3,cara@@example.com,Cara', // 4: bad email
      ',dev@example.com,Dev', // 5: no id
      'c-1,ana.other@example.com,Ana', // 6: the same customer again
      'c-7,eve@example.com', // 7: a field short
      'c-8,fay@example.com,Fay,extra', // 8: a field too many
      'c-9,gus@example.com,Gus', // 9
    ].join('\n');
    const { profiles, rejected, result } = await importText('leads.csv', csv);
    expect(profiles.map(([id]) => id)).toEqual(['c-1', 'c-9']);
    expect(rejected).toEqual([
      'line 3, column email: missing email address',
      'line 4, column email ("cara@@example.com"): not a valid email address',
      'line 5, column customerId: missing customer id',
      'line 6, column customerId ("c-1"): duplicate in the file: this customer is already on line 2',
      'line 7: 2 fields where the header has 3 (a missing quote around a value with ","?)',
      'line 8: 4 fields where the header has 3 (a missing quote around a value with ","?)',
    ]);
    expect(result).toMatchObject({ rows: 8, accepted: 2 });
  });

  it('skips blank lines and rows of empty cells (spreadsheets add them), counting them apart from rows', async () => {
    const { result } = await importText('leads.csv', 'email,firstName\n\nana@example.com,Ana\n,\n  ,  \n\n');
    expect(result).toMatchObject({ rows: 1, accepted: 1, rejected: [], blankLines: 4 });
  });

  it('keeps every value as text unless its column is declared with --number', async () => {
    const csv = 'email,zip,score,visits\nana@example.com,01234,42,7\nben@example.com,02134,-1.5e2,\ncara@example.com,00000,"1,5",3\ndev@example.com,11111,lots,3\n';
    const { profiles, rejected } = await importText('leads.csv', csv, { numberColumns: ['score', 'visits'] });
    expect(profiles.map(([, p]) => p)).toEqual([
      { email: 'ana@example.com', zip: '01234', score: 42, visits: 7 },
      { email: 'ben@example.com', zip: '02134', score: -150 },
    ]);
    expect(rejected).toEqual([
      'line 4, column score ("1,5"): not a number (declared with --number; use a dot for decimals)',
      'line 5, column score ("lots"): not a number (declared with --number)',
    ]);
  });

  it('rejects a row whose profile is over the engine\'s 8 KB, and a customer id over 180 bytes or with control characters', async () => {
    const csv = `customerId,email,bio\nc-1,ana@example.com,${'x'.repeat(9000)}\n${'c'.repeat(181)},ben@example.com,short\n"c-\u0007",cara@example.com,short\nc-4,dev@example.com,fine\n`;
    const { profiles, rejected } = await importText('leads.csv', csv);
    expect(profiles.map(([id]) => id)).toEqual(['c-4']);
    expect(rejected).toEqual([
      'line 2: profile too large: 9,036 bytes of attributes, at most 8,192',
      `line 3, column customerId ("${'c'.repeat(57)}..."): at most 180 bytes: "customerId", the customer the event is about (fewer characters when they are not plain ASCII)`,
      'line 4, column customerId ("c-\\u0007"): "customerId", the customer the event is about cannot contain control characters',
    ]);
  });

  it('rejects a row that is not UTF-8 (a Windows-1252 export), naming the column', async () => {
    const latin1 = Buffer.concat([Buffer.from('email,firstName\nana@example.com,Jos'), Buffer.from([0xe9]), Buffer.from('\nben@example.com,Ben\n')]);
    const { profiles, rejected } = await importText('leads.csv', latin1);
    expect(profiles.map(([, p]) => p.email)).toEqual(['ben@example.com']);
    expect(rejected).toEqual(['line 2, column firstName ("Jos\uFFFD"): not valid UTF-8: save the file as UTF-8 (in Excel: "CSV UTF-8")']);
  });

  it('stops before reading any row when the file cannot be a list: no email column, a column named twice, an unknown --number column', async () => {
    const attempt = (content: string, numberColumns?: string[]) => importList({ file: file('bad.csv', content), audience: 'a', time: TIME, sink: dryRunSink(), ...(numberColumns ? { numberColumns } : {}) });
    await expect(attempt('customerId,mail\nc-1,ana@example.com\n')).rejects.toThrow(/has no "email" column \(its columns are: "customerId", "mail"\)/);
    await expect(attempt('email,name,name\n')).rejects.toThrow(/column "name" appears twice/);
    await expect(attempt('email,score\n', ['scores'])).rejects.toThrow(/--number "scores": no such column/);
    await expect(attempt('')).rejects.toThrow(ListFileError);
  });
});

describe('a JSON Lines list', () => {
  it('takes each line as a row: values keep their JSON types, and bad lines are rejected with their number', async () => {
    const jsonl = [
      '{"customerId": "c-1", "email": "ana@example.com", "plan": "trial", "seats": 3, "tags": ["webinar"]}',
      '',
      '{"id": 7, "email": "ben@example.com"}',
      '{"email": "cara@example.com", "firstName": "Cara"}',
      'not json',
      '["an", "array"]',
      '{"customerId": "c-6", "firstName": "No email"}',
    ].join('\n');
    const { profiles, rejected, result } = await importText('leads.jsonl', jsonl);
    expect(result.format).toBe('jsonl');
    expect(profiles).toEqual([
      ['c-1', { email: 'ana@example.com', plan: 'trial', seats: 3, tags: ['webinar'] }],
      ['7', { email: 'ben@example.com' }],
      [derivedCustomerId('cara@example.com'), { email: 'cara@example.com', firstName: 'Cara' }],
    ]);
    expect(rejected).toEqual([
      expect.stringMatching(/^line 5: invalid JSON: Unexpected token/),
      'line 6: expected a JSON object with "email" (and "customerId" or "id")',
      'line 7: no "email" field',
    ]);
  });
});

describe('importing the same file again', () => {
  const csv = 'customerId,email,firstName\nc-1,ana@example.com,Ana\nc-2,ben@example.com,Ben\n';
  const ids = async (name: string, content: string) => (await importText(name, content)).events.map((e) => e.id);

  it('gives the same event ids (the engine applies an event id once), wherever the file is and whatever order its columns are in', async () => {
    const first = await ids('a.csv', csv);
    expect(await ids('b.csv', csv)).toEqual(first);
    expect(await ids('c.csv', 'firstName,email,customerId\nAna,ana@example.com,c-1\nBen,ben@example.com,c-2\n')).toEqual(first);
  });

  it('gives a new id to a changed row only, and to every row imported into another audience', async () => {
    const first = await ids('a.csv', csv);
    const changed = await ids('b.csv', csv.replace('Ben', 'Benjamin'));
    expect(changed[0]).toBe(first[0]);
    expect(changed[1]).not.toBe(first[1]);
    const other = (await importText('c.csv', csv, { audience: 'autumn-webinar' })).events.map((e) => e.id);
    expect(other.filter((id) => first.includes(id))).toEqual([]);
  });
});

describe('waymark audience import', () => {
  let output: string[];
  beforeEach(() => {
    output = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void output.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args) => void output.push(args.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());
  const printed = () => output.join('\n').replace(/\u001b\[[0-9;]*m/g, '');

  it('writes full EventBridge events for `waymark run --events`, exit code 0 when every row is imported', async () => {
    const list = file('leads.csv', 'customerId,email,score\nc-1,ana@example.com,5\nc-2,ben@example.com,7\n');
    const out = join(dir, 'events.jsonl');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', out, number: ['score'], time: TIME })).toBe(0);
    const { items, rejected } = timelineFromJsonLines(readFileSync(out, 'utf8'));
    expect(rejected).toEqual([]);
    expect(items.map((i) => (i.kind === 'event' ? (i.event as AudienceJoinedEvent).detail : undefined))).toEqual([
      { customerId: 'c-1', audience: 'spring-webinar', profile: { email: 'ana@example.com', score: 5 }, eventId: expect.any(String) },
      { customerId: 'c-2', audience: 'spring-webinar', profile: { email: 'ben@example.com', score: 7 }, eventId: expect.any(String) },
    ]);
    expect(printed()).toContain('✔ 2 of 2 rows → 2 events written to');
    expect(existsSync(rejectedFilePath(list))).toBe(false);
  });

  it('puts the list into a journey that enters on the audience (import --out, then `waymark run --events`)', async () => {
    const webinar = defineWorkflow({
      id: 'spring-webinar-follow-up',
      entry: { on: { 'detail-type': ['Audience Joined'], detail: { audience: ['spring-webinar'] } } },
      steps: { thanks: { type: 'email', template: 'article-1', next: 'pause' }, pause: { type: 'wait', duration: 'P2D', next: 'demo' }, demo: { type: 'email', template: 'demo' } },
    });
    const list = file('leads.csv', 'email,firstName\nana@example.com,Ana\nnope,Nobody\nben@example.com,Ben\n');
    const out = join(dir, 'events.jsonl');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', out, time: TIME })).toBe(1);
    const run = await runTimeline(registryOf(webinar), timelineFromJsonLines(readFileSync(out, 'utf8')));
    expect(run.emails.map((e) => `${new Date(e.at).toISOString().slice(0, 10)} ${e.to} ${e.stepId} "${e.subject}"`)).toEqual([
      '2026-11-02 ana@example.com thanks "Article 1 for Ana"',
      '2026-11-02 ben@example.com thanks "Article 1 for Ben"',
      '2026-11-04 ana@example.com demo "Book a demo"',
      '2026-11-04 ben@example.com demo "Book a demo"',
    ]);
    expect(run.customers.map((c) => c.status)).toEqual(['completed', 'completed']);
    expect(readFileSync(rejectedFilePath(list), 'utf8')).toContain('3,email,nope,not a valid email address');
  });

  it('puts the list into the sample nurture, which enters on the spring webinar\'s registrants too', async () => {
    const list = file('leads.csv', 'email;firstName;timezone\nana@example.com;Ana;Europe/Lisbon\nben@example;Ben;\ndev@example.com;Dev;Asia/Tokyo\n');
    const out = join(dir, 'events.jsonl');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', out, time: TIME })).toBe(1);
    expect(printed()).not.toContain('no journey in workflows enters');
    const loaded = loadValidWorkflows(['workflows']);
    const run = await runTimeline(new WorkflowRegistry(loaded.workflows, loaded.catalogue), timelineFromJsonLines(readFileSync(out, 'utf8')), { until: Date.parse('2026-11-04T00:00:00Z') });
    // Monday 14:00 UTC: 14:00 in Lisbon, inside the window; 23:00 in Tokyo, so Dev's waits for 09:00 there.
    expect(run.emails.map((e) => `${new Date(e.at).toISOString()} ${e.to} ${e.workflowId}/${e.stepId}`)).toEqual([
      '2026-11-02T14:00:00.000Z ana@example.com cold-traffic-nurture/welcome',
      '2026-11-03T00:00:00.000Z dev@example.com cold-traffic-nurture/welcome',
    ]);
    expect(readFileSync(rejectedFilePath(list), 'utf8')).toContain('3,email,ben@example,not a valid email address');
  });

  it('warns, before sending, when no journey enters on the audience (a typo in --audience, or a journey not written yet)', async () => {
    const list = file('leads.csv', 'email\nana@example.com\n');
    expect(await audienceImportCommand(list, { audience: 'spring-webniar', dryRun: true })).toBe(0);
    expect(printed()).toContain('! no journey in workflows enters on audience "spring-webniar" (entry: {"detail-type": ["Audience Joined"], "detail": {"audience": ["spring-webniar"]}})');
  });

  it('exit code 1 when rows were rejected: the others are still written, and the rejected rows are listed beside the input', async () => {
    const list = file('leads.csv', 'email,note\nana@example.com,ok\n=HYPERLINK("http://x"),oops\nben@example.com,ok\n');
    const out = join(dir, 'events.jsonl');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', out })).toBe(1);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(rejectedFilePath(list)).toBe(join(dir, 'leads.rejected.csv'));
    // A value a spreadsheet would run as a formula is defused with a leading quote.
    expect(readFileSync(rejectedFilePath(list), 'utf8')).toBe('line,column,value,reason\r\n3,email,"\'=HYPERLINK(""http://x"")",not a valid email address\r\n');
    expect(printed()).toContain('✖ line 3, column email ("=HYPERLINK(\\"http://x\\")"): not a valid email address');
    expect(printed()).toContain('1 row rejected, each with its line and reason: ');

    // Fixed and imported again: the stale rejected file goes.
    writeFileSync(list, 'email,note\nana@example.com,ok\nben@example.com,ok\n');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', out })).toBe(0);
    expect(existsSync(rejectedFilePath(list))).toBe(false);
  });

  it('--dry-run checks every row and sends nothing', async () => {
    const list = file('leads.csv', 'email\nana@example.com\nnope\n');
    expect(await audienceImportCommand(list, { audience: 'spring-webinar', dryRun: true })).toBe(1);
    expect(printed()).toContain('dry run: 1 of 2 rows would join spring-webinar; nothing was sent');
  });

  it('exit code 2 for a usage error or a file that cannot be a list, with what to do', async () => {
    const list = file('leads.csv', 'email\nana@example.com\n');
    const cases: Array<[Parameters<typeof audienceImportCommand>[1], RegExp]> = [
      [{ audience: 'spring-webinar' }, /where do the events go\? --endpoint URL .* --bus NAME .* --out FILE\.jsonl .* or --dry-run/],
      [{ audience: 'Spring Webinar', dryRun: true }, /--audience: an audience name is lower-case letters, digits and single "-"/],
      [{ audience: 'a', out: 'x.jsonl', bus: 'b' }, /--bus and --out cannot be used together/],
      [{ audience: 'a', out: join(dir, 'events.json') }, /name the file \*\.jsonl/],
      [{ audience: 'a', dryRun: true, rate: '0' }, /--rate expects a number above 0/],
      [{ audience: 'a', dryRun: true, time: 'tomorrow' }, /--time expects an ISO 8601 time/],
    ];
    for (const [options, message] of cases) {
      output = [];
      expect(await audienceImportCommand(list, options), JSON.stringify(options)).toBe(2);
      expect(printed()).toMatch(message);
    }
    output = [];
    expect(await audienceImportCommand(file('no-email.csv', 'customerId,name\n1,Ana\n'), { audience: 'a', dryRun: true })).toBe(2);
    expect(printed()).toMatch(/has no "email" column/);
    expect(await audienceImportCommand(join(dir, 'missing.csv'), { audience: 'a', dryRun: true })).toBe(2);
    expect(printed()).toMatch(/cannot read .*missing\.csv: no such file/);
  });
});

describe('a large list', () => {
  it('streams 100,000 rows without holding the file, and rejects exactly the bad ones', async () => {
    const rows = ['customerId,email,firstName'];
    for (let i = 0; i < 100_000; i++) rows.push(i % 25_000 === 7 ? `c-${i},broken,X` : `c-${i},user${i}@example.com,"User, ${i}"`);
    const path = file('big.csv', `${rows.join('\n')}\n`);
    let count = 0;
    const sink: AudienceSink = { description: 'count', add: async () => void count++, finish: async () => [] };
    const result: ImportResult = await importList({ file: path, audience: 'big', time: TIME, sink });
    expect(count).toBe(99_996);
    expect(result.rejected.map((r: Rejection) => r.line)).toEqual([9, 25_009, 50_009, 75_009]);
  });
});
