/**
 * Unsubscribe tokens. The link in every email carries who and what to
 * unsubscribe, sealed with the unsubscribe key, so the unsubscribe endpoint
 * needs no lookup to trust it, and whoever holds the link cannot read it:
 *
 *     v2.<base64url(nonce ‖ ciphertext ‖ tag)>
 *
 * The claims are encrypted with AES-256-GCM, which makes them both
 * confidential and authenticated (the tag also covers the "v2" prefix). Two
 * keys are derived from the signing key with HKDF-SHA256 under distinct `info`
 * labels: one encrypts, the other makes the 96-bit nonce, an HMAC of the
 * padded claims (a synthetic IV, as in RFC 5297). So a token is a function of
 * its claims and key (an email resent carries the same link), and two
 * different claims never share a nonce, without a random source. The claims
 * are padded to a multiple of 32 bytes, so a token's length does not tell an
 * address's length.
 *
 * `v1.<base64url JSON>.<HMAC-SHA256>` tokens (signed, the address readable)
 * are still in emails already sent: they are verified, never issued.
 *
 * Keys rotate: verification tries the current key, then each previous one;
 * tag and signature comparisons are constant-time.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
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

/**
 * Why a token was refused. Only `no key matches` can change after the keys are
 * re-read (a rotation this process has not seen yet); the others cannot.
 */
export type TokenRefusal = 'malformed token' | 'no key matches' | 'malformed claims';

export type TokenVerdict = { ok: true; claims: UnsubscribeClaims } | { ok: false; reason: TokenRefusal };

/** Far above any real token (an address, two ids and a step id of at most 180 bytes each): nothing longer is decoded. */
const MAX_TOKEN_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

const V2 = 'v2';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PAD_TO = 32;
const ENCRYPTION_INFO = 'waymark/unsubscribe-token/v2/aes-256-gcm-key';
const NONCE_INFO = 'waymark/unsubscribe-token/v2/nonce-key';

function derive(key: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(key, 'utf8'), Buffer.alloc(0), info, 32));
}

function claimsJson(claims: UnsubscribeClaims): string {
  return JSON.stringify([claims.address, claims.customerId, claims.workflowId, claims.stepId, claims.issuedAt]);
}

/** The claims of a decoded payload, or undefined when it is not five claims of the right types. */
function claimsFrom(json: string): UnsubscribeClaims | undefined {
  let decoded: unknown;
  try {
    decoded = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) return undefined;
  const [address, customerId, workflowId, stepId, issuedAt] = decoded as unknown[];
  if (typeof address !== 'string' || typeof customerId !== 'string' || typeof workflowId !== 'string' || typeof stepId !== 'string' || typeof issuedAt !== 'number') {
    return undefined;
  }
  return { address, customerId, workflowId, stepId, issuedAt };
}

/**
 * Seals the claims into a v2 token, URL-safe as it is.
 *
 * @example
 * signUnsubscribeToken({ address: 'ana@example.com', customerId: 'ana', workflowId: 'nurture', stepId: 'welcome', issuedAt: 1793613600 }, key)
 * // → 'v2.q8Jx…' (no readable claim in it)
 */
export function signUnsubscribeToken(claims: UnsubscribeClaims, key: string): string {
  const json = Buffer.from(claimsJson(claims), 'utf8');
  // Trailing spaces are JSON whitespace: the padding needs no framing of its own.
  const plaintext = Buffer.alloc(Math.ceil(json.length / PAD_TO) * PAD_TO, ' ');
  json.copy(plaintext);
  const nonce = createHmac('sha256', derive(key, NONCE_INFO)).update(plaintext).digest().subarray(0, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', derive(key, ENCRYPTION_INFO), nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(V2));
  const sealed = Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${V2}.${sealed.toString('base64url')}`;
}

function openV2(body: string, keys: readonly string[]): TokenVerdict {
  const sealed = Buffer.from(body, 'base64url');
  if (sealed.length < NONCE_BYTES + TAG_BYTES + 1) return { ok: false, reason: 'malformed token' };
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const ciphertext = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  for (const key of keys) {
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', derive(key, ENCRYPTION_INFO), nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(V2));
      decipher.setAuthTag(tag);
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      continue; // the tag does not match under this key: try the next
    }
    const claims = claimsFrom(plaintext.toString('utf8'));
    return claims ? { ok: true, claims } : { ok: false, reason: 'malformed claims' };
  }
  return { ok: false, reason: 'no key matches' };
}

function openV1(payload: string, signature: string, keys: readonly string[]): TokenVerdict {
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== 32) return { ok: false, reason: 'malformed token' }; // not an HMAC-SHA256
  const signed = keys.some((key) => timingSafeEqual(given, createHmac('sha256', key).update(`v1.${payload}`).digest()));
  if (!signed) return { ok: false, reason: 'no key matches' };
  const claims = claimsFrom(Buffer.from(payload, 'base64url').toString('utf8'));
  return claims ? { ok: true, claims } : { ok: false, reason: 'malformed claims' };
}

/** Opens a v2 token, or checks a v1 token, with the current key, then the previous keys. Never throws. */
export function verifyUnsubscribeToken(token: string, keys: readonly string[]): TokenVerdict {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed token' };
  const parts = token.split('.');
  if (!parts.slice(1).every((part) => BASE64URL.test(part))) return { ok: false, reason: 'malformed token' };
  if (parts[0] === V2 && parts.length === 2) return openV2(parts[1]!, keys);
  if (parts[0] === 'v1' && parts.length === 3) return openV1(parts[1]!, parts[2]!, keys);
  return { ok: false, reason: 'malformed token' };
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
