/** The defaults of every knob of `waymark simulate` (`--help` and the README name them too). */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const SIMULATION_DEFAULTS = {
  days: 30,
  seed: 1,
  /** A Monday at midnight UTC, just after Amazon Pinpoint journeys ended: fixed, so forecasts are reproducible. */
  start: '2026-11-02T00:00:00.000Z',
  sesMaxSendRate: 14,
  conversionPerClick: 0.08,
  baseConversion: 0.03,
  /** The value of a conversion (goal.value), drawn evenly in this range. */
  goalValue: { min: 20, max: 200 },
  /** Probability that a customer waiting for a non-email event gets it before the timeout. */
  waitedEvent: 0.4,
  /** Open and click rates for a content kind the engagement table does not name. */
  unknownKind: { open: 0.35, click: 0.1 },
} as const;

/** The time zones synthetic customers live in (each equally likely), unless the config names others. */
export const DEFAULT_TIME_ZONES: readonly string[] = ['America/New_York', 'America/Chicago', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Sydney'];

/** Where synthetic events come from when the workflow's pattern names no source. */
export const SIMULATED_SOURCE = 'com.waymark.simulation';
