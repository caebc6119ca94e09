/**
 * "Did you mean …?": the known name a mistyped one most likely meant. Pure and
 * small, for messages only: nothing is ever corrected silently.
 *
 * @example
 * closest('emial', ['email', 'wait', 'branch']);   // 'email'
 * closestTimeZone('America/Chicgo');               // 'America/Chicago'
 * closestTimeZone('Europe/Madird');                // 'Europe/Madrid'
 * didYouMean(closest('xyz', ['email']));           // ''
 */
import { isValidTimeZone } from './time';

/**
 * Edits (insert, delete, substitute, swap two neighbours) between two strings: "Madird" and
 * "Madrid" are one swap apart, where plain Levenshtein counts two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length]!;
}

export interface ClosestOptions {
  /** The most edits a suggestion may be away (default: a third of the name's length, at least 2). */
  maxDistance?: number;
  /** A candidate that starts the target, or that it starts, counts as one edit (default true). */
  prefixes?: boolean;
}

/**
 * The candidate `target` most likely meant, or undefined when none is close: the fewest edits,
 * ignoring case (a candidate differing only in case is the best answer), a candidate that starts
 * the target or is started by it counting as one edit ("monday" → "mon"). Ties go to the earlier
 * candidate. The target itself is never suggested.
 */
export function closest(target: string, candidates: Iterable<string>, options: ClosestOptions = {}): string | undefined {
  const wanted = target.toLowerCase();
  const limit = options.maxDistance ?? Math.max(2, Math.floor(target.length / 3));
  const prefixes = options.prefixes ?? true;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    if (candidate === target) continue;
    const lower = candidate.toLowerCase();
    let distance: number;
    if (lower === wanted) distance = 0;
    else if (prefixes && wanted.length > 0 && lower.length > 0 && (lower.startsWith(wanted) || wanted.startsWith(lower))) distance = 1;
    else distance = editDistance(wanted, lower);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      if (distance === 0) break;
    }
  }
  return best;
}

/** ` (did you mean "x"?)`, or nothing when there is no suggestion: to append to a message. */
export function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '' : ` (did you mean ${JSON.stringify(suggestion)}?)`;
}

/** Current names ICU may list under an older one (Asia/Calcutta), so a typo of the current name finds it too. */
const CURRENT_NAMES = ['UTC', 'Asia/Kolkata', 'Asia/Ho_Chi_Minh', 'Asia/Kathmandu', 'Asia/Yangon', 'Europe/Kyiv', 'America/Argentina/Buenos_Aires', 'Africa/Asmara', 'Atlantic/Faroe', 'Pacific/Chuuk', 'Pacific/Pohnpei'];

let zones: { names: string[]; cities: Map<string, string> } | undefined;
const suggestions = new Map<string, string | undefined>();
const MAX_REMEMBERED = 200;

function timeZones(): { names: string[]; cities: Map<string, string> } {
  if (zones) return zones;
  const listed = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  const names = [...new Set([...CURRENT_NAMES, ...listed])].filter((name) => isValidTimeZone(name));
  // "Paris", "new york": the city part of a zone, as people write it.
  const cities = new Map<string, string>();
  for (const name of names) {
    const city = name.slice(name.lastIndexOf('/') + 1).replace(/_/g, ' ').toLowerCase();
    if (name.includes('/') && !cities.has(city)) cities.set(city, name);
  }
  zones = { names, cities };
  return zones;
}

/**
 * The IANA time zone a mistyped name most likely meant: "America/Chicgo" → "America/Chicago",
 * "Europe/Madird" → "Europe/Madrid", "Paris" → "Europe/Paris", "america/new york" →
 * "America/New_York", "UTC+1" → "Etc/GMT-1". Undefined when nothing is close (or the name is already valid).
 */
export function closestTimeZone(name: string): string | undefined {
  if (suggestions.has(name)) return suggestions.get(name);
  const found = findTimeZone(name);
  if (suggestions.size >= MAX_REMEMBERED) suggestions.delete(suggestions.keys().next().value!);
  suggestions.set(name, found);
  return found;
}

function findTimeZone(name: string): string | undefined {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > 64) return undefined;
  // "UTC+1" is an offset, not a zone: its zone is Etc/GMT-1 (POSIX signs are inverted), without daylight saving.
  const offset = /^(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?00)?$/i.exec(trimmed);
  if (offset) {
    const zone = `Etc/GMT${offset[1] === '+' ? '-' : '+'}${Number(offset[2])}`;
    return isValidTimeZone(zone) ? zone : undefined;
  }
  const { names, cities } = timeZones();
  const written = trimmed.replace(/\s+/g, '_');
  if (written !== name && isValidTimeZone(written)) return names.find((zone) => zone.toLowerCase() === written.toLowerCase()) ?? written;
  if (!written.includes('/')) {
    const city = trimmed.replace(/_/g, ' ').toLowerCase();
    const exact = cities.get(city);
    if (exact !== undefined) return exact;
    const near = closest(city, cities.keys(), { maxDistance: Math.max(1, Math.floor(city.length / 4)), prefixes: false });
    if (near !== undefined) return cities.get(near);
  }
  return closest(written, names, { maxDistance: Math.max(2, Math.floor(written.length / 5)), prefixes: false });
}

const MAX_ECHO = 60;

/**
 * A value given in a file, as a message shows it: JSON, shortened when long.
 *
 * @example
 * quote('Europe/Madird');    // '"Europe/Madird"'
 * quote(42);                 // '42'
 * quote('<p>' + 'x'.repeat(3000));   // '"<p>xxx…" (3,003 characters)'
 */
export function quote(value: unknown): string {
  if (typeof value === 'string' && value.length > MAX_ECHO) return `${JSON.stringify(value.slice(0, MAX_ECHO - 1))!.slice(0, -1)}…" (${value.length.toLocaleString('en-US')} characters)`;
  return JSON.stringify(value) ?? String(value);
}

/** `, got "value"` for a message about a value that was given (nothing for a missing one). */
export function got(value: unknown): string {
  return value === undefined ? '' : `, got ${quote(value)}`;
}

/** The content kinds of the catalogue's documentation (any slug is a kind: these are the ones a typo most likely meant). */
export const CONTENT_KINDS = ['article', 'guide', 'testimonial', 'case-study', 'demo', 'offer', 'onboarding', 'survey', 'loyalty', 'review-request', 'referral'] as const;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The slug a name that is not one most likely meant: "Case Study" → "case-study", "Cold_Traffic"
 * → "cold-traffic"; with `known`, a close known one first ("artcle" → "article").
 */
export function closestSlug(name: string, known: readonly string[] = []): string | undefined {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const near = closest(slug, known);
  if (near !== undefined || known.includes(slug)) return near ?? slug;
  return slug !== name && SLUG.test(slug) ? slug : undefined;
}
