/**
 * Unsubscribing. Every email carries a sealed link; the unsubscribe function
 * (a Lambda function URL) trusts the link's seal, not a lookup:
 *
 * - the token is opaque: the address and ids are encrypted (v2), so holding a
 *   link does not tell whose it is; v1 links already in inboxes still work;
 * - GET shows a confirmation page and changes nothing (link scanners open links);
 * - POST with the RFC 8058 body `List-Unsubscribe=One-Click` (the mail client's
 *   one-click, or the page's button) suppresses the address at once and counts
 *   the unsubscribe for the step, once however often it is replayed;
 * - keys rotate, and a warm function sees the rotation.
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
const attackerKey = 'attacker-key-0123456789';

const claims: UnsubscribeClaims = { address: 'ana.silva@example.com', customerId: 'ana', workflowId: 'cold-traffic-nurture', stepId: 'welcome', issuedAt: 1_793_613_600 };

/** The link in an email sent before v2 (signed by the v1 code with `currentKey`): the address readable, base64url JSON. */
const SENT_V1_TOKEN =
  'v1.WyJhbmEuc2lsdmFAZXhhbXBsZS5jb20iLCJhbmEiLCJjb2xkLXRyYWZmaWMtbnVydHVyZSIsIndlbGNvbWUiLDE3OTM2MTM2MDBd.i4LR5lyXY2QUIG5TI4m2jE7NDKkoz_D5-FUwojmrxjw';

/** The link in an email sent with v2 (sealed with `currentKey`). If this stops verifying, links already in inboxes break. */
const SENT_V2_TOKEN =
  'v2.q7rE9EhP_FU6ciIB2n3Rb6vm34FVKs-GuqQMoNaxFNUNBrsMXZ5UvAj8SlJJG9hPDTY3wIJEJb1iGU6fcbjt6fejc98uCbnOQ74YinqKU8Lm72DlhYa7iZ_yYgHbMGTvXlJrq1z81PZkgOGc2eNBOWak-41E2GnAV0l01A';

/** A v1 token as emails sent before v2 carry them: readable JSON claims, HMAC-SHA256. Waymark no longer issues these. */
function legacyV1Token(c: UnsubscribeClaims, key: string): string {
  const payload = Buffer.from(JSON.stringify([c.address, c.customerId, c.workflowId, c.stepId, c.issuedAt]), 'utf8').toString('base64url');
  return `v1.${payload}.${createHmac('sha256', key).update(`v1.${payload}`).digest('base64url')}`;
}

/** Every way `text` could show in a token: as is, URL-encoded, and base64/base64url at each of the three byte alignments. */
function readableForms(text: string): string[] {
  const forms = [text, encodeURIComponent(text)];
  for (const shift of [0, 1, 2]) {
    for (const encoding of ['base64', 'base64url'] as const) {
      const encoded = Buffer.from(`${'x'.repeat(shift)}${text}`, 'utf8').toString(encoding);
      // The characters that only depend on `text`, whatever comes before and after it.
      forms.push(encoded.slice(Math.ceil((shift * 4) / 3) + 1, Math.floor(((shift + text.length) * 4) / 3) - 1));
    }
  }
  return forms;
}

const NOW = Date.parse('2026-11-23T09:30:00Z');
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A Lambda function URL request to the unsubscribe function. */
function request(method: string, options: { token?: string; body?: string; base64?: boolean; contentType?: string } = {}): LambdaFunctionURLEvent {
  const rawQueryString = options.token === undefined ? '' : `token=${encodeURIComponent(options.token)}`;
  const body = options.body === undefined ? undefined : options.base64 ? Buffer.from(options.body, 'utf8').toString('base64') : options.body;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString,
    headers: { host: 'abc123.lambda-url.eu-west-1.on.aws', ...(body === undefined ? {} : { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' }) },
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

/** What a mail client sends for `List-Unsubscribe-Post: List-Unsubscribe=One-Click`. */
const oneClick = (token: string) => request('POST', { token, body: 'List-Unsubscribe=One-Click' });

function recordingLogger() {
  const lines: Array<{ level: string; message: string; data?: Record<string, unknown> }> = [];
  const log: Logger = {
    info: (message, data) => void lines.push({ level: 'info', message, ...(data ? { data } : {}) }),
    warn: (message, data) => void lines.push({ level: 'warn', message, ...(data ? { data } : {}) }),
    error: (message, data) => void lines.push({ level: 'error', message, ...(data ? { data } : {}) }),
  };
  return { log, lines };
}

/**
 * Where the keys live (Secrets Manager in Lambda): what it holds now, and how
 * often the handler has read it.
 */
function keySource(initial: string[]) {
  const source = {
    keys: initial,
    reads: 0,
    failing: false,
    read: async () => {
      source.reads += 1;
      if (source.failing) throw new Error('Secrets Manager is unavailable');
      return source.keys;
    },
  };
  return source;
}

/** The handler on a memory store and a clock the test moves, reading its keys from a key source. */
function setUp(options: { keys?: string[]; brand?: string } = {}) {
  const store = new MemoryStore();
  const { log, lines } = recordingLogger();
  const keys = keySource(options.keys ?? [currentKey, previousKey]);
  const clock = { now: NOW };
  const handler = createUnsubscribeHandler({ store, keys: keys.read, now: () => clock.now, log, ...(options.brand ? { brand: options.brand } : {}) });
  const call = async (event: LambdaFunctionURLEvent) => (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { store, call, lines, keys, clock };
}

const unsubscribedCount = async (store: MemoryStore, workflowId = 'cold-traffic-nurture', stepId = 'welcome') =>
  (await store.readCounters(workflowId)).filter((r) => r.name === 'email.unsubscribed' && r.stepId === stepId).reduce((sum, r) => sum + r.value, 0);

describe('unsubscribe tokens (v2: sealed)', () => {
  it('round-trips the claims through sealing and opening', () => {
    // Prepare
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const verdict = verifyUnsubscribeToken(token, [currentKey]);

    // Assess: URL-safe as it is, and the claims come back whole.
    expect(token).toMatch(/^v2\.[A-Za-z0-9_-]+$/);
    expect(verdict).toEqual({ ok: true, claims });
  });

  it('hides the address and the ids: not in clear, not URL-encoded, not in base64 at any alignment', () => {
    // Act
    const token = signUnsubscribeToken(claims, currentKey);
    const body = Buffer.from(token.slice('v2.'.length), 'base64url').toString('latin1');

    // Assess: neither the token nor its decoded bytes show any claim.
    for (const secret of [claims.address, 'ana.silva', 'example.com', claims.workflowId, String(claims.issuedAt)]) {
      for (const form of readableForms(secret)) expect(token).not.toContain(form);
      expect(body).not.toContain(secret);
    }
  });

  it('does not tell the length of the address: claims are padded', () => {
    // Act
    const lengths = ['a@example.com', 'ana.silva@example.com', 'ana.maria.silva@example.com'].map((address) => signUnsubscribeToken({ ...claims, address }, currentKey).length);

    // Assess
    expect(new Set(lengths).size).toBe(1);
  });

  it('is the same link for the same email (no randomness), and another for another email', () => {
    // Act
    const first = signUnsubscribeToken(claims, currentKey);
    const again = signUnsubscribeToken(claims, currentKey);
    const nextEmail = signUnsubscribeToken({ ...claims, stepId: 'guide', issuedAt: claims.issuedAt + 86_400 }, currentKey);

    // Assess
    expect(again).toBe(first);
    expect(nextEmail).not.toBe(first);
  });

  it('still opens a token sealed before this release (links already in inboxes)', () => {
    // Act
    const verdict = verifyUnsubscribeToken(SENT_V2_TOKEN, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: true, claims });
  });

  it.each([
    ['the first byte of the nonce', 0],
    ['a byte of the ciphertext', 40],
    ['the last byte of the tag', -1],
  ])('refuses a token with %s changed', (_where, index) => {
    // Prepare: one bit flipped.
    const sealed = Buffer.from(signUnsubscribeToken(claims, currentKey).slice('v2.'.length), 'base64url');
    const at = index < 0 ? sealed.length + index : index;
    sealed[at] = sealed[at]! ^ 0x01;

    // Act
    const verdict = verifyUnsubscribeToken(`v2.${sealed.toString('base64url')}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'no key matches' });
  });

  it('refuses a token sealed with another key (a forger who knows the format)', () => {
    // Act
    const verdict = verifyUnsubscribeToken(signUnsubscribeToken({ ...claims, address: 'victim@example.com' }, attackerKey), [currentKey, previousKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'no key matches' });
  });

  it('refuses a v2 body presented as another version', () => {
    // Prepare: the tag also covers the "v2" prefix.
    const body = signUnsubscribeToken(claims, currentKey).slice('v2.'.length);

    // Act
    const verdict = verifyUnsubscribeToken(`v1.${body}.${body}`, [currentKey]);

    // Assess
    expect(verdict.ok).toBe(false);
  });

  it('accepts a token sealed with the previous key while that key is listed, and refuses it after', () => {
    // Prepare: a token from before the rotation.
    const token = signUnsubscribeToken(claims, previousKey);

    // Act
    const duringRotation = verifyUnsubscribeToken(token, [currentKey, previousKey]);
    const afterRotation = verifyUnsubscribeToken(token, [currentKey]);

    // Assess
    expect(duringRotation).toEqual({ ok: true, claims });
    expect(afterRotation).toEqual({ ok: false, reason: 'no key matches' });
  });

  it.each([
    ['an empty string', ''],
    ['a version only', 'v2'],
    ['an empty body', 'v2.'],
    ['a body too short to hold a nonce and a tag', 'v2.c2hvcnQ'],
    ['another version', 'v3.eyJ9'],
    ['too many parts', 'v2.a.b'],
    ['characters outside base64url', 'v2.%%%'],
    ['a very long token', `v2.${'A'.repeat(100_000)}`],
  ])('refuses %s as malformed, without throwing', (_case, token) => {
    // Act
    const verdict = verifyUnsubscribeToken(token, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'malformed token' });
  });
});

describe('unsubscribe tokens (v1: links sent before v2)', () => {
  it('still accepts a v1 link from an email already sent', () => {
    // Act
    const verdict = verifyUnsubscribeToken(SENT_V1_TOKEN, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: true, claims });
    expect(legacyV1Token(claims, currentKey)).toBe(SENT_V1_TOKEN);
  });

  it('accepts a v1 link signed with the previous key during a rotation', () => {
    // Act
    const verdict = verifyUnsubscribeToken(legacyV1Token(claims, previousKey), [currentKey, previousKey]);

    // Assess
    expect(verdict).toEqual({ ok: true, claims });
  });

  it('refuses a v1 token whose payload was changed (another address)', () => {
    // Prepare: the payload of a token for someone else, under Ana's signature.
    const [version, , signature] = SENT_V1_TOKEN.split('.');
    const [, otherPayload] = legacyV1Token({ ...claims, address: 'victim@example.com' }, attackerKey).split('.');

    // Act
    const verdict = verifyUnsubscribeToken(`${version}.${otherPayload}.${signature}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'no key matches' });
  });

  it('refuses a v1 token whose signature was changed', () => {
    // Prepare: one character of the signature changed (the first, which carries only signature bits).
    const [version, payload, signature] = SENT_V1_TOKEN.split('.') as [string, string, string];
    const changed = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;

    // Act
    const verdict = verifyUnsubscribeToken(`${version}.${payload}.${changed}`, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'no key matches' });
  });

  it.each([
    ['empty parts', 'v1..'],
    ['a missing signature', 'v1.eyJ9'],
    ['too many parts', 'v1.a.b.c'],
    ['characters outside base64url', 'v1.%%%.###'],
    ['a very long token', `v1.${'A'.repeat(100_000)}.${'B'.repeat(100_000)}`],
  ])('refuses %s as malformed, without throwing', (_case, token) => {
    // Act
    const verdict = verifyUnsubscribeToken(token, [currentKey]);

    // Assess
    expect(verdict).toEqual({ ok: false, reason: 'malformed token' });
  });

  it.each([
    ['not JSON', 'not json'],
    ['JSON, not an array', '{"address":"ana@example.com"}'],
    ['an array of the wrong length', '["ana@example.com","ana"]'],
    ['claims of the wrong types', '["ana@example.com","ana","wf","step","yesterday"]'],
  ])('refuses a correctly signed payload that is %s, without throwing', (_case, json) => {
    // Prepare: signed exactly as the real tokens were, so only the claims are wrong.
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
    // Prepare
    const { store, call, lines } = setUp();

    // Act
    const response = await call(oneClick(signUnsubscribeToken(claims, currentKey)));

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
    await call(oneClick(signUnsubscribeToken(claims, currentKey)));

    // Assess
    expect((await store.loadCustomer('ana')).suppressed).toBe(true);
  });

  it('counts a replayed POST once: the same page, no second unsubscribe', async () => {
    // Prepare: the mail client retries, or the person clicks twice.
    const { store, call, lines } = setUp();
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const first = await call(oneClick(token));
    const replay = await call(oneClick(token));

    // Assess
    expect([first.statusCode, replay.statusCode]).toEqual([200, 200]);
    expect(replay.body).toContain('You are unsubscribed');
    expect(await unsubscribedCount(store)).toBe(1);
    expect(lines.filter((l) => l.message === 'unsubscribed')).toHaveLength(1);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'already suppressed' }));
  });

  it('unsubscribes with the confirmation page’s own button', async () => {
    // Prepare: the form of the GET page, submitted as a browser does (to its action, with its hidden field).
    const { store, call } = setUp();
    const page = await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));
    const action = /<form method="post" action="\?token=([^"]+)">/.exec(page.body!)![1]!;
    const field = /<input type="hidden" name="([^"]+)" value="([^"]+)">/.exec(page.body!)!;

    // Act
    const response = await call(request('POST', { token: decodeURIComponent(action), body: new URLSearchParams({ [field[1]!]: field[2]! }).toString() }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
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

  it('accepts the one-click body as multipart/form-data (RFC 8058 allows it)', async () => {
    // Prepare
    const { store, call } = setUp();
    const body = ['--XyZ', 'Content-Disposition: form-data; name="List-Unsubscribe"', '', 'One-Click', '--XyZ--', ''].join('\r\n');

    // Act
    const response = await call(request('POST', { token: signUnsubscribeToken(claims, currentKey), body, base64: true, contentType: 'multipart/form-data; boundary=XyZ' }));

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

  it('accepts a link sealed with the previous key during a rotation', async () => {
    // Prepare
    const { store, call } = setUp({ keys: [currentKey, previousKey] });

    // Act
    const response = await call(oneClick(signUnsubscribeToken(claims, previousKey)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
  });

  it('still unsubscribes with a v1 link from an email sent before v2', async () => {
    // Prepare
    const { store, call } = setUp();

    // Act
    const response = await call(oneClick(SENT_V1_TOKEN));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
    expect(await unsubscribedCount(store)).toBe(1);
  });
});

describe('unsubscribe handler: refusals', () => {
  it.each([
    ['GET with a forged token', 'GET', signUnsubscribeToken(claims, attackerKey)],
    ['POST with a forged token', 'POST', signUnsubscribeToken(claims, attackerKey)],
    ['POST with a forged v1 token', 'POST', legacyV1Token(claims, attackerKey)],
    ['POST with a garbled token', 'POST', 'v2.garbage'],
    ['POST without a token', 'POST', undefined],
    ['POST with a token sealed by a retired key', 'POST', signUnsubscribeToken(claims, 'retired-key-0123456789abcdef')],
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

  it.each([
    ['no body', {}],
    ['an empty body', { body: '' }],
    ['another value', { body: 'List-Unsubscribe=Yes' }],
    ['the field name in another case', { body: 'list-unsubscribe=one-click' }],
    ['only the token', { body: 'token=x' }],
    ['JSON', { body: '{"List-Unsubscribe":"One-Click"}', contentType: 'application/json' }],
    ['a multipart body without the field', { body: '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nOne-Click\r\n--b--\r\n', contentType: 'multipart/form-data; boundary=b' }],
  ])('answers a POST with a valid link but %s (not RFC 8058 one-click) with a 400 page, and suppresses nothing', async (_case, options) => {
    // Prepare: something that posts to the link (a scanner, a prefetcher), not a one-click request.
    const { store, call, lines } = setUp();
    const token = signUnsubscribeToken(claims, currentKey);

    // Act
    const response = await call(request('POST', { token, ...options }));

    // Assess: a clear page that offers the button, and nothing changed.
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('Unsubscribe was not confirmed');
    expect(response.body).toContain(`<form method="post" action="?token=${token}">`);
    expect(await store.isSuppressed(claims.address)).toBe(false);
    expect(await unsubscribedCount(store)).toBe(0);
    expect(lines).toContainEqual({ level: 'warn', message: 'unsubscribe refused', data: { reason: 'POST without List-Unsubscribe=One-Click', method: 'POST' } });
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

describe('unsubscribe handler: keys in a warm function', () => {
  it('reads the keys once, then keeps them: requests do not each read Secrets Manager', async () => {
    // Prepare
    const { call, keys } = setUp();

    // Act: ten requests within a minute.
    for (let i = 0; i < 10; i++) await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));

    // Assess
    expect(keys.reads).toBe(1);
  });

  it('sees a new key at once: a link sealed with it fails the held keys, the keys are read again, and it unsubscribes', async () => {
    // Prepare: a warm function that holds the old keys; then the secret is rotated and an email is sent with the new key.
    const { store, call, keys, clock } = setUp({ keys: [previousKey] });
    await call(request('GET', { token: signUnsubscribeToken(claims, previousKey) }));
    keys.keys = [currentKey, previousKey];
    clock.now += 2 * MINUTE; // well within the five minutes the keys are kept

    // Act
    const response = await call(oneClick(signUnsubscribeToken(claims, currentKey)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
    expect(keys.reads).toBe(2);
  });

  it('drops a retired key within five minutes, without any failed check', async () => {
    // Prepare: the previous key is removed from the secret after a warm function read it.
    const { call, keys, clock } = setUp({ keys: [currentKey, previousKey] });
    const oldLink = signUnsubscribeToken(claims, previousKey);
    await call(request('GET', { token: oldLink }));
    keys.keys = [currentKey];

    // Act
    clock.now += 4 * MINUTE;
    const beforeExpiry = await call(request('GET', { token: oldLink }));
    clock.now += 2 * MINUTE;
    const afterExpiry = await call(request('GET', { token: oldLink }));

    // Assess
    expect(beforeExpiry.statusCode).toBe(200);
    expect(afterExpiry.statusCode).toBe(400);
  });

  it('reads the keys at most once per 30 seconds under a flood of forged tokens', async () => {
    // Prepare: a warm function, then forged links that look right but no key opens, many at once.
    const { call, keys, clock } = setUp();
    await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));
    const flood = () => Promise.all(Array.from({ length: 50 }, (_, i) => call(oneClick(signUnsubscribeToken({ ...claims, address: `victim${i}@example.com` }, attackerKey)))));
    clock.now += MINUTE;

    // Act
    const first = await flood();
    clock.now += 10 * SECOND;
    const second = await flood();
    const readsWithinInterval = keys.reads;
    clock.now += 30 * SECOND;
    await flood();

    // Assess: one read to warm up, one for the first flood, none for the second (10 s later), one once 30 s passed.
    expect([...first, ...second].every((r) => r.statusCode === 400)).toBe(true);
    expect(readsWithinInterval).toBe(2);
    expect(keys.reads).toBe(3);
  });

  it('never reads the keys again for a malformed token: only a well-formed one that no key opens', async () => {
    // Prepare
    const { call, keys, clock } = setUp();
    await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));
    clock.now += MINUTE;

    // Act
    for (const token of ['v2.garbage', 'v9.abc', `v2.${'A'.repeat(10_000)}`, 'v1.a.b']) await call(oneClick(token));

    // Assess
    expect(keys.reads).toBe(1);
  });

  it('goes on with the keys it holds when Secrets Manager fails, and says so', async () => {
    // Prepare
    const { store, call, keys, clock, lines } = setUp();
    await call(request('GET', { token: signUnsubscribeToken(claims, currentKey) }));
    keys.failing = true;
    clock.now += 6 * MINUTE; // the keys are due to be read again

    // Act
    const response = await call(oneClick(signUnsubscribeToken(claims, currentKey)));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(await store.isSuppressed(claims.address)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', message: 'unsubscribe keys could not be read again; using the keys read before' }));
  });
});

describe('unsubscribe handler: page safety', () => {
  it('HTML-escapes what comes from the token and the brand', async () => {
    // Prepare: an address (and a brand) that would inject markup if printed raw; the masked form keeps the domain.
    const { call } = setUp({ brand: '<b>Ledgerly</b>' });
    const hostile = { ...claims, address: '"x"@<script>alert(1)</script>.example' };

    // Act
    const confirm = await call(request('GET', { token: signUnsubscribeToken(hostile, currentKey) }));
    const notConfirmed = await call(request('POST', { token: signUnsubscribeToken(hostile, currentKey), body: 'other=1' }));
    const done = await call(oneClick(signUnsubscribeToken(hostile, currentKey)));

    // Assess
    for (const response of [confirm, notConfirmed, done]) {
      expect(response.body).not.toContain('<script>');
      expect(response.body).not.toContain('<b>Ledgerly</b>');
      expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(response.body).toContain('&lt;b&gt;Ledgerly&lt;/b&gt;');
    }
    expect([confirm.statusCode, notConfirmed.statusCode, done.statusCode]).toEqual([200, 400, 200]);
  });

  it.each([
    ['the confirmation page', 'GET', () => signUnsubscribeToken(claims, currentKey), 'List-Unsubscribe=One-Click'],
    ['the done page', 'POST', () => signUnsubscribeToken(claims, currentKey), 'List-Unsubscribe=One-Click'],
    ['the not-confirmed page', 'POST', () => signUnsubscribeToken(claims, currentKey), ''],
    ['the error page', 'POST', () => 'v2.forged', 'List-Unsubscribe=One-Click'],
    ['the 405 answer', 'PUT', () => signUnsubscribeToken(claims, currentKey), 'List-Unsubscribe=One-Click'],
  ])('sends %s with security headers (CSP, no-store, nosniff, no framing)', async (_page, method, token, body) => {
    // Prepare
    const { call } = setUp();

    // Act
    const response = await call(request(method, { token: token(), body }));

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
