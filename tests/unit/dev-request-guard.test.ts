/**
 * Who `waymark dev`'s HTTP server answers (lib/dev/request-guard.ts): the map's own pages, the AWS
 * SDK and CLI, and mail clients unsubscribing; never another site, directly or through a DNS name
 * rebound to 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { guardRequest, type GuardedRequest, isLoopbackHost, loopbackListenAddress, urlHost } from '../../lib/dev/request-guard';

const PORT = 8787;
const request = (overrides: Partial<GuardedRequest>): GuardedRequest => ({ method: 'GET', path: '/', host: `127.0.0.1:${PORT}`, origin: undefined, amzTarget: undefined, ...overrides });

describe('guardRequest', () => {
  const cases: Array<[string, Partial<GuardedRequest>, true | RegExp]> = [
    // Host: only this server, by a local name, with its port.
    ['the map from 127.0.0.1', { path: '/' }, true],
    ['the map from localhost', { host: `localhost:${PORT}` }, true],
    ['the map from LOCALHOST (host names are case-insensitive)', { host: `LOCALHOST:${PORT}` }, true],
    ['the map from [::1]', { host: `[::1]:${PORT}` }, true],
    ['a rebound DNS name', { host: `attacker.example:${PORT}` }, /Host "attacker.example:8787" is not this server/],
    ['a name that only starts like ours', { host: `127.0.0.1.attacker.example:${PORT}` }, /is not this server/],
    ['another port', { host: '127.0.0.1:9999' }, /is not this server/],
    ['no port', { host: '127.0.0.1' }, /is not this server/],
    ['the machine\'s network address', { host: `192.0.2.2:${PORT}` }, /is not this server/],
    ['the unspecified address', { host: `0.0.0.0:${PORT}` }, /is not this server/],
    ['no Host header (HTTP/1.0)', { host: undefined }, /Host header/],
    ['a rebound name posting events', { method: 'POST', host: `attacker.example:${PORT}`, amzTarget: 'AWSEvents.PutEvents' }, /is not this server/],
    ['a rebound name unsubscribing', { method: 'POST', path: '/unsubscribe', host: `attacker.example:${PORT}` }, /is not this server/],

    // The map's API: reads from anywhere local; changes only from the map's own pages (or no browser at all).
    ['an API read with a foreign Origin (the browser does not let the page read the answer)', { path: '/api/overview', origin: 'https://attacker.example' }, true],
    ['the map moving the clock', { method: 'POST', path: '/api/clock', origin: `http://127.0.0.1:${PORT}` }, true],
    ['the map opened as localhost moving the clock', { method: 'POST', path: '/api/clock', host: `localhost:${PORT}`, origin: `http://localhost:${PORT}` }, true],
    ['curl moving the clock (no Origin)', { method: 'POST', path: '/api/clock' }, true],
    ['another site\'s form posting to the API', { method: 'POST', path: '/api/clock', origin: 'https://attacker.example' }, /Origin https:\/\/attacker.example is not this server: the journey map's API/],
    ['another local port posting to the API', { method: 'POST', path: '/api/settle', origin: 'http://127.0.0.1:3000' }, /is not this server/],
    ['https on our port is another origin', { method: 'POST', path: '/api/settle', origin: `https://127.0.0.1:${PORT}` }, /is not this server/],
    ['a sandboxed frame (an email preview) posting to the API', { method: 'POST', path: '/api/clock', origin: 'null' }, /Origin null is not this server/],
    ['a PUT from another site', { method: 'PUT', path: '/api/anything', origin: 'https://attacker.example' }, /is not this server/],
    ['a DELETE from another site', { method: 'delete', path: '/api/anything', origin: 'https://attacker.example' }, /DELETE requests only/],
    ['a PATCH from another site', { method: 'PATCH', path: '/api/anything', origin: 'https://attacker.example' }, /is not this server/],

    // EventBridge PutEvents: the SDK and the CLI send no Origin; a browser elsewhere cannot send X-Amz-Target without a preflight we never grant.
    ['the AWS SDK or CLI putting events', { method: 'POST', amzTarget: 'AWSEvents.PutEvents' }, true],
    ['an SDK reaching us as localhost', { method: 'POST', host: `localhost:${PORT}`, amzTarget: 'AWSEvents.PutEvents' }, true],
    ['a page elsewhere putting events', { method: 'POST', amzTarget: 'AWSEvents.PutEvents', origin: 'https://attacker.example' }, /the events endpoint/],

    // One-click unsubscribe (RFC 8058): the signed token is the authorization, whoever posts it.
    ['a mail client\'s one-click POST (no Origin)', { method: 'POST', path: '/unsubscribe' }, true],
    ['a webmail page\'s one-click POST', { method: 'POST', path: '/unsubscribe', origin: 'https://mail.example' }, true],
    ['a one-click POST with Origin null', { method: 'POST', path: '/unsubscribe', origin: 'null' }, true],
    ['the confirmation page\'s own form', { method: 'POST', path: '/unsubscribe', origin: `http://127.0.0.1:${PORT}` }, true],
  ];

  it.each(cases)('%s', (_name, overrides, expected) => {
    const verdict = guardRequest(request(overrides), PORT);
    if (expected === true) {
      expect(verdict).toEqual({ allowed: true });
    } else {
      expect(verdict).toEqual({ allowed: false, status: 403, reason: expect.stringMatching(expected) });
    }
  });

  it('accepts a Host without a port when the server listens on port 80, as browsers send it', () => {
    expect(guardRequest(request({ host: 'localhost' }), 80)).toEqual({ allowed: true });
    expect(guardRequest(request({ method: 'POST', path: '/api/clock', host: 'localhost', origin: 'http://localhost' }), 80)).toEqual({ allowed: true });
  });
});

describe('--host', () => {
  it('is a loopback name, and listens on a loopback address', () => {
    expect(['127.0.0.1', 'localhost', '::1'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '192.0.2.2', 'example.com', ''].some(isLoopbackHost)).toBe(false);
    expect(loopbackListenAddress('localhost')).toBe('127.0.0.1');
    expect(loopbackListenAddress('::1')).toBe('::1');
    expect(urlHost('::1')).toBe('[::1]');
    expect(urlHost('localhost')).toBe('localhost');
  });
});
