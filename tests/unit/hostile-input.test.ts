/**
 * Hostile input, as property tests (fast-check, fixed seeds, no network):
 *
 * - malformed events (any JSON value, missing or wrong-typed fields, huge
 *   strings, payloads beyond EventBridge's 256 KB, deep nesting) are explained,
 *   never thrown: `parseCustomerEvent` gives a reason, the journey service
 *   returns `rejected` with it, and the advance handler sends them to the
 *   dead-letter path with that reason and never fails the batch;
 * - hostile strings in profile fields (CR/LF, markup, quotes, RTL overrides,
 *   emoji, NUL…) come out HTML-escaped in the html body and on one line in the
 *   subject, and no header SES would be asked to send carries a CR or LF: the
 *   SES mailer refuses such an email outright (the SES client is
 *   aws-sdk-client-mock, here only to capture what would have been sent);
 * - malformed workflows (the sample workflows, mutated) are reported problem
 *   by problem, each with its file, a JSON path and a message, never thrown,
 *   one by one (`validateWorkflow`) and as a directory (`loadWorkflows`).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendEmailCommand, type SendEmailCommandInput, SESv2Client } from '@aws-sdk/client-sesv2';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCatalogue } from '../../lib/engine/content';
import { MAX_EVENT_BYTES, MAX_PROFILE_DEPTH, parseCustomerEvent } from '../../lib/engine/events';
import type { ContentItem } from '../../lib/engine/schema';
import { segmentsToJsonPath } from '../../lib/engine/json-path';
import { validateWorkflow } from '../../lib/engine/validate';
import { BufferedCounters } from '../../lib/runtime/counters';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { JourneyService, silentLogger } from '../../lib/runtime/journey-service';
import { type Mailer, RecordingMailer } from '../../lib/runtime/mailer';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { MemoryDeadLetters, MemoryUnknownOutcomes } from '../../lib/runtime/queue';
import { DeliveryService } from '../../lib/runtime/delivery';
import { EmailRenderer } from '../../lib/runtime/render';
import { SesMailer } from '../../lib/runtime/ses-mailer';
import type { OutboxEntry } from '../../lib/runtime/store';
import { SignedUnsubscribeLinks } from '../../lib/runtime/unsubscribe-token';
import { loadContent, loadWorkflows } from '../../lib/runtime/workflow-files';
import { defineWorkflow, registryOf } from '../support/journeys';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const SEED = 20261102;
const links = new SignedUnsubscribeLinks({ baseUrl: 'https://unsubscribe.example/u', key: 'hostile-input-signing-key', mailto: 'unsubscribe@ledgerly.example' });

const content: ContentItem[] = [
  {
    id: 'greeting',
    kind: 'article',
    subject: 'Hello {{ profile.firstName }} from {{ profile.company }}',
    html: '<p id="name">{{ profile.firstName }}</p><p id="company">{{ profile.company }}</p><a href="{{ profile.website }}">site</a><p><a href="{{ unsubscribeUrl }}">Unsubscribe</a></p>',
    text: 'Hi {{ profile.firstName }} ({{ profile.company }})',
  },
];
const workflow = defineWorkflow({ id: 'hostile', steps: { welcome: { type: 'email', template: 'greeting' } } }, content);

/**
 * The advance handler on memory, as `waymark run` wires it, and the send path behind it with the given
 * mailer: after each batch, the emails the batch decided are delivered, as the stream would carry them.
 */
function setUp(mailer: Mailer = new RecordingMailer()) {
  const store = new MemoryStore();
  const deadLetters = new MemoryDeadLetters();
  const counters = new BufferedCounters(store);
  const registry = registryOf(workflow, content);
  const service = new JourneyService({ registry, store, counters, log: silentLogger, sleep: async () => {} });
  const delivery = new DeliveryService({
    registry,
    store,
    mailer,
    links,
    renderer: new EmailRenderer(),
    notices: { suppressed: async () => {} },
    unknown: new MemoryUnknownOutcomes(),
    log: silentLogger,
  });
  const advance = createAdvanceHandler({ service, store, deadLetters, counters, now: () => NOW, log: silentLogger });
  const handler = async (event: SQSEvent) => {
    const response = await advance(event);
    for (const entry of store.takeStream()) await delivery.deliver(entry, NOW, []);
    return response;
  };
  return { store, deadLetters, service, handler };
}

let messageCounter = 0;
function sqsBatch(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: `m-${++messageCounter}`,
      receiptHandle: 'h',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(NOW), SenderId: 'x', ApproximateFirstReceiveTimestamp: String(NOW) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:111122223333:waymark-work',
      awsRegion: 'eu-west-1',
    })),
  };
}

const validEvent = (detail: Record<string, unknown> = {}) => ({
  id: 'evt-1',
  source: 'com.ledgerly.web',
  'detail-type': 'lead.captured',
  time: '2026-11-02T09:00:00Z',
  detail: { customerId: 'ana', profile: { email: 'ana@example.com', firstName: 'Ana' }, ...detail },
});

/** `depth` nested objects around a value, built without recursion. */
function nested(depth: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

// ---------------------------------------------------------------------------------------------
// Malformed events

type Malformed = { event: unknown; /** Where the reason must point, when it is one field. */ field?: string };

/** The event as an SQS body; events nested too deeply for JSON.stringify are written out by hand. */
function bodyOf(event: unknown): string {
  try {
    return JSON.stringify(event);
  } catch {
    const holes: unknown[] = [];
    const shallow = JSON.stringify(event, (_key, value: unknown) => {
      if (value !== null && typeof value === 'object' && 'a' in value && Object.keys(value).length === 1) {
        holes.push(value);
        return '__deep__';
      }
      return value;
    });
    let depth = 0;
    for (let value = holes[0]; value !== null && typeof value === 'object'; value = (value as { a: unknown }).a) depth += 1;
    return shallow.replace('"__deep__"', `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
  }
}

const REQUIRED_FIELDS: Array<{ path: string[]; label: string }> = [
  { path: ['id'], label: 'id' },
  { path: ['source'], label: 'source' },
  { path: ['detail-type'], label: 'detail-type' },
  { path: ['time'], label: 'time' },
  { path: ['detail'], label: 'detail' },
  { path: ['detail', 'customerId'], label: 'detail.customerId' },
];

function withField(path: string[], value: unknown | typeof REMOVE): Record<string, unknown> {
  const event = structuredClone(validEvent()) as Record<string, unknown>;
  let target = event;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
  if (value === REMOVE) delete target[path[path.length - 1]!];
  else target[path[path.length - 1]!] = value;
  return event;
}
const REMOVE = Symbol('remove');

const wrongType = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), fc.constant(''));
const controlCharacter = fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c));

/** A valid event with one thing wrong, and the field the reason must name. */
const malformedEvent: fc.Arbitrary<Malformed> = fc.oneof(
  fc.constantFrom(...REQUIRED_FIELDS).map(({ path, label }) => ({ event: withField(path, REMOVE), field: label })),
  fc.tuple(fc.constantFrom(...REQUIRED_FIELDS.filter((f) => f.label !== 'detail')), wrongType).map(([{ path, label }, value]) => ({ event: withField(path, value), field: label })),
  fc.tuple(fc.constantFrom(...REQUIRED_FIELDS.filter((f) => f.label !== 'detail' && f.label !== 'time')), fc.string({ maxLength: 5 }), controlCharacter, fc.string({ maxLength: 5 })).map(([{ path, label }, a, c, b]) => ({ event: withField(path, `${a}${c}${b}`), field: label })),
  // Huge strings (far below the event limit, far above each field's).
  fc.tuple(fc.constantFrom(REQUIRED_FIELDS[0]!, REQUIRED_FIELDS[1]!, REQUIRED_FIELDS[2]!), fc.integer({ min: 257, max: 100_000 })).map(([{ path, label }, n]) => ({ event: withField(path, 'x'.repeat(n)), field: label })),
  fc.integer({ min: 61, max: 5000 }).map((n) => ({ event: withField(['detail', 'customerId'], '€'.repeat(n)), field: 'detail.customerId' })),
  fc.oneof(fc.string(), fc.constant('2026-11-02'), fc.constant('2026-11-02T09:00:00'), fc.constant('2026-13-45T99:00:00Z'), fc.constant('yesterday')).map((time) => ({ event: withField(['time'], time), field: 'time' })),
  fc.constant({ event: withField(['detail'], ['not', 'an', 'object']), field: 'detail' }),
  fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 })).map((profile) => ({ event: withField(['detail', 'profile'], profile), field: 'detail.profile' })),
  fc.integer({ min: 8 * 1024, max: 64 * 1024 }).map((n) => ({ event: withField(['detail', 'profile'], { email: 'ana@example.com', notes: 'n'.repeat(n) }), field: 'detail.profile' })),
  // Deep nesting: a profile is one map of a DynamoDB item, which nests 32 levels at most; and deeper than any stack.
  fc.integer({ min: MAX_PROFILE_DEPTH, max: 200 }).map((depth) => ({ event: withField(['detail', 'profile'], { email: 'ana@example.com', deep: nested(depth) }), field: 'detail.profile' })),
  fc.constantFrom(10_000, 100_000).map((depth) => ({ event: withField(['detail', 'profile'], { deep: nested(depth) }) })),
  fc.constantFrom(10_000, 100_000).map((depth) => ({ event: withField(['detail', 'context'], nested(depth)) })),
  // Beyond EventBridge's 256 KB, in a field nothing else checks.
  fc.integer({ min: MAX_EVENT_BYTES + 1, max: MAX_EVENT_BYTES + 200_000 }).map((n) => ({ event: withField(['detail', 'notes'], 'x'.repeat(n)) })),
);

/** Any JSON value at all (a customer event is an object with five required fields: none of these is one). */
const anyJson = fc.oneof(fc.jsonValue(), fc.anything(), fc.dictionary(fc.constantFrom('id', 'source', 'detail-type', 'time', 'detail', 'customerId', 'x'), fc.jsonValue({ maxDepth: 3 })));

function expectExplained(reason: unknown, field?: string) {
  expect(typeof reason).toBe('string');
  expect((reason as string).length).toBeGreaterThan(0);
  // An explanation, not an echo of the input (a dead-letter reason attribute holds 1,000 characters).
  expect((reason as string).length).toBeLessThan(1000);
  if (field) expect(reason).toMatch(new RegExp(`(^|; )${field.replace(/[.-]/g, '\\$&')}(\\.|:)`));
}

describe('malformed events', () => {
  it('parseCustomerEvent never throws on any JSON value, and says why it is not an event', () => {
    fc.assert(
      fc.property(anyJson, (raw) => {
        const parsed = parseCustomerEvent(raw);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expectExplained(parsed.reason);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('parseCustomerEvent names the field that is missing, of the wrong type, too long, too large, too deep or badly formed', () => {
    fc.assert(
      fc.property(malformedEvent, ({ event, field }) => {
        const parsed = parseCustomerEvent(event);
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) expectExplained(parsed.reason, field);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('payloads beyond 256 KB, profiles nested deeper than the database allows and nesting no one can read are refused, saying so', () => {
    const huge = parseCustomerEvent(withField(['detail', 'notes'], 'x'.repeat(MAX_EVENT_BYTES)));
    expect(huge).toEqual({ ok: false, reason: expect.stringMatching(/too large.*262144 bytes/) });
    const deep = parseCustomerEvent(withField(['detail', 'context'], nested(100_000)));
    expect(deep).toEqual({ ok: false, reason: expect.stringMatching(/nested too deeply/) });
    // Nesting in fields Waymark does not store is fine within reason, and a profile may nest up to its limit.
    expect(parseCustomerEvent(withField(['detail', 'context'], nested(100))).ok).toBe(true);
    expect(parseCustomerEvent(withField(['detail', 'profile'], { deep: nested(MAX_PROFILE_DEPTH - 1) })).ok).toBe(true);
    expect(parseCustomerEvent(withField(['detail', 'profile'], { deep: nested(MAX_PROFILE_DEPTH) }))).toEqual({
      ok: false,
      reason: `detail.profile: too deeply nested: at most ${MAX_PROFILE_DEPTH} levels of objects and arrays in a profile`,
    });
  });

  it('the journey service returns "rejected" with the reason, and writes and sends nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(malformedEvent.map((m) => m.event), anyJson), async (raw) => {
        const mailer = new RecordingMailer();
        const { service, store } = setUp(mailer);
        const report = await service.apply({ kind: 'event', event: raw }, NOW);
        const parsed = parseCustomerEvent(raw);
        expect(report).toEqual({ status: 'rejected', reason: parsed.ok ? '(valid)' : parsed.reason });
        expect(store.operations).toEqual({ reads: 0, writes: 0 });
        expect(mailer.sent).toEqual([]);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('the advance handler sends each to the dead-letter path with its reason, and never fails the batch', async () => {
    /** Bodies as SQS hands them over: malformed events, and strings that are not even JSON objects. */
    const body = fc.oneof(
      malformedEvent.map((m) => bodyOf(m.event)),
      anyJson.map((v) => JSON.stringify(v) ?? 'undefined'),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom('', '{', 'null', '[]', '"lead.captured"', '{"type":"waymark.wake","customerId":7}', `{"detail":${'['.repeat(50_000)}${']'.repeat(50_000)}}`),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(body, { minLength: 1, maxLength: 6 }), fc.nat(), async (bad, at) => {
        const mailer = new RecordingMailer();
        const { handler, deadLetters } = setUp(mailer);
        const good = JSON.stringify(validEvent());
        const bodies = [...bad];
        bodies.splice(at % (bad.length + 1), 0, good);

        const response = await handler(sqsBatch(bodies));

        expect(response).toEqual({ batchItemFailures: [] });
        // Each bad body once (different customers' inputs are applied concurrently, so not in the batch's order).
        expect(deadLetters.entries.map((e) => e.body).sort()).toEqual([...bad].sort());
        for (const entry of deadLetters.entries) expectExplained(entry.reason);
        // The valid event in the same batch was applied.
        expect(mailer.sent.map((e) => e.to)).toEqual(['ana@example.com']);
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile strings

const FRAGMENTS = [
  '\r\n',
  '\n',
  '\r',
  '\r\nBcc: victim@example.com',
  '\nSubject: hijacked',
  '<script>alert(1)</script>',
  '<SCRIPT SRC=//evil.example/x.js>',
  '</p><img src=x onerror=alert(1)>',
  '"',
  "'",
  '"><script>',
  '&',
  '&amp;lt;',
  '\u202e',
  '\u202d',
  '\u2066',
  '\u0000',
  '\u2028',
  '\u0085',
  '\ufeff',
  '😀',
  '👩🏽‍💻',
  'é',
  '日本語',
  '\t',
  '{{ unsubscribeUrl }}',
  '{% raw %}',
  '=?UTF-8?B?PHNjcmlwdD4=?=',
  'Ana',
];
const hostile = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) }, fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ maxLength: 6 })), { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join(''));
/** Addresses: plain ones, and ones carrying a header injection or other hostile text. */
const address = fc.oneof(
  fc.constantFrom('ana@example.com', 'ana+news@example.com', 'ANA@Example.COM'),
  hostile.map((text) => `ana${text}@example.com`),
  hostile.map((text) => `ana@example.com${text}`),
);

const CRLF = /[\r\n]/;
const SCRIPT = /<script/i;

/** What Liquid's `escape` filter turns back into: the escaped text → the original. */
const unescapeHtml = (html: string) => html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** The text between `<p id="…">` and the next `</p>`. */
function paragraph(html: string, id: string): string {
  const start = html.indexOf(`<p id="${id}">`) + `<p id="${id}">`.length;
  return html.slice(start, html.indexOf('</p>', start));
}

/** Every value of a SendEmail input that becomes a header line. */
function headerValues(input: SendEmailCommandInput): Record<string, string[]> {
  return {
    From: [input.FromEmailAddress ?? ''],
    To: input.Destination?.ToAddresses ?? [],
    'Reply-To': input.ReplyToAddresses ?? [],
    Subject: [input.Content?.Simple?.Subject?.Data ?? ''],
    ...Object.fromEntries((input.Content?.Simple?.Headers ?? []).map((h) => [h.Name ?? '', [h.Value ?? '']])),
  };
}

const ses = mockClient(SESv2Client);
const sesClient = new SESv2Client({ region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const sentToSes = (): SendEmailCommandInput[] => ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input);

describe('hostile strings in profile fields', () => {
  beforeEach(() => {
    ses.reset();
    ses.on(SendEmailCommand).resolves({ MessageId: 'ses-1' });
  });

  it('through the whole path (event → journey → render → SES): escaped html, one-line subject, no CR/LF in any header', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, hostile, hostile, address, async (firstName, company, website, email) => {
        ses.resetHistory();
        const { handler, deadLetters } = setUp(new SesMailer(sesClient, { baseDelayMs: 0 }));
        const event = validEvent({ profile: { email, firstName, company, website } });

        const response = await handler(sqsBatch([JSON.stringify(event)]));

        expect(response).toEqual({ batchItemFailures: [] });
        expect(deadLetters.entries).toEqual([]);
        const inputs = sentToSes();
        // An address with a line break (or anything else that is not an address) is never a recipient.
        if (CRLF.test(email)) expect(inputs).toEqual([]);
        for (const input of inputs) {
          for (const [header, values] of Object.entries(headerValues(input))) {
            for (const value of values) expect({ header, value, injected: CRLF.test(value) }).toEqual({ header, value, injected: false });
          }
          const subject = input.Content!.Simple!.Subject!.Data!;
          expect(subject.length).toBeLessThanOrEqual(998);
          const html = input.Content!.Simple!.Body!.Html!.Data!;
          expect(html).not.toMatch(SCRIPT);
          // The data is all there, escaped: nothing of it can open or close a tag or an attribute.
          for (const [id, value] of [['name', firstName], ['company', company]] as const) {
            const shown = paragraph(html, id);
            expect(shown).not.toMatch(/[<>"']/);
            expect(unescapeHtml(shown)).toBe(value);
          }
          // In an attribute too: the value cannot close the quotes it stands in.
          const href = /<a href="([^"<>]*)">site<\/a>/.exec(html);
          expect(href && unescapeHtml(href[1]!)).toBe(website);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('the SES mailer refuses an email with a CR or LF in From, To, Reply-To, Subject or List-Unsubscribe, and sends nothing', async () => {
    const entry = (to: string): OutboxEntry => ({ seq: 1, customerId: 'ana', workflowId: 'hostile', version: 1, stepId: 'welcome', stage: null, contentId: 'greeting', to, at: NOW, decidedAt: NOW });
    const field = fc.oneof(fc.constant(undefined), hostile);
    await fc.assert(
      fc.asyncProperty(fc.record({ from: field, replyTo: field, to: field, subject: field, unsubscribeUrl: field, mailto: field }), async (parts) => {
        ses.resetHistory();
        const mailer = new SesMailer(sesClient, { baseDelayMs: 0, configurationSetName: 'waymark' });
        const to = parts.to ?? 'ana@example.com';
        const unsubscribe = { url: `https://unsubscribe.example/u?token=t${parts.unsubscribeUrl ?? ''}`, ...(parts.mailto === undefined ? {} : { mailto: `mailto:${parts.mailto}` }) };
        const email = {
          entry: entry(to),
          from: `Ledgerly <hello@ledgerly.example>${parts.from ?? ''}`,
          replyTo: parts.replyTo,
          rendered: { subject: parts.subject ?? 'Hello', html: '<p>Hi</p>', text: 'Hi' },
          unsubscribe,
          item: content[0]!,
        };
        const headerBound = [email.from, email.replyTo, to, email.rendered.subject, unsubscribe.url, unsubscribe.mailto].filter((v): v is string => v !== undefined);

        const outcome = await mailer.send(email);

        if (headerBound.some((v) => CRLF.test(v))) {
          expect(outcome).toEqual({ status: 'rejected', reason: expect.stringMatching(/^the (From|Reply-To|To|Subject|List-Unsubscribe) header contains a line break \(refused: header injection\)$/) });
          expect(sentToSes()).toEqual([]);
        } else {
          expect(outcome).toEqual({ status: 'sent', messageId: 'ses-1' });
          for (const values of Object.values(headerValues(sentToSes()[0]!))) for (const value of values) expect(value).not.toMatch(CRLF);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('the renderer escapes hostile data in html and keeps subjects on one line, whatever the subject template holds', async () => {
    const renderer = new EmailRenderer();
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom('Hi {{ profile.firstName }}', 'Line one\r\nBcc: x@evil.example {{ profile.firstName }}', '{{ profile.firstName }}\n\n\t{{ profile.firstName }}'), async (firstName, subject) => {
        const item: ContentItem = { id: `subject-${subject.length}`, kind: 'article', subject, html: '<p id="name">{{ profile.firstName }}</p>' };
        const email = await renderer.render(item, { profile: { firstName }, event: {}, journey: {}, unsubscribeUrl: 'https://unsubscribe.example/u?token=t' });
        expect(email.subject).not.toMatch(CRLF);
        expect(email.html).not.toMatch(SCRIPT);
        expect(unescapeHtml(paragraph(email.html, 'name'))).toBe(firstName);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed workflows

const SAMPLES = ['workflows/cold-traffic-nurture.json', 'workflows/post-purchase.json'];
const samples = SAMPLES.map((file) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
const catalogue = createCatalogue(loadContent('workflows/content').items);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;

/** Every path in a JSON document (not the root). */
function pathsOf(value: Json, prefix: Segment[] = []): Segment[][] {
  if (value === null || typeof value !== 'object') return [];
  const entries: Array<[Segment, Json]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return entries.flatMap(([key, child]) => [[...prefix, key], ...pathsOf(child, [...prefix, key])]);
}

/** The fields that name a step: [path, for a mutation that makes it dangle]. */
function referencesOf(document: Json): Segment[][] {
  return pathsOf(document).filter((path) => {
    const last = path[path.length - 1];
    const parent = path[path.length - 2];
    return (
      (path.length === 1 && last === 'start') ||
      (path[0] === 'steps' && (last === 'next' || last === 'else' || last === 'timeoutNext')) ||
      (path[0] === 'goal' && last === 'then' && parent === 'goal')
    );
  });
}

function parentOf(document: Json, path: Segment[]): Record<string | number, Json> {
  let target = document as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, Json>;
  return target;
}

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'unknown-field'; at: number; name: string; value: Json }
  | { kind: 'pattern'; at: number; value: Json }
  | { kind: 'dangling'; at: number; target: string };

const garbagePattern: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    'lead.captured',
    [],
    [{ prefix: 5 }],
    [{ numeric: ['>>', 'x'] }],
    [{ numeric: ['>', 1, '<'] }],
    [{ 'anything-but': {} }],
    [{ wildcard: '***' }],
    [{ exists: 'yes' }],
    [{ 'equals-ignore-case': 3 }],
    [{ suffix: [] }],
    [{ unknownOperator: 1 }],
    { $or: 'x' },
    { $or: [] },
    [[[['deep']]]],
  ),
  fc.string(),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }) as fc.Arbitrary<Json>), { maxLength: 3 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string(), fc.string({ unit: 'binary' }), fc.array(fc.integer(), { maxLength: 2 }), fc.constant({})) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('unknown-field' as const), at: fc.nat(), name: fc.oneof(fc.constantFrom('nxt', 'timeout', 'tempalte', 'Next', '__proto__', 'constructor'), fc.string({ maxLength: 10 })), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }),
  fc.record({ kind: fc.constant('pattern' as const), at: fc.nat(), value: garbagePattern }),
  fc.record({ kind: fc.constant('dangling' as const), at: fc.nat(), target: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('trail?', 'welcom', 'guide ', 'GUIDE', '')) }),
);

/**
 * A mutation that removed or replaced `path` also removed the dangling references under it; deleting
 * from an array shifts the later elements, so any reference in that array no longer has its path.
 */
function forgetDanglingUnder(dangling: Array<{ path: string; holder: string }>, path: Segment[], inArray: boolean): void {
  const gone = segmentsToJsonPath(inArray ? path.slice(0, -1) : path);
  const under = (inner: string) => inner === gone || inner.startsWith(`${gone}.`) || inner.startsWith(`${gone}[`);
  for (let i = dangling.length - 1; i >= 0; i--) if (under(dangling[i]!.path)) dangling.splice(i, 1);
}

/** Applies mutations to a copy; returns it with the JSON paths of the references made dangling. */
function mutate(sample: Record<string, unknown>, mutations: Mutation[]): { document: Json; dangling: Array<{ path: string; holder: string }> } {
  const document = structuredClone(sample) as Json;
  const dangling: Array<{ path: string; holder: string }> = [];
  for (const m of mutations) {
    const paths = pathsOf(document);
    if (paths.length === 0) break;
    switch (m.kind) {
      case 'delete': {
        const path = paths[m.at % paths.length]!;
        const parent = parentOf(document, path);
        if (Array.isArray(parent)) parent.splice(path[path.length - 1] as number, 1);
        else delete parent[path[path.length - 1]!];
        forgetDanglingUnder(dangling, path, Array.isArray(parent));
        break;
      }
      case 'replace': {
        const path = paths[m.at % paths.length]!;
        parentOf(document, path)[path[path.length - 1]!] = m.value;
        forgetDanglingUnder(dangling, path, false);
        break;
      }
      case 'unknown-field': {
        const objects = [[], ...paths].filter((p) => {
          const value = p.length === 0 ? document : parentOf(document, p)[p[p.length - 1]!];
          return value !== null && typeof value === 'object' && !Array.isArray(value);
        });
        const path = objects[m.at % objects.length]!;
        const target = (path.length === 0 ? document : parentOf(document, path)[path[path.length - 1]!]) as Record<string, Json>;
        Object.defineProperty(target, m.name, { value: m.value, enumerable: true, writable: true, configurable: true });
        break;
      }
      case 'pattern': {
        const patterns = paths.filter((p) => p[p.length - 1] === 'on' || p[p.length - 1] === 'if' || (p[0] === 'exitOn' && p.length === 2));
        if (patterns.length === 0) break;
        const path = patterns[m.at % patterns.length]!;
        const pattern = parentOf(document, path)[path[path.length - 1]!];
        if (pattern !== null && typeof pattern === 'object' && !Array.isArray(pattern)) {
          const keys = Object.keys(pattern);
          (pattern as Record<string, Json>)[keys.length > 0 ? keys[m.at % keys.length]! : 'detail-type'] = m.value;
        } else {
          parentOf(document, path)[path[path.length - 1]!] = m.value;
        }
        break;
      }
      case 'dangling': {
        const references = referencesOf(document);
        const steps = (document as { steps?: unknown }).steps;
        const ids = steps !== null && typeof steps === 'object' ? Object.keys(steps) : [];
        if (references.length === 0 || ids.includes(m.target)) break;
        const path = references[m.at % references.length]!;
        parentOf(document, path)[path[path.length - 1]!] = m.target;
        dangling.push({ path: segmentsToJsonPath(path), holder: segmentsToJsonPath(path[0] === 'steps' ? path.slice(0, 2) : path.slice(0, -1)) });
        break;
      }
    }
  }
  return { document, dangling };
}

function expectProblemsWellFormed(problems: Array<{ file: string; path: string; message: string }>, file: string) {
  for (const problem of problems) {
    expect(problem.file).toBe(file);
    expect(problem.path).toMatch(/^\$/);
    expect(typeof problem.message).toBe('string');
    expect(problem.message.trim().length).toBeGreaterThan(0);
  }
}

describe('malformed workflows', () => {
  it('the samples are valid as they are (the mutations start from there)', () => {
    for (const [i, sample] of samples.entries()) expect(validateWorkflow(sample, { file: SAMPLES[i]!, catalogue }).problems).toEqual([]);
  });

  it('validateWorkflow never throws on a mutated sample, and reports each problem with its file, a JSON path and a message', () => {
    fc.assert(
      fc.property(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (which, mutations) => {
        const { document, dangling } = mutate(samples[which]!, mutations);
        const result = validateWorkflow(document, { file: 'workflows/mutant.json', catalogue });
        if (result.ok) return;
        expect(result.problems.length).toBeGreaterThan(0);
        expectProblemsWellFormed(result.problems, 'workflows/mutant.json');
        // A reference to a step that does not exist is reported where it is, unless a value above it failed its
        // shape (an unknown field beside it does not count), or the step (or goal) holding it is malformed
        // itself, and so cannot be followed.
        for (const { path, holder } of dangling) {
          const within = (inner: string, outer: string) => inner === outer || inner.startsWith(`${outer}.`) || inner.startsWith(`${outer}[`);
          const reported = result.problems.some(
            (p) => p.path === path || (within(path, p.path) && !p.message.startsWith('unknown field')) || (holder !== '$' && within(p.path, holder)),
          );
          expect({ path, reported }).toEqual({ path, reported: true });
        }
        // A field in the wrong place is never offered as its own correction.
        for (const problem of result.problems) expect(problem.message).not.toMatch(/unknown field "([^"]*)" \(did you mean "\1"\?\)/);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('an unknown top-level field hides no other problem, and a field in the wrong place is not offered as its own fix', () => {
    const document = structuredClone(samples[0]!) as { exitOnn?: unknown; start: string; steps: { welcome: { content: Record<string, unknown> } } };
    document.exitOnn = [];
    document.start = 'holdot';
    document.steps.welcome.content.timeout = 'P1D';
    const problems = validateWorkflow(document, { file: 'f.json', catalogue }).problems.map((p) => `${p.path}: ${p.message}`);
    expect(problems).toEqual(
      expect.arrayContaining([
        '$: unknown field "exitOnn" (did you mean "exitOn"?)',
        '$.steps.welcome.content: unknown field "timeout"',
        '$.start: no step named "holdot" (did you mean "holdout"?)',
      ]),
    );
  });

  it('validateWorkflow never throws on any JSON value, and says what is wrong', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (raw) => {
        const result = validateWorkflow(raw, { file: 'x.json', catalogue });
        expect(result.ok).toBe(false);
        expect(result.problems.length).toBeGreaterThan(0);
        expectProblemsWellFormed(result.problems, 'x.json');
      }),
      { seed: SEED, numRuns: 200 },
    );
    // Nesting deeper than any stack, where a pattern or a step should be.
    for (const where of ['entry', 'steps', 'goal'] as const) {
      const deep = { ...samples[0], [where]: where === 'steps' ? { welcome: nested(100_000) } : { on: nested(100_000) } };
      const result = validateWorkflow(deep, { file: 'deep.json', catalogue });
      expect(result.ok).toBe(false);
      expectProblemsWellFormed(result.problems, 'deep.json');
    }
  });

  describe('loadWorkflows on a directory of them', () => {
    const directories: string[] = [];
    afterAll(() => {
      for (const directory of directories) rmSync(directory, { recursive: true, force: true });
    });

    it('never throws, and lists every file with its problems (file, JSON path, message)', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: samples.length - 1 }), fc.array(mutation, { minLength: 0, maxLength: 3 })), { minLength: 1, maxLength: 5 }),
          fc.subarray(['', '{', 'null', '[]', '{"id": 5}', '\u0000\u0001binary', `${'['.repeat(20_000)}${']'.repeat(20_000)}`, '{"steps": {"a": {"type": "email", "next": "a"}}}']),
          (mutants, garbage) => {
            const directory = mkdtempSync(join(tmpdir(), 'waymark-hostile-'));
            directories.push(directory);
            mutants.forEach(([which, mutations], i) => writeFileSync(join(directory, `mutant-${i}.json`), JSON.stringify(mutate(samples[which]!, mutations).document)));
            garbage.forEach((text, i) => writeFileSync(join(directory, `garbage-${i}.json`), text));

            const loaded = loadWorkflows([directory], { contentDirectory: 'workflows/content', displayBase: directory });

            expect(loaded.files.map((f) => f.file).sort()).toEqual([...mutants.map((_, i) => `mutant-${i}.json`), ...garbage.map((_, i) => `garbage-${i}.json`)].sort());
            for (const file of loaded.files) {
              expectProblemsWellFormed(file.problems, file.file);
              expect(file.workflow === undefined).toBe(file.problems.length > 0);
            }
            for (const [i] of garbage.entries()) expect(loaded.files.find((f) => f.file === `garbage-${i}.json`)!.problems.length).toBeGreaterThan(0);
            expect(loaded.problems).toEqual([]);
          },
        ),
        { seed: SEED, numRuns: 40 },
      );
    });
  });
});
