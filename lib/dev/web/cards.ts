/**
 * The journey map's step cards: their sizes (the server lays the graph out
 * with them, lib/report/layout.ts) and the lines of their summary. Shared by
 * the server and the browser: pure, with the text measure passed in.
 */
import type { StepView } from '../api-types';

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
