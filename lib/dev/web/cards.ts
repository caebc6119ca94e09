/**
 * The journey map's step cards: their sizes (the server lays the graph out
 * with them, lib/report/layout.ts), the lines of their summary and of their
 * tooltip. Shared by the server and the browser: pure, with the text measure
 * passed in.
 */
import type { StepMetrics, StepView } from '../api-types';
import { formatCount } from '../../report/format';

export const PAD = 12;
export const SUMMARY_LINE = 15;
export const CARD = {
  email: { width: 244, height: 172 },
  other: { width: 204, height: 136 },
} as const;

/** Measures text in px at the summary's font (canvas in the browser, font metrics on the server). */
export type Measure = (text: string) => number;

/** Ellipsizes `text` to fit `max` px. */
export function cut(text: string, max: number, measure: Measure): string {
  if (measure(text) <= max) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${chars.slice(0, mid).join('')}…`) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${chars.slice(0, lo).join('').trimEnd()}…`;
}

/** The summary in at most two lines that fit the card (the second cut with an ellipsis). */
export function summaryLines(step: Pick<StepView, 'type' | 'summary'>, measure: Measure): string[] {
  const base = step.type === 'email' ? CARD.email : CARD.other;
  const max = base.width - 2 * PAD;
  const text = String(step.summary ?? '');
  if (measure(text) <= max) return [text];
  const words = text.split(/\s+/);
  let first = '';
  let i = 0;
  for (; i < words.length; i++) {
    const candidate = first ? `${first} ${words[i]}` : words[i]!;
    if (measure(candidate) > max) break;
    first = candidate;
  }
  if (!first) return [cut(text, max, measure)];
  return [first, cut(words.slice(i).join(' '), max, measure)];
}

export function mapCardSize(step: Pick<StepView, 'type' | 'summary'>, measure: Measure): { width: number; height: number } {
  const base = step.type === 'email' ? CARD.email : CARD.other;
  return { width: base.width, height: base.height + (summaryLines(step, measure).length - 1) * SUMMARY_LINE };
}

/** Counts only an email step has; another step lists them only when they are not zero. */
const EMAIL_COUNTS = ['sent', 'opened', 'clicked', 'deferred', 'skipped', 'failed', 'bounced', 'complained', 'unsubscribed'] as const satisfies ReadonlyArray<keyof StepMetrics>;

/**
 * The lines of a card's tooltip: what the step is, then every count. Deferred and skipped emails
 * say how many of them the send budget across journeys held or skipped, apart from the send window
 * and the frequency cap: a budget that holds back a journey's email is the marketer's to change
 * (settings.json, the journeys' priorities), a window is the journey's own.
 */
export function stepTooltip(step: Pick<StepView, 'type' | 'label' | 'summary' | 'stage'>, metrics: Partial<StepMetrics>): string[] {
  const count = (key: keyof StepMetrics) => (typeof metrics[key] === 'number' ? metrics[key] : 0);
  const holdout = step.type === 'holdout';
  const lines = [`${step.label} (${step.type}) · ${step.summary}`, `stage: ${step.stage ?? '–'}`];
  for (const key of ['entered', 'waiting', ...EMAIL_COUNTS, 'converted', 'dropped'] as const) {
    if (step.type !== 'email' && (EMAIL_COUNTS as readonly string[]).includes(key) && !count(key)) continue;
    // A holdout's finished customers are its control group, not a drop-off.
    let line = `${holdout && key === 'dropped' ? 'held out' : key}: ${formatCount(count(key))}`;
    if (key === 'deferred' && count('deferredByBudget') > 0) line += ` (${formatCount(count('deferredByBudget'))} held by the send budget, ${formatCount(count('deferred') - count('deferredByBudget'))} by the window or the cap)`;
    if (key === 'skipped' && count('skippedByBudget') > 0) line += ` (${formatCount(count('skippedByBudget'))} over the send budget)`;
    lines.push(line);
  }
  lines.push('click to list the customers here');
  return lines;
}
