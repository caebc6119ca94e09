/**
 * What reaches the recipient, read back from the local SES server's store
 * (`GET /store`): recipients, subjects, rendered and escaped content, the
 * RFC 8058 one-click unsubscribe headers, and what happens when the link is used.
 * Then SES's own events: opens and clicks move journeys, bounces and complaints suppress.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { emailTags } from '../../lib/runtime/ses-events';
import type { OutboxEntry } from '../../lib/runtime/store';
import { signUnsubscribeToken } from '../../lib/runtime/unsubscribe-token';
import { defineWorkflow, registryOf } from '../support/journeys';
import { createLocalRuntime, header, UNSUBSCRIBE_URL, uniqueAddress } from '../support/local-runtime';

const content = [
  {
    id: 'hello',
    kind: 'article',
    subject: 'Hello {{ profile.firstName | default: "there" }} from {{ profile.company | default: "us" }}',
    html: '<p>Hi {{ profile.firstName }}, welcome to {{ profile.company }}.</p><p><a href="https://ledgerly.example/start">Start</a></p>',
  },
  { id: 'second', kind: 'article', subject: 'Part two', html: '<p>More.</p>', text: 'More. Unsubscribe: {{ unsubscribeUrl }}' },
];
const workflow = defineWorkflow(
  {
    id: 'email-journey',
    steps: {
      hello: { type: 'email', template: 'hello', next: 'clicked?' },
      'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P2D' }, next: 'second', timeoutNext: 'done' },
      second: { type: 'email', template: 'second' },
      done: { type: 'exit' },
    },
    settings: { from: 'Ledgerly Café <hello@ledgerly.example>', replyTo: 'team@ledgerly.example' },
  },
  content,
);
const registry = registryOf(workflow, content);

function lead(customerId: string, profile: Record<string, unknown>) {
  return { id: `lead-${customerId}`, source: 'test.web', 'detail-type': 'lead.captured', time: '2026-11-02T10:00:00Z', detail: { customerId, profile } };
}

function functionUrlEvent(method: 'GET' | 'POST', url: string, body?: string): LambdaFunctionURLEvent {
  const parsed = new URL(url);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: parsed.pathname,
    rawQueryString: parsed.search.slice(1),
    queryStringParameters: Object.fromEntries(parsed.searchParams),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requestContext: { http: { method, path: parsed.pathname, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' } } as LambdaFunctionURLEvent['requestContext'],
    isBase64Encoded: false,
    ...(body === undefined ? {} : { body }),
  };
}

/** Our handler always answers with a structured result, never a bare string. */
const asResult = (result: LambdaFunctionURLResult) => result as Exclude<LambdaFunctionURLResult, string>;

describe('the email a customer receives', () => {
  it('is addressed, rendered with escaped customer data, and carries one-click unsubscribe headers', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('rendered');
    await runtime.send(lead('c-render', { email: address, firstName: 'Ana', company: 'Silva & <Sons>' }));

    const [message] = await runtime.messagesTo(address);
    expect(message).toBeDefined();
    expect(message!.destination.to).toEqual([address]);
    expect(message!.from).toBe('=?UTF-8?B?TGVkZ2VybHkgQ2Fmw6k=?= <hello@ledgerly.example>');
    expect(message!.replyTo).toEqual(['team@ledgerly.example']);
    expect(message!.subject).toBe('Hello Ana from Silva & <Sons>');
    expect(message!.body.html).toContain('welcome to Silva &amp; &lt;Sons&gt;.');
    expect(message!.body.text).toContain('Start (https://ledgerly.example/start)');

    const listUnsubscribe = header(message!, 'List-Unsubscribe')!;
    expect(listUnsubscribe).toMatch(new RegExp(`^<${UNSUBSCRIBE_URL}\\?token=v2\\.[\\w-]+>, <mailto:unsubscribe@ledgerly\\.example\\?subject=unsubscribe%20v2\\.[\\w-]+>$`));
    // The token is sealed: whoever sees the link or the mailto subject cannot read the address from it.
    expect(listUnsubscribe).not.toContain(address.split('@')[0]!);
    expect(header(message!, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    // The template had no unsubscribe link: one was added, to the same signed URL.
    const url = /<(https:[^>]+)>/.exec(listUnsubscribe)![1]!;
    expect(message!.body.html).toContain(url.replace(/&/g, '&amp;'));
    expect(message!.body.text).toContain(`Unsubscribe: ${url}`);
  });

  it('one click on the unsubscribe link stops every later email, and the journey ends "suppressed"', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('unsubscriber');
    await runtime.send(lead('c-unsub', { email: address }));
    const [first] = await runtime.messagesTo(address);
    const url = /<(https:[^>]+)>/.exec(header(first!, 'List-Unsubscribe')!)![1]!;

    // A mail scanner opening the link changes nothing: GET only shows the confirmation page.
    const page = asResult(await runtime.unsubscribe(functionUrlEvent('GET', url)));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect(await runtime.store.isSuppressed(address)).toBe(false);

    // The mail client's one-click POST (RFC 8058) unsubscribes at once.
    const done = asResult(await runtime.unsubscribe(functionUrlEvent('POST', url, 'List-Unsubscribe=One-Click')));
    expect(done.statusCode).toBe(200);
    expect(await runtime.store.isSuppressed(address)).toBe(true);
    // The mail client retries: the same answer, and the unsubscribe is counted once (below).
    const replay = asResult(await runtime.unsubscribe(functionUrlEvent('POST', url, 'List-Unsubscribe=One-Click')));
    expect(replay.statusCode).toBe(200);

    // The click that would have sent part two arrives: no email goes.
    runtime.clock.now = Date.parse('2026-11-02T12:00:00Z');
    await runtime.send({ id: 'click-unsub', source: 'aws.ses', 'detail-type': 'Email Clicked', time: '2026-11-02T12:00:00Z', detail: { customerId: 'c-unsub', workflowId: 'email-journey' } });
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Hello there from us']);
    expect((await runtime.journey('c-unsub', 'email-journey'))?.state.status).toBe('suppressed');
    const counters = await runtime.store.readCounters('email-journey');
    expect(counters.filter((r) => r.name === 'email.unsubscribed')).toEqual([expect.objectContaining({ stepId: 'hello', value: 1 })]);
  });

  it('refuses a forged or tampered token', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const forged = signUnsubscribeToken({ address: 'victim@example.com', customerId: 'x', workflowId: 'email-journey', stepId: 'hello', issuedAt: 0 }, 'not-the-real-key-at-all');
    const response = asResult(await runtime.unsubscribe(functionUrlEvent('POST', `${UNSUBSCRIBE_URL}?token=${forged}`, 'List-Unsubscribe=One-Click')));
    expect(response.statusCode).toBe(400);
    expect(await runtime.store.isSuppressed('victim@example.com')).toBe(false);
  });
});

describe('SES events through the ses-events handler', () => {
  function sesEvent(detailType: string, eventType: string, entry: OutboxEntry, detail: Record<string, unknown> = {}) {
    const tags = Object.fromEntries(emailTags(entry).map((t) => [t.Name, [t.Value]]));
    return {
      version: '0',
      id: `${eventType}-${entry.customerId}-${Math.random()}`,
      source: 'aws.ses',
      'detail-type': detailType,
      account: '000000000000',
      region: 'us-east-1',
      resources: [],
      time: '2026-11-02T11:00:00Z',
      detail: { eventType, mail: { timestamp: '2026-11-02T10:00:00Z', messageId: 'm-1', destination: [entry.to], tags }, ...detail },
    };
  }

  it('a click on the email reaches the journey as "Email Clicked", counted once per email, and ends its wait', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const address = uniqueAddress('clicker');
    await runtime.send(lead('c-click/ü', { email: address }));
    const entry = { seq: 1, customerId: 'c-click/ü', workflowId: 'email-journey', version: 1, stepId: 'hello', stage: null, contentId: 'hello', to: address, at: 0, decidedAt: 0 };
    runtime.clock.now = Date.parse('2026-11-02T11:00:00Z');
    await runtime.sesEvents(sesEvent('Email Opened', 'Open', entry, { open: { timestamp: '2026-11-02T11:00:00Z' } }) as never);
    await runtime.sesEvents(sesEvent('Email Clicked', 'Click', entry, { click: { link: 'https://ledgerly.example/start' } }) as never);
    await runtime.sesEvents(sesEvent('Email Clicked', 'Click', entry, { click: { link: 'https://ledgerly.example/start' } }) as never);
    await runtime.deliver(runtime.queue.take(10));

    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Hello there from us', 'Part two']);
    const state = (await runtime.journey('c-click/ü', 'email-journey'))?.state;
    expect(state).toMatchObject({ status: 'completed', opens: 1, clicks: 1 });
    const counters = await runtime.store.readCounters('email-journey');
    const count = (name: string) => counters.filter((r) => r.name === name && r.stepId === 'hello').reduce((sum, r) => sum + r.value, 0);
    expect([count('email.sent'), count('email.opened'), count('email.clicked')]).toEqual([1, 1, 1]);
  });

  it('a permanent bounce or a complaint suppresses the address; a transient bounce does not', async () => {
    const runtime = await createLocalRuntime({ registry, start: '2026-11-02T10:00:00Z' });
    const addresses = { permanent: uniqueAddress('hard'), transient: uniqueAddress('soft'), complaint: uniqueAddress('angry') };
    const entry = (to: string, customerId: string): OutboxEntry => ({ seq: 1, customerId, workflowId: 'email-journey', version: 1, stepId: 'hello', stage: null, contentId: 'hello', to, at: 0, decidedAt: 0 });
    await runtime.sesEvents(sesEvent('Email Bounced', 'Bounce', entry(addresses.permanent, 'c-hard'), { bounce: { bounceType: 'Permanent', bounceSubType: 'NoEmail', bouncedRecipients: [{ emailAddress: addresses.permanent }] } }) as never);
    await runtime.sesEvents(sesEvent('Email Bounced', 'Bounce', entry(addresses.transient, 'c-soft'), { bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: addresses.transient }] } }) as never);
    await runtime.sesEvents(sesEvent('Email Complaint Received', 'Complaint', entry(addresses.complaint, 'c-angry'), { complaint: { complainedRecipients: [{ emailAddress: addresses.complaint }], complaintFeedbackType: 'abuse' } }) as never);

    expect(await runtime.store.isSuppressed(addresses.permanent)).toBe(true);
    expect(await runtime.store.isSuppressed(addresses.transient)).toBe(false);
    expect(await runtime.store.isSuppressed(addresses.complaint)).toBe(true);
    // The customer is flagged too: their next journey decides no email at all.
    expect((await runtime.store.loadCustomer('c-angry')).suppressed).toBe(true);
    const counters = await runtime.store.readCounters('email-journey');
    expect(counters.filter((r) => r.stepId === 'hello').map((r) => r.name).sort()).toEqual(['email.bounced', 'email.bounced.transient', 'email.complained']);
  });
});
