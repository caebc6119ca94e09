/**
 * Pure time arithmetic for the journey engine: ISO 8601 durations, wall-clock time in IANA
 * time zones, send windows and rolling frequency caps.
 *
 * Instants are epoch milliseconds. Nothing here reads the clock or uses randomness, so a
 * simulation replays identically. The only state is caches (formatters, UTC offsets per day),
 * which never change results.
 */

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
export const WEEKDAYS: readonly Weekday[] = Object.freeze(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------------------------------------
// Durations

/** ISO 8601 duration: PnYnMnWnDTnHnMnS (fractions only on the last component, e.g. PT1.5H; 'P' alone or 'PT' alone is invalid; negative invalid). */
export interface Duration {
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const NUM = String.raw`(\d+(?:[.,]\d+)?)`;
// (?!$) rejects a bare 'P'; T(?=\d) requires at least one time component after 'T'.
const DURATION_RE = new RegExp(`^P(?!$)(?:${NUM}Y)?(?:${NUM}M)?(?:${NUM}W)?(?:${NUM}D)?(?:T(?=\\d)(?:${NUM}H)?(?:${NUM}M)?(?:${NUM}S)?)?$`);

/**
 * Returns the parsed duration, or null if the text is not a valid ISO 8601 duration.
 * Both '.' and ',' are accepted as the decimal sign (ISO 8601 allows either). Years and months
 * must be whole: a fraction of a calendar month has no well-defined length, so 'P1.5M' is null.
 */
export function parseDuration(text: string): Duration | null {
  const m = typeof text === 'string' ? DURATION_RE.exec(text) : null;
  if (!m) return null;
  const values = [0, 0, 0, 0, 0, 0, 0];
  let fraction = false;
  for (let i = 0; i < 7; i++) {
    const raw = m[i + 1];
    if (raw === undefined) continue;
    // A fraction is only allowed on the last component present, so one seen earlier is an error.
    if (fraction) return null;
    fraction = raw.includes('.') || raw.includes(',');
    if (fraction && i < 2) return null; // years, months
    const value = Number(raw.replace(',', '.'));
    if (!Number.isFinite(value)) return null;
    values[i] = value;
  }
  const [years = 0, months = 0, weeks = 0, days = 0, hours = 0, minutes = 0, seconds = 0] = values;
  return { years, months, weeks, days, hours, minutes, seconds };
}

function toDuration(duration: Duration | string): Duration {
  if (typeof duration !== 'string') return duration;
  const parsed = parseDuration(duration);
  if (!parsed) throw new Error(`Invalid ISO 8601 duration "${duration}" (expected e.g. P3D, PT1.5H, P1MT12H)`);
  return parsed;
}

/** The exact (non-calendar) part in ms, rounded to a whole millisecond so instants stay integers. */
function exactMs(d: Duration): number {
  return Math.round(d.weeks * 7 * DAY + d.days * DAY + d.hours * HOUR + d.minutes * MINUTE + d.seconds * SECOND);
}

/**
 * t plus the duration. Years and months are calendar months in UTC (Jan 31 + P1M = Feb 28/29,
 * clamped to month end, time of day kept); weeks, days, hours, minutes, seconds are exact
 * (a day is 24 h) and are added after the months.
 */
export function addDuration(t: number, duration: Duration | string): number {
  checkInstant(t);
  const d = toDuration(duration);
  const months = d.years * 12 + d.months;
  return (months === 0 ? t : addMonths(t, months)) + exactMs(d);
}

/**
 * t shifted by a signed duration ("-P7D" is seven days earlier, "PT9H" or "+PT9H" nine hours later).
 * A negative shift is the exact reverse of addDuration: exact part first, then calendar months.
 */
export function addSignedDuration(t: number, signed: string): number {
  const negative = signed.startsWith('-');
  const d = toDuration(signed.replace(/^[-+]/, ''));
  if (!negative) return addDuration(t, d);
  const months = d.years * 12 + d.months;
  const back = t - exactMs(d);
  return months === 0 ? back : addMonths(back, -months);
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/;
const ZONED_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A moment read from customer data: an ISO instant with a zone as is; a date ("2027-01-15") as
 * midnight, and a date-time without a zone as that wall time, in time zone tz. Undefined when the
 * value is not such a text (a marketer's data is checked, never trusted).
 */
export function parseMoment(value: unknown, tz: string): number | undefined {
  if (typeof value !== 'string' || value.length > 40) return undefined;
  if (ZONED_INSTANT.test(value)) {
    const at = Date.parse(value);
    return Number.isNaN(at) ? undefined : at;
  }
  const local = DATE_ONLY.exec(value) ?? LOCAL_DATE_TIME.exec(value);
  if (!local) return undefined;
  const [year, month, day, hour = 0, minute = 0] = local.slice(1).map(Number) as number[];
  try {
    return instantAt(tz, year!, month!, day!, hour, minute);
  } catch {
    return undefined; // 2027-02-30, 25:00: not a moment
  }
}

/**
 * Length in ms. Exact for durations without years/months. With years/months the length
 * depends on the starting date; this returns the length measured from epoch 0
 * (1970-01-01, so P1M = 31 days, P1Y = 365 days): an approximation, fine for sorting or
 * display but use addDuration for scheduling.
 */
export function durationMs(duration: Duration | string): number {
  return addDuration(0, duration);
}

function addMonths(t: number, months: number): number {
  const date = new Date(t);
  const index = date.getUTCFullYear() * 12 + date.getUTCMonth() + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const day = Math.min(date.getUTCDate(), daysInMonth(year, month));
  const timeOfDay = t - Math.floor(t / DAY) * DAY;
  return daysFromCivil(year, month, day) * DAY + timeOfDay;
}

// ---------------------------------------------------------------------------------------------
// Calendar helpers (proleptic Gregorian, pure arithmetic: Date.UTC maps years 0..99 to 19xx)

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a civil date (month 1..12), after Howard Hinnant's days_from_civil. */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

/**
 * `Date.parse(text)`, the same number (or NaN) for every text, read by hand when the text has the
 * form EventBridge and `toISOString` write, `2026-11-02T09:30:00.000Z` (an event's `time`, on every
 * input): the general parser costs several times as much. Days past the month's end roll over, as
 * Date.parse rolls them; anything else unusual goes to Date.parse.
 */
export function parseInstant(text: string): number {
  if (
    typeof text === 'string' &&
    text.length === 24 &&
    text.charCodeAt(4) === 45 && // -
    text.charCodeAt(7) === 45 &&
    text.charCodeAt(10) === 84 && // T
    text.charCodeAt(13) === 58 && // :
    text.charCodeAt(16) === 58 &&
    text.charCodeAt(19) === 46 && // .
    text.charCodeAt(23) === 90 // Z
  ) {
    const year = digitsAt(text, 0, 4);
    const month = digitsAt(text, 5, 2);
    const day = digitsAt(text, 8, 2);
    const hour = digitsAt(text, 11, 2);
    const minute = digitsAt(text, 14, 2);
    const second = digitsAt(text, 17, 2);
    const ms = digitsAt(text, 20, 3);
    if (year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59 && ms >= 0) {
      return daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second * SECOND + ms;
    }
  }
  return Date.parse(text);
}

/** The decimal number written by `length` ASCII digits at `start`, or -1 when one of them is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Index into WEEKDAYS (0 = Monday) of a day number; 1970-01-01 was a Thursday. */
function weekdayIndex(dayNumber: number): number {
  return (((dayNumber + 3) % 7) + 7) % 7;
}

function checkInstant(t: number): void {
  if (!Number.isFinite(t)) throw new RangeError(`Invalid instant ${t}: expected epoch milliseconds`);
}

// ---------------------------------------------------------------------------------------------
// Time zones

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (f === undefined) {
    // An undefined or empty timeZone would make Intl silently use the host's zone.
    if (typeof tz !== 'string' || tz === '') throw new RangeError(`Invalid time zone ${JSON.stringify(tz)}`);
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23', // never '24:00' at midnight
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new RangeError(`Unknown time zone "${tz}" (expected an IANA name such as Europe/Paris or UTC)`);
    }
    formatters.set(tz, f);
  }
  return f;
}

/** IANA names via Intl, e.g. 'Europe/Paris', 'UTC'; false for 'Mars/Olympus'. */
export function isValidTimeZone(name: string): boolean {
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** UTC offset (wall clock minus UTC, ms) of tz at t, straight from Intl (slow: a few µs). */
function rawOffset(t: number, tz: string): number {
  let year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  for (const part of formatter(tz).formatToParts(t)) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
    }
  }
  const wallSeconds = daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE + second * SECOND;
  return wallSeconds - Math.floor(t / SECOND) * SECOND;
}

/**
 * Offsets per tz per UTC day: either the day's constant offset, or the one transition inside it.
 * formatToParts costs microseconds and the engine asks for offsets on every send, while offsets
 * change a couple of times a year. Assumes at most one transition per UTC day (true of tzdb).
 */
type DayOffsets = number | { before: number; after: number; at: number };
const offsetCache = new Map<string, Map<number, DayOffsets>>();
const MAX_CACHED_DAYS = 10_000; // per zone; a long simulation just starts the cache over

function offsetAt(t: number, tz: string): number {
  let days = offsetCache.get(tz);
  if (days === undefined) {
    formatter(tz); // validate before caching anything under this name
    days = new Map();
    offsetCache.set(tz, days);
  }
  const dayNumber = Math.floor(t / DAY);
  let entry = days.get(dayNumber);
  if (entry === undefined) {
    if (days.size >= MAX_CACHED_DAYS) days.clear();
    entry = dayOffsets(dayNumber * DAY, tz);
    days.set(dayNumber, entry);
  }
  if (typeof entry === 'number') return entry;
  return t < entry.at ? entry.before : entry.after;
}

function dayOffsets(dayStart: number, tz: string): DayOffsets {
  const before = rawOffset(dayStart, tz);
  const after = rawOffset(dayStart + DAY - 1, tz);
  if (before === after) return before;
  // Binary search the first millisecond with the new offset.
  let lo = dayStart;
  let hi = dayStart + DAY - 1;
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (rawOffset(mid, tz) === before) lo = mid;
    else hi = mid;
  }
  return { before, after, at: hi };
}

/** 'HH:MM' 24-hour, 00:00..23:59, plus '24:00' allowed only as an end time (allow24). Returns minutes since midnight or null. */
export function parseClock(text: string, { allow24 = false }: { allow24?: boolean } = {}): number | null {
  if (allow24 && text === '24:00') return 24 * 60;
  const m = typeof text === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text) : null;
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}

export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: Weekday;
  minuteOfDay: number;
}

/** Wall-clock parts of instant t in time zone tz (month 1..12). */
export function localTime(t: number, tz: string): LocalTime {
  checkInstant(t);
  const wall = new Date(t + offsetAt(t, tz)); // read with UTC getters: the wall clock as if it were UTC
  const hour = wall.getUTCHours();
  const minute = wall.getUTCMinutes();
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour,
    minute,
    second: wall.getUTCSeconds(),
    weekday: WEEKDAYS[(wall.getUTCDay() + 6) % 7]!,
    minuteOfDay: hour * 60 + minute,
  };
}

/**
 * The instant at which the wall clock in tz shows the given local date and time (month 1..12).
 * Fields must be in range (no overflow normalisation: use addDuration for date arithmetic).
 * Daylight-saving gap (the wall time does not exist, e.g. 02:30 on a spring-forward day):
 * shifted forward by the gap, i.e. read with the offset in force before the gap
 * (New York 02:30 -> 03:30 EDT), as Temporal's 'compatible' disambiguation does.
 * Overlap (fall back, the wall time happens twice): the earlier instant.
 */
export function instantAt(tz: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const valid =
    Number.isInteger(year) && Number.isInteger(month) && Number.isInteger(day) && Number.isInteger(hour) && Number.isInteger(minute) &&
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59;
  if (!valid) throw new RangeError(`Invalid local date-time ${year}-${month}-${day} ${hour}:${minute}`);
  const wall = daysFromCivil(year, month, day) * DAY + hour * HOUR + minute * MINUTE;
  // The offsets a day either side bracket any transition near this wall time.
  const before = offsetAt(wall - DAY, tz);
  const after = offsetAt(wall + DAY, tz);
  const early = wall - before;
  if (offsetAt(early, tz) === before) return early; // in an overlap (before > after) this is the earlier one
  const late = wall - after;
  if (offsetAt(late, tz) === after) return late;
  return early; // gap: the pre-gap offset lands exactly one gap-length later
}

// ---------------------------------------------------------------------------------------------
// Send windows

/** A daily send window in local time; days default to every day. */
export interface SendWindow {
  days?: Weekday[];
  start: string;
  end: string;
}

interface CompiledWindow {
  start: number; // ms after local midnight
  span: number; // ms the window stays open
  days: number; // bit i set = WEEKDAYS[i] opens a window
}

function compileWindow(window: SendWindow): CompiledWindow {
  const start = parseClock(window.start);
  const end = parseClock(window.end, { allow24: true });
  if (start === null) throw new Error(`Invalid send window start "${window.start}" (expected HH:MM, 00:00..23:59)`);
  if (end === null) throw new Error(`Invalid send window end "${window.end}" (expected HH:MM, 00:00..24:00)`);
  let days = 0x7f;
  if (window.days !== undefined) {
    days = 0;
    for (const day of window.days) {
      const i = WEEKDAYS.indexOf(day);
      if (i < 0) throw new Error(`Invalid send window day "${day}" (expected one of ${WEEKDAYS.join(', ')})`);
      days |= 1 << i;
    }
    if (days === 0) throw new Error('Send window has an empty days list: it would never open');
  }
  // end <= start wraps past midnight; end === start is therefore a full 24 h from the opening.
  const span = (end > start ? end - start : end + 24 * 60 - start) * MINUTE;
  return { start: start * MINUTE, span, days };
}

/** The earliest wall time >= wall inside the window, where wall times are ms on a UTC-like timeline. */
function nextWallInWindow(wall: number, w: CompiledWindow): number {
  const today = Math.floor(wall / DAY);
  // Yesterday's window may wrap into today; a week ahead covers a window open on one day only.
  for (let d = today - 1; d <= today + 7; d++) {
    if ((w.days & (1 << weekdayIndex(d))) === 0) continue;
    const opens = d * DAY + w.start;
    if (wall < opens + w.span) return Math.max(wall, opens);
  }
  throw new Error('unreachable: a window with at least one day opens within a week');
}

/**
 * The earliest instant >= t at which the wall clock in tz is inside the window [start, end).
 * If end <= start the window wraps past midnight (e.g. 20:00-08:00): `days` names the day on
 * which the window OPENS, and the early-morning part belongs to the previous day's window.
 * Returns t itself when t is already inside.
 *
 * Daylight-saving correct, by the wall clock: a 09:00 window opens at 09:00 local on both sides
 * of a change. If the opening time falls in a gap (02:30 on a spring-forward day) the window
 * opens when the clock jumps (03:00), the first instant the clock shows a time inside it; in a
 * fall-back overlap the clock may enter the window a second time, and that counts too.
 */
export function nextWindowOpening(t: number, window: SendWindow, tz: string): number {
  checkInstant(t);
  const w = compileWindow(window);
  let x = t;
  let offset = offsetAt(x, tz);
  for (;;) {
    const candidate = nextWallInWindow(x + offset, w) - offset;
    if (candidate === x || offsetAt(candidate, tz) === offset) return candidate;
    // The offset changes in (x, candidate]: nothing before the change was inside the window,
    // so resume from the change under the new offset.
    let lo = x;
    let hi = candidate;
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (offsetAt(mid, tz) === offset) lo = mid;
      else hi = mid;
    }
    x = hi;
    offset = offsetAt(x, tz);
  }
}

export function isInsideWindow(t: number, window: SendWindow, tz: string): boolean {
  checkInstant(t);
  const wall = t + offsetAt(t, tz);
  return nextWallInWindow(wall, compileWindow(window)) === wall;
}

// ---------------------------------------------------------------------------------------------
// Frequency cap

/**
 * Rolling frequency cap: an email may go at time x if fewer than `max` emails went in (x - perMs, x].
 * So exactly perMs after a send, that send no longer counts.
 * Given the previous send instants (any order, may include ones older than the window) return
 * the earliest x >= t at which an email may go. Sends after t (already scheduled) count too,
 * once x reaches them.
 */
export function earliestUnderCap(t: number, previousSends: readonly number[], max: number, perMs: number): number {
  checkInstant(t);
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`Invalid frequency cap max ${max}: expected an integer >= 1`);
  if (!Number.isFinite(perMs) || perMs < 0) throw new RangeError(`Invalid frequency cap period ${perMs}: expected ms >= 0`);
  const sends = previousSends.filter((s) => s > t - perMs);
  if (sends.length < max) return t; // common case: the cap can never be reached
  sends.sort((a, b) => a - b);
  // The count only drops when a send leaves the window, so the answer is t or some send + perMs.
  // Candidates ascend, so the window's edges only move forward through `sends`.
  let entered = 0; // sends <= x
  let left = 0; // sends <= x - perMs
  for (let i = -1; i < sends.length; i++) {
    const x = i < 0 ? t : sends[i]! + perMs;
    while (entered < sends.length && sends[entered]! <= x) entered++;
    while (left < sends.length && sends[left]! <= x - perMs) left++;
    if (entered - left < max) return x;
  }
  throw new Error('unreachable: after the last send + perMs no send counts');
}

/**
 * Earliest x >= t satisfying both the cap and the window: the cap first, then the window. Moving
 * later never makes the cap worse when all previous sends are before t; if some are scheduled
 * later, the cap is checked again at the window opening until both hold.
 */
export function earliestSendTime(
  t: number,
  opts: { window?: SendWindow; timeZone: string; cap?: { max: number; perMs: number }; previousSends?: readonly number[] },
): number {
  const { window, timeZone, cap, previousSends = [] } = opts;
  const underCap = (x: number): number => (cap ? earliestUnderCap(x, previousSends, cap.max, cap.perMs) : x);
  let x = underCap(t);
  if (!window) return x;
  for (;;) {
    x = nextWindowOpening(x, window, timeZone);
    const capped = underCap(x);
    if (capped === x) return x;
    x = capped;
  }
}
