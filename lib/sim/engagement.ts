/**
 * The engagement model: how likely a customer is to open and click an email of each content
 * kind, and how long after the send they do it. Rates are of all recipients (a click rate of
 * 0.12 means 12% of the emails sent are clicked); every clicker has opened.
 */
import { DAY, HOUR, MINUTE } from './defaults';

export type Rates = { open: number; click: number };

/** Open and click rates by content kind (clicks are of all recipients): the defaults `--config` overrides. */
export const ENGAGEMENT_BY_KIND: Record<string, Rates> = {
  article: { open: 0.45, click: 0.12 },
  guide: { open: 0.42, click: 0.16 },
  testimonial: { open: 0.38, click: 0.11 },
  'case-study': { open: 0.36, click: 0.12 },
  demo: { open: 0.5, click: 0.24 },
  offer: { open: 0.47, click: 0.2 },
  onboarding: { open: 0.62, click: 0.3 },
  survey: { open: 0.55, click: 0.3 },
  support: { open: 0.7, click: 0.3 },
  loyalty: { open: 0.4, click: 0.12 },
  'review-request': { open: 0.45, click: 0.2 },
  referral: { open: 0.4, click: 0.14 },
  're-engagement': { open: 0.3, click: 0.1 },
};

/** How long after a send an opener opens: minutes to two days, most within a few hours. */
export const OPEN_DELAY_MEAN = 3 * HOUR;
export const OPEN_DELAY_MAX = 2 * DAY;
/** A click follows its open by 30 seconds to 10 minutes. */
export const CLICK_DELAY_MAX = 10 * MINUTE;
/** A conversion follows the click that led to it within two days. */
export const CONVERSION_DELAY_MAX = 2 * DAY;

/** When an email sent at `sentAt` is opened: a minute later at the earliest, exponentially spread, at most two days. */
export function openedAt(sentAt: number, random: () => number): number {
  return sentAt + MINUTE + Math.floor(Math.min(OPEN_DELAY_MAX, -Math.log(1 - random()) * OPEN_DELAY_MEAN));
}

/** When an email opened at `at` is clicked. */
export function clickedAt(at: number, random: () => number): number {
  return at + 30_000 + Math.floor(random() * CLICK_DELAY_MAX);
}

/** When a click at `at` turns into a conversion. */
export function convertedAfterClick(at: number, random: () => number): number {
  return at + MINUTE + Math.floor(random() * CONVERSION_DELAY_MAX);
}
