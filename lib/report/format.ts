/**
 * Escaping and number formatting for the HTML report. Every string that
 * reaches the document goes through `escapeHtml` (workflow names, step and
 * content ids, stages and channels are user data).
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for an element or a quoted attribute: `escapeHtml('<b>"x"</b>')` → `&lt;b&gt;&quot;x&quot;&lt;/b&gt;`. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345 → "12,345". */
export function formatCount(value: number): string {
  return Number.isFinite(value) ? integer.format(value) : '–';
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** Short counts for small spaces: 12,345 → "12,345", 1,234,567 → "1.2M". */
export function formatCompact(value: number): string {
  return Math.abs(value) < 100_000 ? formatCount(value) : compact.format(value);
}

/** A ratio as a percentage: 0.4567 → "45.7%", 0.04 → "4.0%", null → "–". */
export function formatRatio(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(1)}%`;
}

/** part / whole as a percentage ("–" when whole is 0). */
export function formatRate(part: number, whole: number): string {
  return whole > 0 ? formatRatio(part / whole) : '–';
}

const trim1 = (n: number) => {
  const rounded = Math.round(n * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
};

/** Milliseconds for people: "40 s", "12 min", "5.5 h", "2.3 days", "3 weeks"; null → "–". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const seconds = Math.abs(ms) / 1000;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 24) return `${trim1(hours)} h`;
  const days = hours / 24;
  if (days < 14) return `${trim1(days)} ${trim1(days) === '1' ? 'day' : 'days'}`;
  if (days < 60) return `${trim1(days / 7)} weeks`;
  return `${trim1(days / 30.44)} months`;
}

/** "2026-11-23T09:30:00.000Z" → "2026-11-23 09:30 UTC". */
export function formatInstant(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "2026-11-23" plus n days (UTC), as "YYYY-MM-DD". */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

/** Days from `from` to `to`, both included. */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
}

const money = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const compactMoney = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/**
 * A revenue figure: the goal's values summed, in whatever currency the events carry (Waymark does
 * not know it): 1234.5 → "1,234.50", 1234567 → "1.2M" when `short`.
 */
export function formatMoney(value: number, short = false): string {
  if (!Number.isFinite(value)) return '–';
  if (short && Math.abs(value) >= 100_000) return compactMoney.format(value);
  if (short && Number.isInteger(value)) return formatCount(value);
  return money.format(value);
}

/** A time spent somewhere, where less than a second is "at once" rather than "0 s" (a goal stage that ends the journey). */
export function formatStay(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return ms < 1000 ? 'at once' : formatDuration(ms);
}

/**
 * An `entered` counter's label as a channel people read. The engine labels an entry with the
 * event's `detail.channel`, else its source: a source such as "com.acme.web" or
 * "com.waymark.simulation" is shown by its last part ("web", "simulation"), noted as a source.
 *
 * @example
 * describeChannel('webinar');                 // { name: 'webinar', source: null }
 * describeChannel('com.waymark.simulation');  // { name: 'simulation', source: 'com.waymark.simulation' }
 */
export function describeChannel(label: string): { name: string; source: string | null } {
  if (/^[a-z0-9-]+(\.[a-z0-9-]+){2,}$/i.test(label)) {
    const last = label.slice(label.lastIndexOf('.') + 1);
    return { name: last, source: label };
  }
  return { name: label === '' ? 'unknown' : label, source: null };
}
