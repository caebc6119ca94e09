/**
 * What `waymark simulate --json` prints, and what `waymark report --from`
 * reads: the forecast a person reads, and the counters the report draws from
 * (the same rows a deployed table holds, so one report serves both).
 */
import type { CounterRow } from '../runtime/store';

export interface SimulationParameters {
  customers: number;
  days: number;
  seed: number;
  /** Customers enter spread uniformly over this many days from the start. */
  entryDays: number;
  start: string;
  /** The account's SES maximum send rate, emails per second, the peaks are compared with. */
  sesMaxSendRate: number;
  /** Open and click probabilities by content kind (clicks are of all recipients). */
  engagement: Record<string, { open: number; click: number }>;
  /** Probability that a customer converts after a click on one of this journey's emails. */
  conversionPerClick: number;
  /** Probability that a customer converts within the period regardless of email. */
  baseConversion: number;
  /** Probability that a customer waiting for a (non-email) event gets it before the timeout, by detail-type. */
  waitedEvents: Record<string, number>;
  /** The value of a conversion (goal.value, revenue), drawn evenly from min to max (whole units). */
  goalValue: { min: number; max: number };
  /**
   * The kinds of customer the audience is made of (`"profiles"` of the config; one, "everyone",
   * without): each with its share, the attributes it enters with, and how it engages and converts
   * when that differs from everyone's.
   */
  audience: Array<{
    name: string;
    weight: number;
    share: number;
    profile: Record<string, unknown>;
    engagement?: Record<string, { open: number; click: number }>;
    conversionPerClick?: number;
    baseConversion?: number;
    goalValue?: { min: number; max: number };
  }>;
  /**
   * The send budget across journeys (workflows/settings.json) the journey's emails count against,
   * and what an email over it does (the workflow's `overBudget`); null without a budget, or when
   * the workflow is exempt. Only this journey's emails count against it: a simulation runs one
   * journey, so the emails the same customers would get from the other journeys, which use the
   * same budget in production, are not there (production usually defers and skips more).
   */
  budget: { max: number; per: string; overBudget: 'wait' | 'skip' } | null;
}

/** Customers who took one path of a branch, split or holdout, and what followed. */
export interface PathForecast {
  /** The case's condition, "else", the split's share and step, "held out". */
  label: string;
  /** The step it leads to (null: out of the journey). */
  next: string | null;
  customers: number;
  /** Of the customers who reached the decision. */
  share: number;
  /** Emails sent to them after they took this path. */
  emails: number;
  /** Of them, conversions after they took this path (rate: of `customers`), and their value (goal.value). */
  converted: number;
  conversionRate: number;
  revenue: number;
}

export interface SimulationForecast {
  emails: {
    total: number;
    perDay: Array<{ day: string; count: number }>;
    peakDay: { day: string; count: number } | null;
    /** Emails due in the busiest minute (send windows open for many customers at once). */
    peakMinute: { at: string; count: number } | null;
    /** Seconds SES needs for the busiest minute at sesMaxSendRate (above 60: a backlog builds). */
    peakMinuteSendSeconds: number;
  };
  /** Customers who reached each step, and the emails each email step sent, opened, clicked. */
  steps: Record<string, { reached: number; sent: number; opened: number; clicked: number }>;
  stages: Record<string, { reached: number; conversionToNext: number | null }>;
  /** Conversions of the journey (after finishing too, while watched: completed customers, held-out ones), and their value (goal.value). */
  conversion: { converted: number; rate: number; averageDaysToConvert: number | null; revenue: number };
  /** Emails deferred by the send window, the frequency cap, the send budget across journeys (workflows/settings.json). */
  deferrals: { window: number; cap: number; budget: number };
  /**
   * Emails not sent: a step with no content left to send, a customer without a usable address, an
   * email over the send budget of a workflow whose `overBudget` is "skip" (apart from the budget's
   * deferrals, which are sent later).
   */
  skipped: { contentExhausted: number; noAddress: number; budget: number };
  /** Customers by status at the end of the period. */
  statuses: Record<string, number>;
  /** Each branch, split and holdout, by step id: how many reached it, and each path they took. */
  paths: Record<string, { type: 'branch' | 'split' | 'holdout'; reached: number; paths: PathForecast[] }>;
  /** Emails by content kind: sent, opened, clicked (unique per email), and the rates. */
  engagement: Record<string, { sent: number; opened: number; clicked: number; openRate: number; clickRate: number }>;
  /** Each kind of customer in the audience: how many entered, were emailed, engaged and converted. */
  audience: Array<{ name: string; customers: number; emails: number; opened: number; clicked: number; converted: number; conversionRate: number; revenue: number }>;
  /** What the reader should know about the forecast (e.g. a branch reads an attribute no simulated customer has). */
  notes: string[];
}

export interface SimulationOutput {
  workflow: { id: string; version: number; name: string };
  parameters: SimulationParameters;
  forecast: SimulationForecast;
  counters: CounterRow[];
  /** Wall-clock time the simulation took, for the curious (not part of the forecast). */
  durationMs: number;
}
