/**
 * One row of a list → one `Audience Joined` event (WORKFLOWS.md, revision 2,
 * "Audiences"), or the reason the row cannot be one.
 *
 * The checks are the engine's own: the email is what `recipientOf` would send
 * to, and the finished event must pass `parseCustomerEvent` (customer id at
 * most 180 bytes and without control characters, profile at most 8 KB and 16
 * levels deep), so nothing imported is later rejected by `advance`.
 */
import { MAX_PROFILE_BYTES, parseCustomerEvent } from '../engine/events';
import { recipientOf } from '../engine/interpreter';
import { type AudienceJoinedEvent, audienceEventId, audienceJoined, derivedCustomerId } from './audience-joined';

/** Why a row was not imported: the line it starts on, and where possible the column and the value. */
export interface Rejection {
  line: number;
  column?: string;
  value?: string;
  reason: string;
}

/** `line 7, column email ("bob@"): not a valid email address` */
export function formatRejection(rejection: Rejection): string {
  const where = rejection.column === undefined ? `line ${rejection.line}` : `line ${rejection.line}, column ${rejection.column}`;
  return `${where}${rejection.value === undefined ? '' : ` (${quoteValue(rejection.value)})`}: ${rejection.reason}`;
}

/** A value as shown in a message: quoted, control characters escaped, long values cut. */
export function quoteValue(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return JSON.stringify(shown);
}

/** Attribute names that would change an object's prototype, not set an attribute (the engine ignores them). */
export const RESERVED_ATTRIBUTES = new Set(['__proto__', 'constructor', 'prototype']);

export interface RowColumns {
  /** The column holding the customer id (`customerId`, else `id`); undefined: ids are derived from the email. */
  id: string | undefined;
  /** The column holding the email address. */
  email: string;
  /** Columns whose values are numbers (`--number`); every other text value stays text. */
  numbers: ReadonlySet<string>;
}

export type RowResult = { ok: true; event: AudienceJoinedEvent } | { ok: false; rejection: Rejection };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A row's values (by column, in the file's order) → its event. Text is
 * trimmed; an empty cell sets nothing (it never clears a stored attribute);
 * a `--number` column must hold a number (a dot for decimals).
 */
export function rowToEvent(line: number, values: Record<string, unknown>, columns: RowColumns, options: { audience: string; time: string }): RowResult {
  const reject = (reason: string, column?: string, value?: unknown): RowResult => ({
    ok: false,
    rejection: { line, reason, ...(column === undefined ? {} : { column }), ...(value === undefined ? {} : { value: typeof value === 'string' ? value : JSON.stringify(value) }) },
  });

  const rawEmail = values[columns.email];
  const email = typeof rawEmail === 'string' ? rawEmail.trim() : rawEmail;
  if (email === undefined || email === null || email === '') return reject('missing email address', columns.email);
  if (typeof email !== 'string' || recipientOf({ email }) === undefined) return reject('not a valid email address', columns.email, rawEmail);

  let customerId: string;
  if (columns.id !== undefined) {
    const rawId = values[columns.id];
    const id = typeof rawId === 'string' ? rawId.trim() : typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : rawId;
    if (id === undefined || id === null || id === '') return reject('missing customer id', columns.id);
    if (typeof id !== 'string') return reject('a customer id is text (or a whole number)', columns.id, rawId);
    customerId = id;
  } else {
    customerId = derivedCustomerId(email);
  }

  const profile: Record<string, unknown> = { email };
  for (const [column, raw] of Object.entries(values)) {
    if (column === columns.email || column === columns.id) continue;
    if (RESERVED_ATTRIBUTES.has(column)) return reject(`"${column}" cannot be a profile attribute`, column);
    let value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === '' || value === undefined) continue;
    if (columns.numbers.has(column) && typeof value === 'string') {
      if (!NUMBER.test(value) || !Number.isFinite(Number(value))) return reject(`not a number (declared with --number${value.includes(',') ? '; use a dot for decimals' : ''})`, column, raw);
      value = Number(value);
    }
    profile[column] = value;
  }

  // The id covers the row's content: the same row imported again is the same event; a changed row is a new one.
  const event = audienceJoined({ id: audienceEventId(options.audience, customerId, profile), time: options.time, customerId, audience: options.audience, profile });
  const checked = parseCustomerEvent(event);
  if (!checked.ok) {
    // The engine's reasons, attributed to the column they come from.
    for (const reason of checked.reason.split('; ')) {
      if (reason.startsWith('detail.customerId: ')) return reject(reason.slice('detail.customerId: '.length), columns.id ?? `${columns.email} (the derived id)`, customerId);
      if (reason.startsWith('detail.profile: too large')) {
        const bytes = Buffer.byteLength(JSON.stringify(profile));
        return reject(`profile too large: ${bytes.toLocaleString('en-US')} bytes of attributes, at most ${MAX_PROFILE_BYTES.toLocaleString('en-US')}`);
      }
    }
    return reject(checked.reason.replace(/^detail\.profile: /, 'profile ').replace(/^event: /, ''));
  }
  return { ok: true, event };
}
