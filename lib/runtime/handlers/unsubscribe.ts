/**
 * One-click unsubscribe (RFC 8058) behind a Lambda function URL.
 *
 * - POST with a valid token (mail clients send `List-Unsubscribe=One-Click`;
 *   our confirmation page's button posts too) suppresses the address for
 *   marketing mail at once.
 * - GET shows a small confirmation page and changes nothing: link scanners and
 *   mail-security proxies open links, and must not unsubscribe anyone.
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import type { Logger } from '../journey-service';
import type { JourneyStore } from '../store';
import { verifyUnsubscribeToken } from '../unsubscribe-token';

export interface UnsubscribeDependencies {
  store: JourneyStore;
  /** Current key first, then previous keys still accepted during a rotation. */
  keys: () => Promise<string[]>;
  now: () => number;
  log: Logger;
  /** Shown on the pages, e.g. "Ledgerly". */
  brand?: string;
}

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

function tokenFrom(event: LambdaFunctionURLEvent): string | undefined {
  const fromQuery = event.queryStringParameters?.token;
  if (fromQuery) return fromQuery;
  if (!event.body) return undefined;
  const body = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return new URLSearchParams(body).get('token') ?? undefined;
}

export function createUnsubscribeHandler(deps: UnsubscribeDependencies) {
  const brand = deps.brand ?? 'our';
  return async (event: LambdaFunctionURLEvent): Promise<LambdaFunctionURLResult> => {
    const method = event.requestContext?.http?.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') return { statusCode: 405, headers: { ...SECURITY_HEADERS, Allow: 'GET, POST' }, body: 'Method not allowed' };
    const token = tokenFrom(event);
    const verdict = token ? verifyUnsubscribeToken(token, await deps.keys()) : { ok: false as const, reason: 'no token' };
    if (!verdict.ok) {
      deps.log.warn('unsubscribe refused', { reason: verdict.reason, method });
      return page(400, 'This unsubscribe link is not valid', '<p>The link may be incomplete. Please use the unsubscribe link from a recent email, or reply to it and we will remove you by hand.</p>');
    }
    const { claims } = verdict;
    if (method === 'GET') {
      const action = `?token=${encodeURIComponent(token!)}`;
      return page(
        200,
        'Unsubscribe from these emails?',
        `<p>We will stop sending ${escapeHtml(brand)} marketing emails to <strong>${escapeHtml(maskAddress(claims.address))}</strong>.</p>
<form method="post" action="${escapeHtml(action)}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      );
    }
    const now = deps.now();
    await deps.store.suppress({ address: claims.address, reason: 'unsubscribe', at: now, customerId: claims.customerId, detail: `${claims.workflowId}/${claims.stepId}` });
    await deps.store.addCounters([{ workflowId: claims.workflowId, day: new Date(now).toISOString().slice(0, 10), stepId: claims.stepId, name: 'email.unsubscribed', value: 1 }]);
    deps.log.info('unsubscribed', { customerId: claims.customerId, workflowId: claims.workflowId, stepId: claims.stepId });
    return page(200, 'You are unsubscribed', `<p>${escapeHtml(maskAddress(claims.address))} will not receive ${escapeHtml(brand)} marketing emails any more. Sorry to see you go.</p>`);
  };
}
