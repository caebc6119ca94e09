/**
 * Customer events: what an input must look like before the engine sees it.
 * A rejected event carries a reason an operator can act on; it never throws.
 */
import * as z from 'zod/mini';
import { MAX_ID_BYTES, utf8Length } from './constants';
import { segmentsToJsonPath } from './json-path';
import type { CustomerEvent } from './model';

/** One event's `detail.profile`: keep updates small enough that reading them stays cheap. */
export const MAX_PROFILE_BYTES = 8 * 1024;
/** A stored profile (all attributes merged over time): one item, read with every input of the customer. */
export const MAX_STORED_PROFILE_BYTES = 32 * 1024;
/** DynamoDB numbers: 38 significant digits, magnitudes from 1E-130 to below 1E+126. */
const DYNAMO_MAX_MAGNITUDE = 9.9999999999999999999999999999999999999e125;
const DYNAMO_MIN_MAGNITUDE = 1e-130;
/** EventBridge's own limit for one event. */
export const MAX_EVENT_BYTES = 256 * 1024;
/** A profile is one map in the customer's DynamoDB item, whose attributes nest at most 32 levels: keep well within. */
export const MAX_PROFILE_DEPTH = 16;

/** A value as JSON text; undefined when it cannot be written (nested deeper than the stack allows). */
function jsonText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Levels of objects and arrays in a value, counted without recursion (stops once past `limit`). */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) break;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * The first value in a profile that DynamoDB cannot store, described with its path: a number
 * that is not finite or out of DynamoDB's range (1e400 parses as Infinity, 1e200 is too large),
 * or an empty attribute name. Undefined when every value can be stored.
 */
export function unstorableValue(value: unknown, path = 'profile'): string | undefined {
  const pending: Array<[unknown, string]> = [[value, path]];
  while (pending.length > 0) {
    const [current, where] = pending.pop()!;
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return `${where}: ${String(current)} is not a number DynamoDB can store (the text was probably a number too large to read, like 1e400)`;
      const magnitude = Math.abs(current);
      if (magnitude > DYNAMO_MAX_MAGNITUDE || (magnitude !== 0 && magnitude < DYNAMO_MIN_MAGNITUDE)) {
        return `${where}: ${String(current)} is outside the numbers DynamoDB can store (magnitudes from 1e-130 to below 1e126)`;
      }
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => pending.push([item, `${where}[${i}]`]));
    } else if (current !== null && typeof current === 'object') {
      for (const [key, child] of Object.entries(current)) {
        if (key === '') return `${where}: an attribute name cannot be empty ("")`;
        pending.push([child, /^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`]);
      }
    }
  }
  return undefined;
}

// zod/mini (tree-shakable) rather than zod: this module is in every Lambda bundle.

const Text = (what: string, maxBytes: number) =>
  z.string({ error: (issue) => (issue.input === undefined ? `required: ${what}` : `expected a string: ${what}`) }).check(
    z.minLength(1, `cannot be empty: ${what}`),
    z.refine((text) => utf8Length(text) <= maxBytes, `at most ${maxBytes} bytes: ${what} (fewer characters when they are not plain ASCII)`),
    z.refine((text) => !/[\u0000-\u001f\u007f]/.test(text), `${what} cannot contain control characters`),
  );

const IsoTime = z
  .string({ error: (issue) => (issue.input === undefined ? 'required: the time the event happened (ISO 8601)' : 'expected an ISO 8601 time string') })
  .check(
    z.refine((text) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)), 'expected an ISO 8601 time with a zone, e.g. "2026-11-23T09:30:00Z"'),
  );

export const CustomerEventSchema = z.looseObject({
  id: Text('the event id (EventBridge sets one)', 256),
  source: Text('the event source, e.g. "com.acme.web"', 256),
  'detail-type': Text('the event type, e.g. "lead.captured"', 256),
  time: IsoTime,
  detail: z.looseObject(
    {
      customerId: Text('"customerId", the customer the event is about', MAX_ID_BYTES),
      eventId: z.optional(Text('"eventId", your own id for the event: deliveries with the same eventId are applied once', 256)),
      profile: z.optional(
        z.record(z.string(), z.unknown(), { error: 'expected an object of profile attributes, e.g. {"email": "..."}' }).check(
          z.refine((profile) => (jsonText(profile)?.length ?? Infinity) <= MAX_PROFILE_BYTES, `too large: at most ${MAX_PROFILE_BYTES} bytes of profile per event`),
          z.refine((profile) => nestingDepth(profile, MAX_PROFILE_DEPTH) <= MAX_PROFILE_DEPTH, `too deeply nested: at most ${MAX_PROFILE_DEPTH} levels of objects and arrays in a profile`),
          z.superRefine((profile, ctx) => {
            const problem = unstorableValue(profile);
            if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem.replace(/^profile(\.|: )/, ''), input: profile });
          }),
        ),
      ),
    },
    { error: (issue) => (issue.input === undefined ? 'required: the event detail, with "customerId"' : 'expected an object') },
  ),
});

export type ParsedEvent = { ok: true; event: CustomerEvent } | { ok: false; reason: string };

/** Checks an EventBridge event is a usable customer event; on failure, every reason in one line. */
export function parseCustomerEvent(raw: unknown): ParsedEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'expected an EventBridge event object' };
  const text = jsonText(raw);
  if (text === undefined) return { ok: false, reason: 'event: nested too deeply to be read as JSON' };
  const bytes = utf8Length(text);
  if (bytes > MAX_EVENT_BYTES) return { ok: false, reason: `event: too large: ${bytes} bytes, at most ${MAX_EVENT_BYTES} bytes (EventBridge's limit for one event)` };
  const parsed = CustomerEventSchema.safeParse(raw);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((issue) => `${segmentsToJsonPath(issue.path).replace(/^\$\.?/, '') || 'event'}: ${issue.message}`);
    return { ok: false, reason: reasons.join('; ') };
  }
  return { ok: true, event: parsed.data as CustomerEvent };
}

export interface ProfileMerge {
  profile: Record<string, unknown>;
  times: Record<string, number>;
  /** False when the update changed nothing (the same objects are returned). */
  changed: boolean;
}

/**
 * Merges an event's `detail.profile`, of time `at`, into a stored profile. An attribute is only
 * changed (or removed, by `null`) by an event whose time is not older than the event that last
 * changed it: a late or redriven event never brings back an old address. Returns the same objects
 * when nothing changes.
 */
export function mergeProfile(stored: Record<string, unknown>, storedTimes: Record<string, number>, update: Record<string, unknown> | undefined, at: number): ProfileMerge {
  let profile: Record<string, unknown> | undefined;
  let times: Record<string, number> | undefined;
  if (update) {
    for (const [key, value] of Object.entries(update)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype' || value === undefined) continue;
      const setAt = storedTimes[key];
      if (setAt !== undefined && at < setAt) continue;
      // Re-sending the value it already has changes nothing, not even its time: producers that send the
      // whole profile with every event would otherwise cost a write per event.
      if (value === null ? !(key in stored) : deepEqual(stored[key], value)) continue;
      profile ??= { ...stored };
      times ??= { ...storedTimes };
      if (value === null) delete profile[key];
      else profile[key] = value;
      times[key] = at;
    }
  }
  return profile ? { profile, times: times!, changed: true } : { profile: stored, times: storedTimes, changed: false };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
