/**
 * A journey's days as a series (entered, sent, opened, clicked, converted,
 * revenue) and its revenue by journey, step and variant, from counter rows.
 * Pure: the report's charts, the journey map's trends and `waymark report
 * --json` read these.
 */
import type { CounterRow } from '../runtime/store';
import { addDays, daysBetween } from './format';

export const TREND_METRICS = ['entered', 'sent', 'opened', 'clicked', 'converted', 'revenue'] as const;
export type TrendMetric = (typeof TREND_METRICS)[number];

export interface DailyPoint {
  /** UTC day, "YYYY-MM-DD". */
  day: string;
  entered: number;
  sent: number;
  opened: number;
  clicked: number;
  converted: number;
  /** The goal's value (`goal.value`) of the day's conversions. */
  revenue: number;
}

/** Counter names (before any ":label") that feed each metric of the series. */
const SERIES_COUNTERS: Record<string, TrendMetric> = {
  entered: 'entered',
  'email.sent': 'sent',
  'email.opened': 'opened',
  'email.clicked': 'clicked',
  converted: 'converted',
  revenue: 'revenue',
};

/** The longest series drawn: a `--since` years back still gives a chart, of its last days. */
export const MAX_SERIES_DAYS = 366;

const baseName = (name: string) => {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
};

/**
 * One point per UTC day from the first day to the last (days without counters are zeros, so the
 * chart's gaps are real), from `range` when given, else from the days the rows hold. Gauges (day
 * "all") are not days. At most MAX_SERIES_DAYS, the latest.
 *
 * @example
 * dailySeries([{ workflowId: 'w', day: '2026-11-02', stepId: '_', name: 'entered:webinar', value: 3 },
 *              { workflowId: 'w', day: '2026-11-04', stepId: 'welcome', name: 'email.sent', value: 2 }]);
 * // [{ day: '2026-11-02', entered: 3, sent: 0, … }, { day: '2026-11-03', … zeros }, { day: '2026-11-04', sent: 2, … }]
 */
export function dailySeries(rows: readonly CounterRow[], range: { from: string | null; to: string | null } = { from: null, to: null }): DailyPoint[] {
  const byDay = new Map<string, DailyPoint>();
  const empty = (day: string): DailyPoint => ({ day, entered: 0, sent: 0, opened: 0, clicked: 0, converted: 0, revenue: 0 });
  let first: string | null = null;
  let last: string | null = null;
  for (const row of rows) {
    if (row.day === 'all') continue;
    const metric = SERIES_COUNTERS[baseName(row.name)];
    if (metric === undefined) continue;
    // Only the totals: a conversion's path counters (converted.path) are not conversions again.
    let point = byDay.get(row.day);
    if (!point) byDay.set(row.day, (point = empty(row.day)));
    point[metric] += row.value;
    if (first === null || row.day < first) first = row.day;
    if (last === null || row.day > last) last = row.day;
  }
  const from = range.from ?? first;
  const to = range.to ?? last;
  if (from === null || to === null || to < from) return [];
  const days = Math.min(daysBetween(from, to), MAX_SERIES_DAYS);
  const start = addDays(to, -(days - 1));
  return Array.from({ length: days }, (_, i) => {
    const day = addDays(start, i);
    return byDay.get(day) ?? empty(day);
  });
}

/** Totals of a series, metric by metric. */
export function seriesTotals(series: readonly DailyPoint[]): Record<TrendMetric, number> {
  const totals = { entered: 0, sent: 0, opened: 0, clicked: 0, converted: 0, revenue: 0 };
  for (const point of series) for (const metric of TREND_METRICS) totals[metric] += point[metric];
  return totals;
}

export interface RevenueByStep {
  /** The email step credited with the conversions ("_": none within the attribution window). */
  stepId: string;
  converted: number;
  revenue: number;
}

export interface RevenueByVariant {
  /** The split or holdout step. */
  stepId: string;
  /** The path (a split's next step; "journey" or "holdout"). */
  next: string;
  converted: number;
  revenue: number;
}

export interface RevenueSummary {
  workflowId: string;
  /** The goal's value summed over the conversions (0 when the workflow has no `goal.value`). */
  total: number;
  converted: number;
  /** total ÷ converted; null without conversions. */
  perConversion: number | null;
  /** By the email credited with the conversion (last email within the attribution window), most revenue first; "_" last. */
  steps: RevenueByStep[];
  /** By experiment path, from the `converted.path` and `revenue.path` counters. */
  variants: RevenueByVariant[];
}

/** The step id of conversions no email is credited with. */
export const UNATTRIBUTED = '_';

/**
 * Revenue (and conversions) of one workflow by journey, credited email step and experiment path.
 *
 * @example
 * revenueFrom('w', [{ …, stepId: 'offer', name: 'converted', value: 2 }, { …, stepId: 'offer', name: 'revenue', value: 98 }]);
 * // { total: 98, converted: 2, perConversion: 49, steps: [{ stepId: 'offer', converted: 2, revenue: 98 }], variants: [] }
 */
export function revenueFrom(workflowId: string, rows: readonly CounterRow[]): RevenueSummary {
  const steps = new Map<string, RevenueByStep>();
  const variants = new Map<string, RevenueByVariant>();
  const step = (stepId: string) => {
    let entry = steps.get(stepId);
    if (!entry) steps.set(stepId, (entry = { stepId, converted: 0, revenue: 0 }));
    return entry;
  };
  const variant = (stepId: string, next: string) => {
    const id = `${stepId}\u0000${next}`;
    let entry = variants.get(id);
    if (!entry) variants.set(id, (entry = { stepId, next, converted: 0, revenue: 0 }));
    return entry;
  };
  for (const row of rows) {
    if (row.day === 'all') continue;
    const colon = row.name.indexOf(':');
    const name = colon < 0 ? row.name : row.name.slice(0, colon);
    const label = colon < 0 ? '' : row.name.slice(colon + 1);
    if (name === 'converted') step(row.stepId).converted += row.value;
    else if (name === 'revenue') step(row.stepId).revenue += row.value;
    else if (name === 'converted.path') variant(row.stepId, label).converted += row.value;
    else if (name === 'revenue.path') variant(row.stepId, label).revenue += row.value;
  }
  const byStep = [...steps.values()].sort((a, b) => Number(a.stepId === UNATTRIBUTED) - Number(b.stepId === UNATTRIBUTED) || b.revenue - a.revenue || b.converted - a.converted || a.stepId.localeCompare(b.stepId));
  const total = byStep.reduce((sum, s) => sum + s.revenue, 0);
  const converted = byStep.reduce((sum, s) => sum + s.converted, 0);
  return { workflowId, total, converted, perConversion: converted > 0 ? total / converted : null, steps: byStep, variants: [...variants.values()] };
}
