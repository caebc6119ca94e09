/**
 * Who may talk to `waymark dev`'s HTTP server. It takes events, moves the clock and unsubscribes
 * customers without authentication, so it must only ever answer this machine, and never a web
 * page that a browser on this machine happens to show:
 *
 * - it listens on a loopback address only (`loopbackListenAddress`);
 * - the Host of every request must be this server as a local name (`127.0.0.1:<port>`,
 *   `localhost:<port>`, `[::1]:<port>`). A page from elsewhere whose DNS name an attacker points at
 *   127.0.0.1 (DNS rebinding) is "same origin" with us for the browser, but sends its own name;
 * - a state-changing request (POST, PUT, PATCH, DELETE) to the map's API (`/api/*`) that carries
 *   an Origin must come from the map itself. Browsers send Origin with every cross-origin POST,
 *   including a plain HTML form's, which needs no CORS preflight; `Origin: null` (a sandboxed
 *   frame, such as an email preview, or a page from a file) is refused too.
 *
 * Two endpoints take POSTs from clients other than the map, and stay open to them:
 *
 * - EventBridge PutEvents (`X-Amz-Target: AWSEvents.PutEvents`): the AWS SDKs and CLI send no
 *   Origin, so the Origin rule alone would not stop them; it need not. A browser can only send an
 *   `X-Amz-Target` header cross-origin after a CORS preflight (OPTIONS), which this server never
 *   grants (it sends no Access-Control-Allow-* header), so no other site can post events; and DNS
 *   rebinding is caught by the Host rule. A foreign Origin is refused here as well: no legitimate
 *   caller sends one.
 * - The one-click unsubscribe (`/unsubscribe`, RFC 8058): the mail client POSTs
 *   `List-Unsubscribe=One-Click` from its own servers (no Origin), or from a webmail page (its own
 *   Origin, or `null`), and the confirmation page's form POSTs with our Origin. Any Origin is
 *   accepted: the authorization is the signed, per-recipient token in the URL, which another site
 *   cannot forge, so requiring an Origin would only break real mail clients.
 */
import { localHostsFor, localOriginsFor } from '../runtime/local-servers';

/** The host names `waymark dev` may listen on (`--host`). */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'] as const;
export type LoopbackHost = (typeof LOOPBACK_HOSTS)[number];

export function isLoopbackHost(host: string): host is LoopbackHost {
  return (LOOPBACK_HOSTS as readonly string[]).includes(host);
}

/** The address to listen on for `--host`: 127.0.0.1 for "localhost" (not whatever the resolver says first). */
export function loopbackListenAddress(host: LoopbackHost): '127.0.0.1' | '::1' {
  return host === '::1' ? '::1' : '127.0.0.1';
}

/** The host as it appears in a URL (an IPv6 address in brackets). */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export interface GuardedRequest {
  method: string;
  /** The URL's path, e.g. "/api/clock". */
  path: string;
  /** The Host header (undefined when absent). */
  host: string | undefined;
  /** The Origin header (undefined when absent; the string "null" when the browser sends null). */
  origin: string | undefined;
  /** The X-Amz-Target header: set by the AWS SDKs and CLI on PutEvents. */
  amzTarget: string | undefined;
}

export type GuardVerdict = { allowed: true } | { allowed: false; status: 403; reason: string };

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Whether `waymark dev` (listening on `port`) answers `request`, and if not, why.
 *
 * @example
 * guardRequest({ method: 'POST', path: '/api/clock', host: '127.0.0.1:8787', origin: 'https://evil.example', amzTarget: undefined }, 8787)
 * // → { allowed: false, status: 403, reason: 'Origin https://evil.example is not this server: ...' }
 */
export function guardRequest(request: GuardedRequest, port: number): GuardVerdict {
  const host = request.host?.toLowerCase();
  if (host === undefined || host === '') {
    return { allowed: false, status: 403, reason: 'waymark dev answers only requests with a Host header naming it (127.0.0.1, localhost or [::1], with its port)' };
  }
  if (!localHostsFor(port).includes(host)) {
    return { allowed: false, status: 403, reason: `Host "${request.host}" is not this server: waymark dev answers only http://127.0.0.1:${port}, http://localhost:${port} and http://[::1]:${port}` };
  }
  if (!STATE_CHANGING.has(request.method.toUpperCase()) || request.origin === undefined) return { allowed: true };
  // Mail clients unsubscribe from anywhere; the signed token in the URL is the authorization.
  if (request.path === '/unsubscribe') return { allowed: true };
  const toApi = request.path.startsWith('/api/');
  const putEvents = request.amzTarget !== undefined;
  if ((toApi || putEvents) && !localOriginsFor(port).includes(request.origin.toLowerCase())) {
    return {
      allowed: false,
      status: 403,
      reason: `Origin ${request.origin} is not this server: ${toApi ? "the journey map's API" : 'the events endpoint'} takes ${request.method.toUpperCase()} requests only from its own pages (http://127.0.0.1:${port}) or from clients that send no Origin (the AWS SDK and CLI, curl)`,
    };
  }
  return { allowed: true };
}
