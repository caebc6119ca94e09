/**
 * The workflow language (../shared/WORKFLOWS.md is the contract) as zod schemas.
 *
 * Each schema and its type share one name. The shapes here are the whole
 * contract; graph rules (dangling `next`, unreachable steps, loops without a
 * wait, unknown content) live in `validate.ts`, which runs these first.
 */
import { z } from 'zod';
import { validatePattern } from './patterns';
import { DEFAULT_STAGES, MAX_ID_BYTES, utf8Length } from './constants';
import { jsonPathToSegments } from './json-path';
import { CONTENT_KINDS, closestSlug, closestTimeZone, didYouMean, got, quote } from './suggest';
import { WEEKDAYS, isValidTimeZone, parseClock, parseDuration } from './time';

export { DEFAULT_STAGES, MAX_ID_BYTES, utf8Length } from './constants';
export { jsonPathToSegments, segmentsToJsonPath } from './json-path';

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const slugMessage = (example: string, known?: readonly string[]) => (issue: { input?: unknown }) =>
  `lower-case letters, digits and single "-" between them (for example "${example}")${got(issue.input)}${typeof issue.input === 'string' ? didYouMean(closestSlug(issue.input, known)) : ''}`;

/** `: "a" is listed twice`, for a list that must not repeat itself. */
const twice = (list: unknown) => {
  const seen = new Set<unknown>();
  const repeated = Array.isArray(list) ? list.find((item) => seen.size === seen.add(item).size) : undefined;
  return repeated === undefined ? '' : `: ${JSON.stringify(repeated)} is listed twice`;
};

/**
 * The fields of a step that exclude each other, as given: `"template": "book-a-demo" and "content":
 * {"kind":"demo"}`, so the marketer sees which to drop. A long object is shown as {…}.
 */
const givenFields = (step: Record<string, unknown>, fields: readonly string[]): string[] =>
  fields
    .filter((field) => step[field] !== undefined)
    .map((field) => {
      const shown = quote(step[field]);
      return `"${field}": ${shown.length <= 60 || typeof step[field] !== 'object' ? shown : '{…}'}`;
    });

const Slug = z.string().regex(SLUG, { error: slugMessage('cold-traffic-nurture') });

/** A content kind: any slug; the documented kinds are suggested for a typo ("Case Study" → "case-study"). */
const ContentKind = z.string().regex(SLUG, { error: slugMessage('case-study', CONTENT_KINDS) });

export const WorkflowId = Slug.max(64, 'at most 64 characters');

export const StepId = z
  .string()
  .min(1, 'a step id cannot be empty')
  .max(64, 'at most 64 characters')
  .refine((id) => !/[\u0000-\u001f]/.test(id), 'a step id cannot contain control characters')
  .refine((id) => utf8Length(id) <= MAX_ID_BYTES, `at most ${MAX_ID_BYTES} bytes (fewer characters when they are not plain ASCII)`);

export const Duration = z
  .string()
  .refine((text) => parseDuration(text) !== null, 'an ISO 8601 duration such as "P3D" (3 days), "PT12H" (12 hours) or "P1W"')
  .describe('ISO 8601 duration, e.g. "P3D", "PT12H", "P1W"');

/** A duration that may be negative: "-P7D" is seven days earlier. */
export const SignedDuration = z
  .string()
  .refine((text) => parseDuration(text.replace(/^[-+]/, '')) !== null, 'an ISO 8601 duration, optionally signed, e.g. "-P7D" (7 days earlier) or "PT9H"');

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** An EventBridge event pattern; its syntax is checked by the pattern validator, problem by problem. */
export const EventPattern = z
  .record(z.string(), z.unknown())
  .superRefine((pattern, ctx) => {
    for (const problem of validatePattern(pattern)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: jsonPathToSegments(problem.path) });
    }
  })
  .describe('An Amazon EventBridge event pattern, e.g. {"detail-type": ["lead.captured"]}');
export type EventPattern = z.infer<typeof EventPattern>;

export const Stage = z.string().min(1).max(64);

const stepCommon = {
  stage: Stage.optional().describe('Sets the customer\'s journey stage when the step runs'),
  name: z.string().max(120).optional().describe('A label for the journey map'),
  description: z.string().max(1000).optional(),
};

export const ContentSelector = z.strictObject({
  kind: ContentKind.describe('Content kind, e.g. "article", "testimonial", "demo"'),
  tags: z.array(Slug).optional().describe('The item must carry all these tags'),
});
export type ContentSelector = z.infer<typeof ContentSelector>;

export const EmailStep = z
  .strictObject({
    type: z.literal('email'),
    ...stepCommon,
    template: Slug.optional().describe('A content item id: always this item'),
    content: ContentSelector.optional().describe('The first catalogue item of this kind (with all tags) the customer has not been sent yet'),
    subject: z.string().max(998).optional().describe('Overrides the content item\'s subject (Liquid)'),
    next: StepId.optional(),
  })
  .superRefine((step, ctx) => {
    if ((step.template === undefined) === (step.content === undefined)) {
      const given = givenFields(step, ['template', 'content']);
      ctx.addIssue({ code: 'custom', message: `an email step needs exactly one of "template" (a content id) or "content" ({"kind", "tags"}), got ${given.length === 0 ? 'neither' : `both: ${given.join(' and ')}`}` });
    }
  });
export type EmailStep = z.infer<typeof EmailStep>;

export const WaitForEvent = z.strictObject({
  on: EventPattern.describe('The event that ends the wait'),
  timeout: Duration.describe('How long to wait for it before following "timeoutNext"'),
});

/** An ISO 8601 instant with a zone, e.g. "2026-12-24T09:00:00Z". */
export const Instant = z
  .string()
  .refine((text) => ISO_INSTANT.test(text) && !Number.isNaN(Date.parse(text)), 'an ISO 8601 instant with a zone, e.g. "2026-12-24T09:00:00Z"');

/** Where a `wait.at` reads its moment: an ISO date or instant in the customer's profile or the event that led to the step. */
export const AttributePath = z
  .string()
  .regex(/^(profile|event)(\.[^.\s]+)+$/, 'a path starting with "profile." or "event.", e.g. "profile.renewsAt" or "event.detail.deliveryDate"');

export const WaitAt = z.union([
  Instant,
  z.strictObject({
    attribute: AttributePath.describe('e.g. "profile.renewsAt": an ISO date (midnight in the customer\'s time zone) or instant'),
    offset: SignedDuration.optional().describe('Shifts the moment, e.g. "-P7D" (a week before) or "PT9H"'),
  }),
]);
export type WaitAt = z.infer<typeof WaitAt>;

export const WaitStep = z
  .strictObject({
    type: z.literal('wait'),
    ...stepCommon,
    duration: Duration.optional().describe('Wait this long, then go to "next"'),
    until: WaitForEvent.optional().describe('Wait for an event (go to "next") or the timeout (go to "timeoutNext")'),
    at: WaitAt.optional().describe('Wait until a moment: an ISO instant, or {"attribute": "profile.renewsAt", "offset": "-P7D"}; then "next"'),
    next: StepId,
    timeoutNext: StepId.optional(),
  })
  .superRefine((step, ctx) => {
    const given = givenFields(step, ['duration', 'until', 'at']);
    if (given.length !== 1) {
      const got = given.length === 0 ? 'none of them' : `${given.slice(0, -1).join(', ')} and ${given.at(-1)}`;
      ctx.addIssue({ code: 'custom', message: `a wait step needs exactly one of "duration" (e.g. "P2D"), "until" ({"on", "timeout"}) or "at" (a moment), got ${got}` });
      return; // which "timeoutNext" rule applies depends on which one the marketer keeps
    }
    if (step.until !== undefined && step.timeoutNext === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timeoutNext'], message: 'a wait with "until" needs "timeoutNext": the step to go to when the timeout passes' });
    }
    if (step.until === undefined && step.timeoutNext !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timeoutNext'], message: '"timeoutNext" only applies to a wait with "until"' });
    }
  });
export type WaitStep = z.infer<typeof WaitStep>;

export const BranchStep = z.strictObject({
  type: z.literal('branch'),
  ...stepCommon,
  cases: z
    .array(z.strictObject({ if: EventPattern.describe('Matched against {profile, event, journey}'), next: StepId }))
    .min(1, 'a branch needs at least one case'),
  else: StepId,
});
export type BranchStep = z.infer<typeof BranchStep>;

export const SplitStep = z.strictObject({
  type: z.literal('split'),
  ...stepCommon,
  paths: z
    .array(z.strictObject({ weight: z.number().min(0, 'a weight cannot be negative').finite(), next: StepId }))
    .min(1, 'a split needs at least one path'),
});
export type SplitStep = z.infer<typeof SplitStep>;

export const HoldoutStep = z.strictObject({
  type: z.literal('holdout'),
  ...stepCommon,
  percent: z.number().min(0, 'a percentage from 0 to 100').max(100, 'a percentage from 0 to 100'),
  next: StepId,
});
export type HoldoutStep = z.infer<typeof HoldoutStep>;

export const StageStep = z.strictObject({
  type: z.literal('stage'),
  ...stepCommon,
  stage: Stage,
  next: StepId.optional(),
});
export type StageStep = z.infer<typeof StageStep>;

export const ExitStep = z.strictObject({
  type: z.literal('exit'),
  ...stepCommon,
});
export type ExitStep = z.infer<typeof ExitStep>;

export const Step = z.discriminatedUnion('type', [EmailStep, WaitStep, BranchStep, SplitStep, HoldoutStep, StageStep, ExitStep]);
export type Step = z.infer<typeof Step>;
export type StepType = Step['type'];

export const Reentry = z.union([
  z.literal('never'),
  z.literal('after-exit'),
  z.strictObject({ after: Duration.describe('Minimum time since the last entry') }),
]);
export type Reentry = z.infer<typeof Reentry>;

const ClockTime = (allow24: boolean) =>
  z.string().refine((text) => parseClock(text, { allow24 }) !== null, allow24 ? 'a time "HH:MM" from 00:00 to 24:00' : 'a time "HH:MM" from 00:00 to 23:59');

export const SendWindow = z
  .strictObject({
    days: z
      .array(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], { error: `a weekday: ${WEEKDAYS.join(', ')}` }))
      .min(1, 'at least one day')
      .optional()
      .describe('Days on which the window opens; default every day'),
    start: ClockTime(false).describe('Local time the window opens, "HH:MM"'),
    end: ClockTime(true).describe('Local time the window closes, "HH:MM" (before start: the window runs past midnight)'),
  })
  .superRefine((window, ctx) => {
    if (window.start === window.end) ctx.addIssue({ code: 'custom', path: ['end'], message: 'the window must not start and end at the same time' });
    if (window.days && new Set(window.days).size !== window.days.length) ctx.addIssue({ code: 'custom', path: ['days'], message: `each day at most once${twice(window.days)}` });
  });
export type SendWindow = z.infer<typeof SendWindow>;

export const TimeZone = z.string().refine(isValidTimeZone, {
  error: (issue) => `an IANA time zone name such as "Europe/Paris", "America/New_York" or "UTC"${got(issue.input)}${typeof issue.input === 'string' ? didYouMean(closestTimeZone(issue.input)) : ''}`,
});

export const Settings = z.strictObject({
  from: z
    .string()
    .regex(/^(?:[^<>\r\n]*<[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/, 'a sender such as "Acme <hello@acme.example>" or "hello@acme.example"')
    .describe('The From address, a verified SES identity'),
  replyTo: z
    .string()
    .regex(/^[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+$/, 'an email address')
    .optional(),
  timezone: TimeZone.default('UTC').describe('Used when a customer\'s profile has no valid "timezone"'),
  sendWindow: SendWindow.optional().describe('Emails wait for this window in the customer\'s local time'),
  frequencyCap: z
    .strictObject({
      max: z.number().int('a whole number').min(1, 'at least 1'),
      per: Duration,
    })
    .optional()
    .describe('At most "max" emails of this workflow per rolling "per"'),
  priority: z.number().int('a whole number').min(-1000).max(1000).default(0).describe('Under the send budget, emails of higher-priority workflows go first (default 0)'),
  budget: z.enum(['counted', 'exempt'], { error: 'expected "counted" (the default) or "exempt" (transactional mail)' }).default('counted').describe('Whether this workflow\'s emails count against (and are limited by) the send budget of workflows/settings.json'),
  overBudget: z.enum(['wait', 'skip'], { error: 'expected "wait" (the default) or "skip"' }).default('wait').describe('An email over the send budget waits until it fits ("wait") or is not sent ("skip")'),
});
export type Settings = z.infer<typeof Settings>;

/** A rolling limit: at most `max` in any `(t - per, t]`. */
export const RollingLimit = z.strictObject({
  max: z.number().int('a whole number').min(1, 'at least 1'),
  per: Duration,
});

/** `workflows/settings.json`: what holds across workflows. */
export const ProjectSettings = z.strictObject({
  $schema: z.string().optional(),
  budget: RollingLimit.optional().describe('At most "max" emails to one customer from all workflows together in any rolling "per"'),
  profileAttributes: z
    .array(z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'an attribute name, or a dotted path such as "address.city"'))
    .optional()
    .describe('Profile attributes the deployed stack must route and keep besides those workflows, templates and segments read (an event whose profile sets only other attributes is not routed)'),
});
export type ProjectSettings = z.infer<typeof ProjectSettings>;

export const Workflow = z.strictObject({
  $schema: z.string().optional(),
  id: WorkflowId,
  version: z.number().int('a whole number').positive('a positive whole number'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  stages: z
    .array(Stage)
    .min(1, 'at least one stage')
    .refine((stages) => new Set(stages).size === stages.length, { error: (issue) => `each stage at most once${twice(issue.input)}` })
    .optional()
    .describe(`Default: ${DEFAULT_STAGES.join(', ')}`),
  entry: z.strictObject({
    on: EventPattern.describe('Events that start the journey'),
    reentry: Reentry.default('never').describe('"never", "after-exit" or {"after": "P30D"}'),
    maxAge: Duration.default('P1D').describe('An event older than this when it is applied makes no one enter (it still updates the profile, and still counts as goal, exit or awaited event). Default "P1D"'),
  }),
  goal: z
    .strictObject({
      on: EventPattern.describe('The conversion event'),
      stage: Stage.optional(),
      then: z.string().default('exit').describe('"exit", or the id of a step to jump to'),
      value: z
        .string()
        .regex(/^detail(\.[^.\s]+)+$/, 'a field of the goal event, such as "detail.amount"')
        .optional()
        .describe('The conversion\'s value (revenue): a number, or a numeric string, at this field of the goal event, e.g. "detail.amount"'),
      attributionWindow: Duration.default('P7D').describe(
        'A conversion is credited to the last email the journey sent within this time before it; a customer who completed the journey is still watched for the goal this long, a held-out one this long plus the journey\'s longest timed path. Default "P7D"',
      ),
    })
    .optional(),
  exitOn: z.array(EventPattern).optional().describe('Events that remove the customer from the journey at once'),
  settings: Settings,
  migrate: z
    .strictObject({
      from: z.array(z.number().int('a whole number').positive('a positive whole number')).min(1, 'at least one older version'),
      steps: z.record(StepId, StepId).refine((steps) => Object.keys(steps).length > 0, 'at least one step to map'),
    })
    .optional()
    .describe('Moves customers active on the listed older versions, resting at a mapped step, to this version at the mapped step'),
  start: StepId,
  steps: z.record(StepId, Step).refine((steps) => Object.keys(steps).length > 0, 'at least one step'),
});
export type Workflow = z.infer<typeof Workflow>;
export type WorkflowInput = z.input<typeof Workflow>;

export const ContentItem = z.strictObject({
  id: Slug.max(64),
  kind: ContentKind.max(64),
  tags: z.array(Slug).optional(),
  stage: Stage.optional(),
  subject: z.string().min(1).max(998),
  html: z.string().min(1),
  text: z.string().optional(),
});
export type ContentItem = z.infer<typeof ContentItem>;
export const ContentFile = z.array(ContentItem);
