/**
 * Scenario files (`workflows/*.test.json`): a workflow, a customer, events at
 * times, newer versions deployed at times, and what must happen — the emails,
 * the stage, status and version at given times, the conversion. Times are
 * absolute ISO 8601 or offsets from the file's `start`: "+0", "+3d",
 * "+2h30m", "+1w2d", or "+P3DT2H".
 */
import { z } from 'zod';
import { segmentsToJsonPath } from '../engine/json-path';
import { describeIssue } from '../engine/validate';
import { parseDuration, durationMs } from '../engine/time';

const OFFSET = /^\+(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The instant a scenario time names, or undefined when it is not one. */
export function resolveTime(text: string, start: number): number | undefined {
  if (text === '+0') return start;
  const offset = OFFSET.exec(text);
  if (offset && text.length > 1) {
    const [, w = '0', d = '0', h = '0', m = '0', s = '0'] = offset;
    return start + ((Number(w) * 7 + Number(d)) * 24 * 3600 + Number(h) * 3600 + Number(m) * 60 + Number(s)) * 1000;
  }
  if (text.startsWith('+P') && parseDuration(text.slice(1))) return start + durationMs(text.slice(1));
  if (/^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) return Date.parse(text);
  return undefined;
}

/** "+3d 2h" relative to the start, for diffs. */
export function describeOffset(at: number, start: number): string {
  let ms = at - start;
  const sign = ms < 0 ? '-' : '+';
  ms = Math.abs(ms);
  const days = Math.floor(ms / 86_400_000);
  const hours = Math.floor((ms % 86_400_000) / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const parts = [days ? `${days}d` : '', hours ? `${hours}h` : '', minutes ? `${minutes}m` : ''].filter(Boolean);
  return parts.length === 0 ? '+0' : `${sign}${parts.join('')}`;
}

const Time = z.string().refine((text) => resolveTime(text, 0) !== undefined, 'a time: "+0", "+3d", "+2h30m", "+P3DT2H", or an ISO 8601 instant such as "2026-11-02T14:00:00Z"');

const Profile = z.record(z.string(), z.unknown());

export const ScenarioEvent = z.strictObject({
  /** When the event happened: its `time`. */
  at: Time,
  /**
   * When it reaches the engine, if later than `at`: a late delivery (a redriven dead letter, a
   * producer that batches), applied at this moment by the rules for late inputs.
   */
  deliveredAt: Time.optional(),
  /** The event's detail-type, e.g. "lead.captured", or "Email Clicked" / "Email Opened" (SES engagement on this journey's email). */
  type: z.string().min(1),
  source: z.string().min(1).optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
  profile: Profile.optional(),
  /** Another customer than the scenario's. */
  customer: z.string().min(1).optional(),
  /** The event id (default: one per event); repeat an id to test redelivery. */
  id: z.string().min(1).optional(),
});
export type ScenarioEvent = z.infer<typeof ScenarioEvent>;

const STATUSES = ['active', 'completed', 'converted', 'exited', 'holdout', 'suppressed'] as const;

export const ExpectedEmail = z.strictObject({
  step: z.string().optional(),
  content: z.string().optional(),
  at: Time.optional(),
  /** A part of the rendered subject. */
  subject: z.string().optional(),
});
export type ExpectedEmail = z.infer<typeof ExpectedEmail>;

const Version = z.number().int().positive();

const Count = z.number().int().min(0);

export const ExpectedBudget = z.strictObject({
  /** Emails the budget held first until it allowed them (each once, however long it waited; `email.deferred:budget`). */
  deferred: Count.optional().describe('Emails the send budget held until it allowed them (overBudget "wait")'),
  /** Emails not sent because they were over the budget (`email.skipped:budget`). */
  skipped: Count.optional().describe('Emails not sent because they were over the send budget (overBudget "skip")'),
});
export type ExpectedBudget = z.infer<typeof ExpectedBudget>;

export const Checkpoint = z.strictObject({
  at: Time,
  status: z.enum(STATUSES).optional(),
  stage: z.string().nullable().optional(),
  step: z.string().nullable().optional(),
  /** The workflow version the customer is on (after a `deploy`: moved by the new version's `migrate`, or not). */
  version: Version.optional(),
});
export type Checkpoint = z.infer<typeof Checkpoint>;

export const Expectations = z.strictObject({
  /** Exactly these emails of the workflow, in order (only the fields given are compared); "none" for no email. */
  emails: z.union([z.literal('none'), z.array(ExpectedEmail)]).optional(),
  /** No email of the workflow after this time. */
  noEmailsAfter: Time.optional(),
  /** At the end of the run. */
  status: z.enum(STATUSES).optional(),
  stage: z.string().nullable().optional(),
  step: z.string().nullable().optional(),
  converted: z.boolean().optional(),
  /** The workflow version the customer's journey is on at the end of the run. */
  version: Version.optional(),
  /** The customer's place at given times during the run. */
  checkpoints: z.array(Checkpoint).optional(),
  /**
   * How many of the workflow's emails to the customer the send budget across journeys
   * (workflows/settings.json) deferred (`overBudget: "wait"`) and skipped (`"skip"`) during the run.
   */
  budget: ExpectedBudget.optional().describe('How many of the workflow\'s emails to the customer the send budget across journeys (workflows/settings.json) deferred and skipped: {"deferred": 0, "skipped": 1}'),
});
export type Expectations = z.infer<typeof Expectations>;

/**
 * Variants fixed for the scenario's customer instead of the hash, so a scenario tests the path it
 * means whatever the customer's id: `"splits": {"demo-or-offer": "offer"}`, `"holdout": false`.
 */
const pins = {
  splits: z
    .record(z.string().min(1), z.string().min(1))
    .optional()
    .describe('The path each split takes for this customer: {"<split step id>": "<the next step of one of its paths>"}'),
  holdout: z.boolean().optional().describe('true: the customer is held out at every holdout step; false: never held out'),
};

/**
 * A newer version of a workflow goes live during the scenario, as `cdk deploy` of it would:
 * `{"at": "+3d", "version": 2}`. Until a workflow's first deploy, only its versions below the one
 * deployed are live (the older ones in workflows/archive/); customers move at their next input or
 * wake-up by the new version's `migrate`. A deploy comes after the events and timers of its instant.
 */
export const ScenarioDeploy = z.strictObject({
  at: Time,
  /** The version that goes live: a version of the workflow in the workflows directory or its archive/. */
  version: Version,
  /** Whose version (default: the file's workflow). */
  workflow: z.string().min(1).optional(),
});
export type ScenarioDeploy = z.infer<typeof ScenarioDeploy>;

const Customer = z.strictObject({ id: z.string().min(1).optional(), profile: Profile.optional(), ...pins });

export const Scenario = z.strictObject({
  name: z.string().min(1),
  customer: Customer.optional(),
  ...pins,
  events: z.array(ScenarioEvent).min(1, 'a scenario needs at least one event'),
  /** Newer workflow versions deployed part-way, in time order (customers move by the new version's `migrate`). */
  deploy: z.array(ScenarioDeploy).min(1, 'a deploy list needs at least one deploy (or leave "deploy" out)').optional(),
  /** Keep the clock running until then (default: until no timer is left). */
  until: Time.optional(),
  expect: Expectations,
});
export type Scenario = z.infer<typeof Scenario>;

export const ScenarioFile = z.strictObject({
  $schema: z.string().optional(),
  /** The workflow id the expectations are about. */
  workflow: z.string().min(1),
  /** What "+0" means. */
  start: z.string().refine((text) => /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text)), 'an ISO 8601 instant such as "2026-11-02T14:00:00Z"'),
  /** The default customer of every scenario. */
  customer: Customer.optional(),
  scenarios: z.array(Scenario).min(1, 'a scenario file needs at least one scenario'),
});
export type ScenarioFile = z.infer<typeof ScenarioFile>;

export function scenarioFileProblems(raw: unknown): Array<{ path: string; message: string }> {
  const parsed = ScenarioFile.safeParse(raw);
  return parsed.success ? [] : parsed.error.issues.map((issue) => ({ path: segmentsToJsonPath(issue.path), message: describeIssue(issue, raw) }));
}
