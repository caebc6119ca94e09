/**
 * The `Audience Joined` event (WORKFLOWS.md, revision 2, "Audiences"): what a
 * list import and a segment produce, one per customer. A journey enters on it
 * with an ordinary pattern:
 *
 *   {"detail-type": ["Audience Joined"], "detail": {"audience": ["spring-webinar"]}}
 *
 * No engine, no zod: the segment function's bundle imports this.
 */
import { createHash } from 'node:crypto';
import type { CustomerEvent } from '../engine/model';

export const AUDIENCE_SOURCE = 'waymark.audience';
export const AUDIENCE_JOINED = 'Audience Joined';

export interface AudienceJoinedEvent extends CustomerEvent {
  source: typeof AUDIENCE_SOURCE;
  'detail-type': typeof AUDIENCE_JOINED;
  /** `eventId` repeats the derived id: on a bus EventBridge gives the event an id of its own, and the engine applies an eventId once. */
  detail: { customerId: string; audience: string; profile: Record<string, unknown>; eventId: string };
}

/** An audience name: like a workflow id (lower-case letters, digits and single "-"), at most 64 characters. */
export const AUDIENCE_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_AUDIENCE_NAME = 64;

export function audienceNameProblem(name: string): string | undefined {
  if (!AUDIENCE_NAME.test(name)) return `an audience name is lower-case letters, digits and single "-" between them (for example "spring-webinar"), not ${JSON.stringify(name)}`;
  if (name.length > MAX_AUDIENCE_NAME) return `an audience name has at most ${MAX_AUDIENCE_NAME} characters`;
  return undefined;
}

export function audienceJoined(options: { id: string; time: string; customerId: string; audience: string; profile: Record<string, unknown> }): AudienceJoinedEvent {
  return {
    id: options.id,
    source: AUDIENCE_SOURCE,
    'detail-type': AUDIENCE_JOINED,
    time: options.time,
    detail: { customerId: options.customerId, audience: options.audience, profile: options.profile, eventId: options.id },
  };
}

/**
 * The customer id of a row without one: `email:` and the first 20 hex digits
 * (80 bits) of the SHA-256 of the trimmed, lower-cased address. The same
 * address always gives the same id, in any file, on any machine.
 *
 * @example derivedCustomerId(' Ana@Example.com ') === derivedCustomerId('ana@example.com') // 'email:…'
 */
export function derivedCustomerId(email: string): string {
  return `email:${createHash('sha256').update(email.trim().toLowerCase()).digest('hex').slice(0, 20)}`;
}

/**
 * A stable event id: a UUID (RFC 9562 version 8, name-based) from the SHA-256
 * of the audience, the customer id and `content` (keys sorted). The same
 * inputs always give the same id, so the engine applies the event once; any
 * change to `content` gives a new id.
 */
export function audienceEventId(audience: string, customerId: string, content: Record<string, unknown>): string {
  const hex = createHash('sha256').update(`${audience}\n${customerId}\n${canonicalJson(content)}`).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** JSON with object keys sorted at every level: the same data always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
