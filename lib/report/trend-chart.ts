/**
 * The daily series as small multiples: one small area chart per metric
 * (entered, sent, opened, clicked, converted, revenue), each on its own
 * scale, sharing the day axis. Plain SVG data (svg-tree): the report writes
 * it as markup, the journey map builds it as DOM nodes.
 */
import { formatCompact, formatMoney } from './format';
import { round1, type SvgNode, svg } from './svg-tree';
import { type DailyPoint, TREND_METRICS, type TrendMetric } from './trends';

export const TREND_LABELS: Record<TrendMetric, string> = {
  entered: 'Entered',
  sent: 'Emails sent',
  opened: 'Opened',
  clicked: 'Clicked',
  converted: 'Converted',
  revenue: 'Revenue',
};

const TREND_COLORS: Record<TrendMetric, string> = {
  entered: '#2563eb',
  sent: '#0891b2',
  opened: '#7c3aed',
  clicked: '#c026d3',
  converted: '#15803d',
  revenue: '#b45309',
};

export interface TrendChartOptions {
  /** Width of one small chart in px (the viewBox; it scales to its box). */
  width?: number;
  height?: number;
  /** Metrics to draw, in order (default all six). */
  metrics?: readonly TrendMetric[];
}

const value = (metric: TrendMetric, n: number) => (metric === 'revenue' ? formatMoney(n, true) : formatCompact(n));

/** One small chart: title and total above, the area, the peak and the first and last day. */
export function trendChart(series: readonly DailyPoint[], metric: TrendMetric, options: TrendChartOptions = {}): SvgNode {
  const width = options.width ?? 280;
  const height = options.height ?? 96;
  const top = 26;
  const bottom = height - 16;
  const left = 4;
  const right = width - 4;
  const values = series.map((p) => p[metric]);
  const max = Math.max(0, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  const x = (i: number) => (series.length <= 1 ? (left + right) / 2 : left + ((right - left) * i) / (series.length - 1));
  const y = (n: number) => (max > 0 ? bottom - ((bottom - top) * n) / max : bottom);
  const color = TREND_COLORS[metric];
  const line = values.map((n, i) => `${i === 0 ? 'M' : 'L'}${round1(x(i))},${round1(y(n))}`).join(' ');
  const area = values.length > 0 ? `${line} L${round1(x(values.length - 1))},${bottom} L${round1(x(0))},${bottom} Z` : '';
  const peakIndex = values.indexOf(max);
  const first = series[0]?.day ?? '';
  const last = series[series.length - 1]?.day ?? '';
  return svg(
    'svg',
    { class: 'trend', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': `${TREND_LABELS[metric]} per day: ${value(metric, total)} in total, at most ${value(metric, max)} a day`, 'data-metric': metric },
    svg('text', { x: left, y: 12, class: 'trend-title', 'font-size': 11, fill: '#475569' }, TREND_LABELS[metric]),
    svg('text', { x: right, y: 12, 'text-anchor': 'end', class: 'trend-total', 'font-size': 12, 'font-weight': 700, fill: '#0f172a' }, value(metric, total)),
    svg('line', { x1: left, x2: right, y1: bottom + 0.5, y2: bottom + 0.5, stroke: '#cbd5e1' }),
    values.length > 0 && svg('path', { d: area, fill: color, 'fill-opacity': 0.14 }),
    values.length > 0 && svg('path', { d: line, fill: 'none', stroke: color, 'stroke-width': 1.6, 'stroke-linejoin': 'round' }),
    max > 0 && svg('circle', { cx: round1(x(peakIndex)), cy: round1(y(max)), r: 2.5, fill: color }),
    // The peak's label stays inside the chart: anchored at its start near the left edge, at its end near the right.
    max > 0 && svg('text', { x: round1(x(peakIndex) < left + width / 4 ? Math.max(x(peakIndex) + 5, left) : x(peakIndex) > right - width / 4 ? x(peakIndex) - 5 : x(peakIndex)), y: round1(Math.max(y(max) - 5, top - 2) + (x(peakIndex) < left + width / 4 || x(peakIndex) > right - width / 4 ? 8 : 0)), 'text-anchor': x(peakIndex) < left + width / 4 ? 'start' : x(peakIndex) > right - width / 4 ? 'end' : 'middle', 'font-size': 9.5, fill: '#475569' }, `peak ${value(metric, max)}`),
    svg('text', { x: left, y: height - 3, 'font-size': 9.5, fill: '#64748b' }, first.slice(5)),
    series.length > 1 && svg('text', { x: right, y: height - 3, 'text-anchor': 'end', 'font-size': 9.5, fill: '#64748b' }, last.slice(5)),
  );
}

/** All six (or the given) metrics, one small chart each. */
export function trendCharts(series: readonly DailyPoint[], options: TrendChartOptions = {}): SvgNode[] {
  return (options.metrics ?? TREND_METRICS).map((metric) => trendChart(series, metric, options));
}
