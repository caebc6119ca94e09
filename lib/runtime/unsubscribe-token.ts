/**
 * Signed unsubscribe tokens. The link in every email carries who and what to
 * unsubscribe, signed with HMAC-SHA256, so the unsubscribe endpoint needs no
 * lookup to trust it. Verification accepts the current key and, during a
 * rotation, the previous one; comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UnsubscribeLink, UnsubscribeLinks } from './mailer';
import type { OutboxEntry } from './store';

export interface UnsubscribeClaims {
  /** The address to suppress. */
  address: string;
  customerId: string;
  workflowId: string;
  stepId: string;
  /** Issued at, epoch seconds. */
  issuedAt: number;
}

const VERSION = 'v1';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function sign(payload: string, key: string): Buffer {
  return createHmac('sha256', key).update(`${VERSION}.${payload}`).digest();
}

export function signUnsubscribeToken(claims: UnsubscribeClaims, key: string): string {
  const payload = base64url(JSON.stringify([claims.address, claims.customerId, claims.workflowId, claims.stepId, claims.issuedAt]));
  return `${VERSION}.${payload}.${base64url(sign(payload, key))}`;
}

export type TokenVerdict = { ok: true; claims: UnsubscribeClaims } | { ok: false; reason: string };

/** Checks a token against the current key, then the previous keys. Never throws. */
export function verifyUnsubscribeToken(token: string, keys: readonly string[]): TokenVerdict {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !parts[1] || !parts[2]) return { ok: false, reason: 'malformed token' };
  const [, payload, signature] = parts as [string, string, string];
  let given: Buffer;
  try {
    given = Buffer.from(signature, 'base64url');
  } catch {
    return { ok: false, reason: 'malformed signature' };
  }
  const valid = keys.some((key) => {
    const expected = sign(payload, key);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return { ok: false, reason: 'signature does not match' };
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (!Array.isArray(decoded) || decoded.length !== 5) return { ok: false, reason: 'malformed claims' };
    const [address, customerId, workflowId, stepId, issuedAt] = decoded as unknown[];
    if (typeof address !== 'string' || typeof customerId !== 'string' || typeof workflowId !== 'string' || typeof stepId !== 'string' || typeof issuedAt !== 'number') {
      return { ok: false, reason: 'malformed claims' };
    }
    return { ok: true, claims: { address, customerId, workflowId, stepId, issuedAt } };
  } catch {
    return { ok: false, reason: 'malformed claims' };
  }
}

/** Builds each email's unsubscribe link from the public base URL of the unsubscribe endpoint. */
export class SignedUnsubscribeLinks implements UnsubscribeLinks {
  constructor(private readonly options: { baseUrl: string; key: string; mailto?: string | undefined }) {}

  forEmail(entry: OutboxEntry): UnsubscribeLink {
    const token = signUnsubscribeToken(
      { address: entry.to, customerId: entry.customerId, workflowId: entry.workflowId, stepId: entry.stepId, issuedAt: Math.floor(entry.decidedAt / 1000) },
      this.options.key,
    );
    const url = new URL(this.options.baseUrl);
    url.searchParams.set('token', token);
    const link: UnsubscribeLink = { url: url.toString() };
    if (this.options.mailto) link.mailto = `mailto:${this.options.mailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}`;
    return link;
  }
}
