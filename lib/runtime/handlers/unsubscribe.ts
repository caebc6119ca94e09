/**
 * One-click unsubscribe (RFC 8058) behind a Lambda function URL.
 *
 * - POST with a valid token and the RFC 8058 body `List-Unsubscribe=One-Click`
 *   (what mail clients send; our confirmation page's button posts it too)
 *   suppresses the address for marketing mail at once. A POST without that
 *   body changes nothing: it gets a 400 page with the button.
 * - GET shows a small confirmation page and changes nothing: link scanners and
 *   mail-security proxies open links, and must not unsubscribe anyone.
 * - Suppression is idempotent: a replayed POST answers the same page and
 *   counts `email.unsubscribed` once.
 * - The keys are cached and re-read (see cached-keys.ts), so a rotation
 *   reaches warm functions.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import { CachedKeys, type KeyCacheOptions } from '../cached-keys';
import type { Logger } from '../journey-service';
import type { JourneyStore } from '../store';
import { type TokenVerdict, verifyUnsubscribeToken } from '../unsubscribe-token';

export interface UnsubscribeDependencies {
  store: JourneyStore;
  /**
   * Reads the keys from their source, current key first, then previous keys
   * still accepted during a rotation. The handler keeps what it reads for a
   * few minutes and reads again early when a token matches none of them.
   */
  keys: () => Promise<string[]>;
  /** How long read keys are kept, and the least time between reads (defaults: 5 minutes, 30 seconds). */
  keyCache?: Partial<KeyCacheOptions>;
  now: () => number;
  log: Logger;
  /** Shown on the pages, e.g. "Ledgerly". */
  brand?: string;
}

/** The RFC 8058 body: the one field a one-click POST carries. */
const ONE_CLICK = { name: 'List-Unsubscribe', value: 'One-Click' } as const;

const SECURITY_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** "ana.silva@example.com" → "a********@example.com": enough to recognise, not to harvest. */
export function maskAddress(address: string): string {
  const at = address.indexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}${'*'.repeat(Math.max(1, at - 1))}${address.slice(at)}`;
}

function page(status: number, title: string, body: string): LambdaFunctionURLResult {
  return {
    statusCode: status,
    headers: SECURITY_HEADERS,
    body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#1f2933;color:#fff;cursor:pointer}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
  };
}

function header(event: LambdaFunctionURLEvent, name: string): string | undefined {
  const found = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return found?.[1];
}

/** multipart/form-data fields (RFC 7578), enough for one-click bodies: text values, no files. */
function multipartFields(body: string, contentType: string): URLSearchParams {
  const fields = new URLSearchParams();
  const boundary = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!boundary) return fields;
  const parts = body.split(`--${boundary[1] ?? boundary[2]}`);
  for (const part of parts.slice(1)) {
    if (part.startsWith('--')) break; // the closing delimiter
    const content = part.replace(/^\r?\n/, '');
    const headersEnd = /\r?\n\r?\n/.exec(content);
    if (!headersEnd) continue;
    const name = /^content-disposition:\s*form-data\s*;(?:.*;)?\s*name="([^"]*)"/im.exec(content.slice(0, headersEnd.index))?.[1];
    if (name !== undefined) fields.append(name, content.slice(headersEnd.index + headersEnd[0].length).replace(/\r?\n$/, ''));
  }
  return fields;
}

/** A POST's form fields: urlencoded (the default) or multipart, as RFC 8058 allows both. */
function formFields(event: LambdaFunctionURLEvent): URLSearchParams {
  if (!event.body) return new URLSearchParams();
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  const contentType = header(event, 'content-type') ?? '';
  return /^multipart\/form-data\b/i.test(contentType) ? multipartFields(body, contentType) : new URLSearchParams(body);
}

function confirmationForm(token: string): string {
  const action = `?token=${encodeURIComponent(token)}`;
  return `<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="${ONE_CLICK.name}" value="${ONE_CLICK.value}"><button type="submit">Unsubscribe</button></form>`;
}

export function createUnsubscribeHandler(deps: UnsubscribeDependencies) {
  const brand = deps.brand ?? 'our';
  const keys = new CachedKeys(deps.keys, deps.now, deps.keyCache, (error) =>
    deps.log.error('unsubscribe keys could not be read again; using the keys read before', { error: error instanceof Error ? error.message : String(error) }),
  );

  /** Verifies with the keys held; when none matches, reads the keys again (rate-limited) and tries once more. */
  async function verify(token: string): Promise<TokenVerdict> {
    const verdict = verifyUnsubscribeToken(token, await keys.get());
    if (verdict.ok || verdict.reason !== 'no key matches') return verdict;
    const reread = await keys.reread();
    return reread ? verifyUnsubscribeToken(token, reread) : verdict;
  }

  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') return { statusCode: 405, headers: { ...SECURITY_HEADERS, Allow: 'GET, POST' }, body: 'Method not allowed' };
    const form = method === 'POST' ? formFields(event) : new URLSearchParams();
    const token = event.queryStringParameters?.token || form.get('token') || undefined;
    const verdict = token ? await verify(token) : { ok: false as const, reason: 'no token' };
    if (!verdict.ok) {
      deps.log.warn('unsubscribe refused', { reason: verdict.reason, method });
      return page(400, 'This unsubscribe link is not valid', '<p>The link may be incomplete. Please use the unsubscribe link from a recent email, or reply to it and we will remove you by hand.</p>');
    }
    const { claims } = verdict;
    const who = `<strong>${escapeHtml(maskAddress(claims.address))}</strong>`;
    if (method === 'GET') {
      return page(200, 'Unsubscribe from these emails?', `<p>We will stop sending ${escapeHtml(brand)} marketing emails to ${who}.</p>\n${confirmationForm(token!)}`);
    }
    if (form.get(ONE_CLICK.name) !== ONE_CLICK.value) {
      // Only a one-click request (RFC 8058) or our own button unsubscribes; anything else posting to the link does not.
      deps.log.warn('unsubscribe refused', { reason: 'POST without List-Unsubscribe=One-Click', method });
      return page(
        400,
        'Unsubscribe was not confirmed',
        `<p>Nothing was changed. To stop ${escapeHtml(brand)} marketing emails to ${who}, press the button.</p>\n${confirmationForm(token!)}`,
      );
    }
    const now = deps.now();
    const added = await deps.store.suppress({ address: claims.address, reason: 'unsubscribe', at: now, customerId: claims.customerId, detail: `${claims.workflowId}/${claims.stepId}` });
    const context = { customerId: claims.customerId, workflowId: claims.workflowId, stepId: claims.stepId };
    if (added) {
      await deps.store.addCounters([{ workflowId: claims.workflowId, day: new Date(now).toISOString().slice(0, 10), stepId: claims.stepId, name: 'email.unsubscribed', value: 1 }]);
      deps.log.info('unsubscribed', context);
    } else {
      // A replayed POST (a mail client retrying, a second click), or an address already suppressed: counted once, answered the same.
      deps.log.info('already suppressed', context);
    }
    return page(200, 'You are unsubscribed', `<p>${escapeHtml(maskAddress(claims.address))} will not receive ${escapeHtml(brand)} marketing emails any more. Sorry to see you go.</p>`);
  };
}
