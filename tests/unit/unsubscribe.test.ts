/**
 * Unsubscribing. Every email carries a signed link; the unsubscribe function
 * (a Lambda function URL) trusts the link's signature, not a lookup:
 *
 * - GET shows a confirmation page and changes nothing (link scanners open links);
 * - POST (RFC 8058 one-click from the mail client, or the page's button)
 *   suppresses the address at once and counts the unsubscribe for the step.
 */
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createUnsubscribeHandler, maskAddress } from '../../lib/runtime/handlers/unsubscribe';
import type { Logger } from '../../lib/runtime/journey-service';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { signUnsubscribeToken, type UnsubscribeClaims, verifyUnsubscribeToken } from '../../lib/runtime/unsubscribe-token';

const currentKey = 'current-signing-key-0123456789abcdef';
const previousKey = 'previous-signing-key-0123456789abcdef';

const claims: UnsubscribeClaims = { address: 'ana.silva@example.com', customerId: 'ana', workflowId: 'cold-traffic-nurture', stepId: 'welcome', issuedAt: 1_793_613_600 };

const NOW = Date.parse('2026-11-23T09:30:00Z');

/** A Lambda function URL request to the unsubscribe function. */
function request(method: string, options: { token?: string; body?: string; base64?: boolean } = {}): LambdaFunctionURLEvent {
  const rawQueryString = options.token === undefined ? '' : `token=${encodeURIComponent(options.token)}`;
  const body = options.body === undefined ? undefined : options.base64 ? Buffer.from(options.body, 'utf8').toString('base64') : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString,
    headers: { host: 'abc123.lambda-url.eu-west-1.on.aws', ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }) },
    ...(options.token === undefined ? {} : { queryStringParameters: { token: options.token } }),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc123',
      domainName: 'abc123.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc123',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Mozilla/5.0' },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '23/Nov/2026:09:30:00 +0000',
      timeEpoch: NOW,
    },
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: options.base64 ?? false,
  };
}

function recordingLogger() {
  const lines: Array<{ level: string; message: string; data?: Record<string, unknown> }> = [];
  const log: Logger = {
    info: (message, data) => void lines.push({ level: 'info', message, ...(data ? { data } : {}) }),
    warn: (message, data) => void lines.push({ level: 'warn', message, ...(data ? { data } : {}) }),
    error: (message, data) => void lines.push({ level: 'error', message, ...(data ? { data } : {}) }),
  };
  return { log, lines };
}

/** The handler on a memory store, with the current and previous keys. */
function setUp(options: { keys?: string[]; brand?: string } = {}) {
  const store = new MemoryStore();
  const { log, lines } = recordingLogger();
  const handler = createUnsubscribeHandler({ store, keys: async () => options.keys ?? [currentKey, previousKey], now: () => NOW, log, ...(options.brand ? { brand: options.brand } : {}) });
  const call = async (event: LambdaFunctionURLEvent) => (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { store, call, lines };
}

const unsubscribedCount = async (store: MemoryStore, workflowId = 'cold-traffic-nurture', stepId = 'welcome') =>
  (await store.readCounters(workflowId)).filter((r) => r.name === 'email.unsubscribed' && r.stepId === stepId).reduce((sum, r) => sum + r.value, 0);

describe('unsubscribe tokens', () => {
  it('round-trips the claims through signing and verification', () => {
    // Prepare
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const verdict = verifyUnsubscribeToken(token, [currentKey]);

    // Assess: URL-safe as it is, and the claims come back whole.
    expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verdict).toEqual({ ok: true, claims });
  });

  it('refuses a token whose payload was changed (another address)', () => {
    // Prepare: the payload of a token for someone else, under Ana's signature.
    const [version, , signature] = signUnsubscribeToken(claims, currentKey).split('.');
    const [, otherPayload] = signUnsubscribeToken({ ...claims, address: 'victim@example.com' }, 'attacker-key-0123456789').split('.');

    // Act
    const verdict = verifyUnsubscribeToken(`${version}.${otherPayload}.${signature}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('refuses a token whose signature was changed', () => {
    // Prepare: one character of the signature changed (the first, which carries only signature bits).
    const [version, payload, signature] = signUnsubscribeToken(claims, currentKey).split('.') as [string, string, string];
    const changed = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

    // Act
    const verdict = verifyUnsubscribeToken(`${version}.${payload}.${changed}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('accepts a token signed with the previous key while that key is listed, and refuses it after', () => {
    // Prepare: a token from before the rotation.
    const token = signUnsubscribeToken(claims, previousKey);

    // Act
    const duringRotation = verifyUnsubscribeToken(token, [currentKey, previousKey]);
    const afterRotation = verifyUnsubscribeToken(token, [currentKey]);

    // Assess
    expect(duringRotation).toEqual({ ok: true, claims });
    expect(afterRotation).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it.each([
    ['an empty string', ''],
    ['a version only', 'v1'],
    ['empty parts', 'v1..'],
    ['another version', 'v2.eyJ9.c2ln'],
    ['too many parts', 'v1.a.b.c'],
    ['characters outside base64url', 'v1.%%%.###'],
    ['a very long token', `v1.${'A'.repeat(100_000)}.${'B'.repeat(100_000)}`],
  ])('refuses %s without throwing', (_case, token) => {
    // Act
    const verdict = verifyUnsubscribeToken(token, [currentKey]);

    // Assess
    expect(verdict.ok).toBe(false);
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON, not an array', '{"address":"ana@example.com"}'],
    ['an array of the wrong length', '["ana@example.com","ana"]'],
    ['claims of the wrong types', '["ana@example.com","ana","wf","step","yesterday"]'],
  ])('refuses a correctly signed payload that is %s, without throwing', (_case, json) => {
    // Prepare: signed exactly as the real tokens are, so only the claims are wrong.
    const payload = Buffer.from(json, 'utf8').toString('base64url');
    const signature = createHmac('sha256', currentKey).update(`v1.${payload}`).digest('base64url');

    // Act
    const verdict = verifyUnsubscribeToken(`v1.${payload}.${signature}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'malformed claims' });
  });
});

describe('unsubscribe handler: GET (the link, opened)', () => {
  it('shows a confirmation page with a POST form, and suppresses nothing', async () => {
    // Prepare
    const { store, call } = setUp({ brand: 'Ledgerly' });
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const response = await call(request('GET', { token }));

    // Assess: a form that posts the one-click body back to the same link; the address is still mailable.
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Unsubscribe from these emails?');
    expect(response.body).toContain(`<form method="post" action="?token=${token}">`);
    expect(response.body).toContain('<input type="hidden" name="List-Unsubscribe" value="One-Click">');
    expect(response.body).toContain('Ledgerly marketing emails');
    expect(await store.isSuppressed(claims.address)).toBe(false);
    expect(await unsubscribedCount(store)).toBe(0);
  });

  it('masks the address on the page: enough to recognise, not to harvest', async () => {
    // Prepare
    const { call } = setUp();

    // Act
    const response = await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));

    // Assess
    expect(maskAddress('ana.silva@example.com')).toBe('a********@example.com');
    expect(response.body).toContain('<strong>a********@example.com</strong>');
    expect(response.body).not.toContain('ana.silva@example.com');
  });
});

describe('unsubscribe handler: POST (one-click)', () => {
  it('suppresses the address at once and counts the unsubscribe for the workflow and step', async () => {
    // Prepare: what a mail client sends for List-Unsubscribe-Post.
    const { store, call, lines } = setUp();
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const response = await call(request('POST', { token, body: 'List-Unsubscribe=One-Click' }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('You are unsubscribed');
    expect(await store.isSuppressed('ana.silva@example.com')).toBe(true);
    expect(await store.readCounters('cold-traffic-nurture')).toEqual([{ workflowId: 'cold-traffic-nurture', day: '2026-11-23', stepId: 'welcome', name: 'email.unsubscribed', value: 1 }]);
    expect(lines).toContainEqual({ level: 'info', message: 'unsubscribed', data: { customerId: 'ana', workflowId: 'cold-traffic-nurture', stepId: 'welcome' } });
  });

  it('flags the customer as suppressed, so journeys stop mailing them', async () => {
    // Prepare
    const { store, call } = setUp();

    // Act
    await call(request('POST', { token: signUnsubscribeToken(claims, currentKey), body: 'List-Unsubscribe=One-Click' }));

    // Assess
    expect((await store.loadCustomer('ana')).suppressed).toBe(true);
  });

  it('accepts a base64-encoded body (as function URLs deliver form posts)', async () => {
    // Prepare
    const { store, call } = setUp();

    // Act
    const response = await call(request('POST', { token: signUnsubscribeToken(claims, currentKey), body: 'List-Unsubscribe=One-Click', base64: true }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
  });

  it('finds the token in a base64-encoded form body when the URL has none', async () => {
    // Prepare
    const { store, call } = setUp();
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const response = await call(request('POST', { body: `token=${encodeURIComponent(token)}&List-Unsubscribe=One-Click`, base64: true }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
  });

  it('accepts a link signed with the previous key during a rotation', async () => {
    // Prepare
    const { store, call } = setUp({ keys: [currentKey, previousKey] });

    // Act
    const response = await call(request('POST', { token: signUnsubscribeToken(claims, previousKey), body: 'List-Unsubscribe=One-Click' }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
  });
});

describe('unsubscribe handler: refusals', () => {
  it.each([
    ['GET with a forged token', 'GET', signUnsubscribeToken(claims, 'attacker-key-0123456789')],
    ['POST with a forged token', 'POST', signUnsubscribeToken(claims, 'attacker-key-0123456789')],
    ['POST with a garbled token', 'POST', 'v1.garbage'],
    ['POST without a token', 'POST', undefined],
    ['POST with a token signed by a retired key', 'POST', signUnsubscribeToken(claims, 'retired-key-0123456789abcdef')],
  ])('answers %s with a 400 page and suppresses nothing', async (_case, method, token) => {
    // Prepare
    const { store, call, lines } = setUp();

    // Act
    const response = await call(request(method, { ...(token === undefined ? {} : { token }), body: 'List-Unsubscribe=One-Click' }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('This unsubscribe link is not valid');
    expect(await store.isSuppressed(claims.address)).toBe(false);
    expect(await unsubscribedCount(store)).toBe(0);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'unsubscribe refused' }));
  });

  it.each(['PUT', 'DELETE', 'HEAD', 'OPTIONS'])('answers %s with 405 and the allowed methods', async (method) => {
    // Prepare
    const { store, call } = setUp();

    // Act
    const response = await call(request(method, { token: signUnsubscribeToken(claims, currentKey) }));

    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers).toMatchObject({ Allow: 'GET, POST' });
    expect(await store.isSuppressed(claims.address)).toBe(false);
  });
});

describe('unsubscribe handler: page safety', () => {
  it('HTML-escapes what comes from the token and the brand', async () => {
    // Prepare: an address (and a brand) that would inject markup if printed raw; the masked form keeps the domain.
    const { call } = setUp({ brand: '<b>Ledgerly</b>' });
    const hostile = { ...claims, address: '"x"@<script>alert(1)</script>.example' };

    // Act
    const page = await call(request('GET', { token: signUnsubscribeToken(hostile, currentKey) }));
    const done = await call(request('POST', { token: signUnsubscribeToken(hostile, currentKey), body: 'List-Unsubscribe=One-Click' }));

    // Assess
    for (const response of [page, done]) {
      expect(response.statusCode).toBe(200);
      expect(response.body).not.toContain('<script>');
      expect(response.body).not.toContain('<b>Ledgerly</b>');
      expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(response.body).toContain('&lt;b&gt;Ledgerly&lt;/b&gt;');
    }
  });

  it.each([
    ['the confirmation page', 'GET', () => signUnsubscribeToken(claims, currentKey)],
    ['the done page', 'POST', () => signUnsubscribeToken(claims, currentKey)],
    ['the error page', 'POST', () => 'v1.forged.token'],
    ['the 405 answer', 'PUT', () => signUnsubscribeToken(claims, currentKey)],
  ])('sends %s with security headers (CSP, no-store, nosniff, no framing)', async (_page, method, token) => {
    // Prepare
    const { call } = setUp();

    // Act
    const response = await call(request(method, { token: token(), body: 'List-Unsubscribe=One-Click' }));

    // Assess
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': expect.stringContaining("default-src 'none'"),
    });
    expect(String(response.headers?.['Content-Security-Policy'])).toContain("frame-ancestors 'none'");
  });
});
