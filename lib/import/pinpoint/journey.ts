/**
 * Pinpoint activities as Waymark steps.
 *
 * Each activity keeps its id (lower-cased, at most 64 characters, made unique)
 * so the report, the journey map and Pinpoint's console name the same thing.
 * Some activities need two steps (a wait, then a branch): the first keeps the
 * id, the second is named after it (`<id>-check`, `<id>-which`, `<id>-wait`).
 * An activity with no next activity ends the journey; where the language needs
 * a next step, that is one shared `exit` step, `end`.
 *
 *   EMAIL                      → email (the template as a content item)
 *   Wait WaitFor / WaitUntil   → wait duration / wait at
 *   ConditionalSplit, MultiCondition
 *     on events                → wait until {on, timeout}, then a branch on the event for several paths
 *     on segment dimensions    → (a wait for EvaluationWaitTime, then) a branch on profile
 *   RandomSplit                → split;  Holdout → holdout
 *   SMS, PUSH, CUSTOM, ContactCenter, segment conditions
 *                              → reported; the step passes customers on (a split with one path)
 *
 * Malformed exports (no StartActivity, a NextActivity naming nothing, a loop
 * that never waits) are errors naming the Pinpoint path.
 */
import type { z } from 'zod';
import type { EventPattern } from '../../engine/patterns';
import type { Step } from '../../engine/schema';
import { parseDuration } from '../../engine/time';
import { allOf, anyOf, eventPattern, profilePattern } from './conditions';
import { activityTargets, loopWithoutWait, reachableFrom } from './graph';
import { Activity, ACTIVITY_TYPES, describeIssue, type ActivityType, type ConditionalSplitActivity, type MultiConditionalSplitActivity, type SimpleCondition, type WaitTime } from './model';
import type { ImportReport, PinpointPath } from './report';

/** `{"type": "wait", "at": ...}`: WORKFLOWS.md "Waiting until a moment". */
export interface WaitAtStep {
  type: 'wait';
  at: string;
  next: string;
  name?: string;
  description?: string;
}

export type ImportedStep = z.input<typeof Step> | WaitAtStep;

export interface MappedJourney {
  start: string;
  steps: Record<string, ImportedStep>;
  /** The Pinpoint activity each step came from (synthetic steps: the activity they serve). */
  origins: Map<string, string>;
  /** Sender addresses found in EMAIL activities (`MessageConfig.FromAddress`), in activity order. */
  fromAddresses: Array<{ address: string; at: string }>;
}

/**
 * An export with errors (each one reported): no steps, but the senders its EMAIL activities name,
 * when every activity could be read (else who sends is unknown, and nothing is said about it).
 */
export interface UnmappedJourney {
  start: undefined;
  fromAddresses: Array<{ address: string; at: string }> | undefined;
}

export interface JourneyContext {
  report: ImportReport;
  path: PinpointPath;
  /** The content id for an EMAIL activity's template, or undefined (reported by the callee). */
  contentIdFor(templateName: string, templateVersion: string | undefined, at: string, activity: string): string | undefined;
  /** EndpointReentryCap above 1: a first step lets a customer through on entries 1..cap only. */
  entryCap?: number;
}

const MAX_STEP_ID = 64;
const END = 'end';
/** The template of an email step whose template could not be imported (an error is reported, so it is never written). */
const NO_CONTENT = 'no-content';

/** Step ids for activity ids: lower-cased, no control characters, at most 64 characters, unique. */
export class StepIds {
  private readonly used = new Set<string>();
  private readonly byActivity = new Map<string, string>();

  constructor(activityIds: readonly string[]) {
    for (const id of activityIds) {
      const clean = id.toLowerCase().replace(/[\u0000-\u001f\u007f]/g, '').trim();
      this.byActivity.set(id, this.claim(clean === '' ? 'activity' : clean));
    }
  }

  of(activityId: string): string {
    return this.byActivity.get(activityId)!;
  }

  /** A new id based on `base`, unused so far. */
  claim(base: string): string {
    let id = truncate(base, MAX_STEP_ID);
    for (let n = 2; this.used.has(id); n++) id = `${truncate(base, MAX_STEP_ID - String(n).length - 1)}-${n}`;
    this.used.add(id);
    return id;
  }
}

function truncate(text: string, max: number): string {
  return [...text].slice(0, max).join('');
}

interface Builder {
  context: JourneyContext;
  ids: StepIds;
  activities: Map<string, Activity>;
  steps: Record<string, ImportedStep>;
  origins: Map<string, string>;
  failed: boolean;
  endId: string | undefined;
  fromAddresses: Array<{ address: string; at: string }>;
}

/** The steps for a journey's activities, or, when the export is malformed, what could be learnt (every reason is in the report). */
export function mapActivities(start: string | undefined, rawActivities: Record<string, unknown> | undefined, context: JourneyContext): MappedJourney | UnmappedJourney {
  const { report, path } = context;
  if (rawActivities === undefined || Object.keys(rawActivities).length === 0) {
    report.error(path('Activities'), 'required: the journey has no activities', 'export the journey again with `aws pinpoint get-journey`');
    return { start: undefined, fromAddresses: undefined };
  }
  const activities = new Map<string, Activity>();
  let failed = false;
  for (const [id, raw] of Object.entries(rawActivities)) {
    const parsed = Activity.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report.error(path('Activities', id, ...issue.path.map(String)), describeIssue(issue));
      failed = true;
      continue;
    }
    const types = ACTIVITY_TYPES.filter((t) => parsed.data[t] !== undefined);
    if (types.length !== 1) {
      report.error(path('Activities', id), types.length === 0 ? `an activity needs one of ${ACTIVITY_TYPES.join(', ')}` : `an activity has one type; this one has ${types.join(' and ')}`);
      failed = true;
      continue;
    }
    activities.set(id, parsed.data);
  }
  const everyActivityRead = !failed;
  if (start === undefined) {
    report.error(path('StartActivity'), 'required: the id of the first activity', `one of ${[...activities.keys()].map((k) => `"${k}"`).join(', ')}`);
    failed = true;
  } else if (!(start in rawActivities)) {
    report.error(path('StartActivity'), `"${start}" names no activity (activities are ${Object.keys(rawActivities).map((k) => `"${k}"`).join(', ')})`);
    failed = true;
  }

  const ids = new StepIds(Object.keys(rawActivities));
  const builder: Builder = { context, ids, activities, steps: {}, origins: new Map(), failed, endId: undefined, fromAddresses: [] };
  for (const [id, activity] of activities) buildActivity(builder, id, activity, Object.keys(rawActivities));
  if (builder.failed || start === undefined) {
    // Nothing is written, but the shape that could be built is still checked, so that one run
    // reports every problem: a loop without a wait is not hidden behind a missing template.
    if (start !== undefined && start in rawActivities) {
      const reachable = reachableFrom(builder.steps, ids.of(start));
      reportLoopWithoutWait(builder, Object.fromEntries(Object.entries(builder.steps).filter(([id]) => reachable.has(id))), ids.of(start));
    }
    return { start: undefined, fromAddresses: everyActivityRead ? builder.fromAddresses : undefined };
  }

  let startId = ids.of(start);
  if (context.entryCap !== undefined) {
    const guard = ids.claim('entry-cap');
    const over = endStep(builder);
    // First in the file, as it is first in the journey.
    builder.steps = {
      [guard]: { type: 'branch', name: `Re-entry cap: at most ${context.entryCap} entries`, cases: [{ if: { journey: { entries: [{ numeric: ['<=', context.entryCap] }] } }, next: startId }], else: over },
      ...builder.steps,
    };
    startId = guard;
  }

  prune(builder, startId, start, rawActivities);
  if (builder.endId !== undefined && builder.steps[builder.endId] !== undefined) {
    // The shared end reads best last.
    const end = builder.steps[builder.endId]!;
    delete builder.steps[builder.endId];
    builder.steps[builder.endId] = end;
  }
  if (reportLoopWithoutWait(builder, builder.steps, startId)) return { start: undefined, fromAddresses: builder.fromAddresses };
  return { start: startId, steps: builder.steps, origins: builder.origins, fromAddresses: builder.fromAddresses };
}

/** Reports the first loop among `steps` that never waits, by its activities; true when there is one. */
function reportLoopWithoutWait(builder: Builder, steps: Record<string, ImportedStep>, startId: string): boolean {
  const cycle = loopWithoutWait(steps, startId);
  if (!cycle) return false;
  const activitiesInLoop = [...new Set(cycle.map((step) => builder.origins.get(step) ?? step))];
  builder.context.report.error(
    builder.context.path('Activities', activitiesInLoop[0]!),
    `a loop without a wait: ${[...activitiesInLoop, activitiesInLoop[0]].map((a) => `Activities.${a}`).join(' → ')} would run forever at one instant`,
    'put a Wait activity in the loop',
  );
  return true;
}

function endStep(builder: Builder): string {
  if (builder.endId === undefined) {
    builder.endId = builder.ids.claim(END);
    builder.steps[builder.endId] = { type: 'exit', name: 'End of journey' };
  }
  return builder.endId;
}

/** The step a Pinpoint reference leads to: the activity's step, `end` when there is none, undefined (reported) when it names nothing. */
function target(builder: Builder, activityId: string | undefined, at: string, known: readonly string[]): string | undefined {
  if (activityId === undefined || activityId === '') return endStep(builder);
  if (!known.includes(activityId)) {
    builder.context.report.error(at, `"${activityId}" names no activity (activities are ${known.map((k) => `"${k}"`).join(', ')})`);
    builder.failed = true;
    return undefined;
  }
  return builder.ids.of(activityId);
}

function labels(activity: Activity): { name?: string; description?: string } {
  const text = activity.Description?.trim();
  if (!text) return {};
  return text.length <= 120 ? { name: text } : { name: `${truncate(text, 119)}…`, description: truncate(text, 1000) };
}

function put(builder: Builder, stepId: string, step: ImportedStep, activityId: string): void {
  builder.steps[stepId] = step;
  builder.origins.set(stepId, activityId);
}

function buildActivity(builder: Builder, id: string, activity: Activity, known: readonly string[]): void {
  const { report, path } = builder.context;
  const stepId = builder.ids.of(id);
  const type = ACTIVITY_TYPES.find((t) => activity[t] !== undefined)!;
  const at = path('Activities', id, type);
  const where = `$.steps.${stepId}`;
  const ref = (next: string | undefined, ...member: (string | number)[]) => target(builder, next, path('Activities', id, type, ...member), known);

  switch (type) {
    case 'EMAIL': {
      const email = activity.EMAIL!;
      const next = email.NextActivity === undefined ? undefined : ref(email.NextActivity, 'NextActivity');
      if (email.MessageConfig?.FromAddress) builder.fromAddresses.push({ address: email.MessageConfig.FromAddress, at: path('Activities', id, 'EMAIL', 'MessageConfig', 'FromAddress') });
      if (email.TemplateName === undefined) report.error(`${at}.TemplateName`, 'required: Waymark sends content items, and a journey email names its template');
      const template = email.TemplateName === undefined ? undefined : builder.context.contentIdFor(email.TemplateName, email.TemplateVersion, `${at}.TemplateName`, id);
      if (template === undefined) {
        // Without its content the step still stands in the journey's shape (a loop through it is
        // reported too); nothing is written while the report has errors.
        builder.failed = true;
        put(builder, stepId, { type: 'email', template: NO_CONTENT, ...(next === undefined ? {} : { next }) }, id);
        return;
      }
      put(builder, stepId, { type: 'email', ...labels(activity), template, ...(next === undefined ? {} : { next }) }, id);
      report.carried(at, where, `sends the template "${email.TemplateName}" as content item "${template}"${email.NextActivity === undefined ? '; the journey ends after it' : ''}`, id);
      return;
    }
    case 'Wait': {
      const wait = activity.Wait!;
      const next = ref(wait.NextActivity, 'NextActivity');
      const time = waitTime(builder, wait.WaitTime, `${at}.WaitTime`, true);
      if (time === undefined || next === undefined) return;
      if ('duration' in time) {
        put(builder, stepId, { type: 'wait', ...labels(activity), duration: time.duration, next }, id);
        report.carried(at, where, `waits ${time.duration}`, id);
      } else {
        put(builder, stepId, { type: 'wait', ...labels(activity), at: time.at, next }, id);
        report.carried(at, where, `waits until ${time.at} ("wait" with "at"); a customer who reaches it later goes on at once`, id);
      }
      return;
    }
    case 'ConditionalSplit':
      conditionalSplit(builder, id, activity, activity.ConditionalSplit!, ref);
      return;
    case 'MultiCondition':
      multiCondition(builder, id, activity, activity.MultiCondition!, ref);
      return;
    case 'RandomSplit': {
      const branches = activity.RandomSplit!.Branches ?? [];
      if (branches.length === 0) {
        report.error(`${at}.Branches`, 'required: a random split needs at least one branch');
        builder.failed = true;
        return;
      }
      const paths: Array<{ weight: number; next: string }> = [];
      branches.forEach((branch, i) => {
        const next = ref(branch.NextActivity, 'Branches', i, 'NextActivity');
        if (typeof branch.Percentage !== 'number' || branch.Percentage < 0) {
          report.error(`${at}.Branches.${i}.Percentage`, 'required: a percentage from 0 to 100');
          builder.failed = true;
          return;
        }
        if (next !== undefined) paths.push({ weight: branch.Percentage, next });
      });
      if (paths.length !== branches.length) return;
      put(builder, stepId, { type: 'split', ...labels(activity), paths }, id);
      const total = paths.reduce((sum, p) => sum + p.weight, 0);
      report.carried(at, where, `a split ${paths.map((p) => `${p.weight}%`).join(' / ')}, stable per customer${total === 100 ? '' : ` (the percentages add up to ${total}; Waymark uses them as weights)`}`, id);
      return;
    }
    case 'Holdout': {
      const holdout = activity.Holdout!;
      const next = ref(holdout.NextActivity, 'NextActivity');
      if (holdout.Percentage < 0 || holdout.Percentage > 100) {
        report.error(`${at}.Percentage`, `a percentage from 0 to 100, not ${holdout.Percentage}`);
        builder.failed = true;
        return;
      }
      if (next === undefined) return;
      put(builder, stepId, { type: 'holdout', ...labels(activity), percent: holdout.Percentage, next }, id);
      report.carried(at, where, `holds out ${holdout.Percentage}% of customers (status "holdout"), stable per customer`, id);
      return;
    }
    case 'SMS':
    case 'PUSH':
    case 'CUSTOM':
    case 'ContactCenter': {
      const other = activity[type]!;
      const next = other.NextActivity === undefined ? undefined : ref(other.NextActivity, 'NextActivity');
      if (other.NextActivity !== undefined && next === undefined) return;
      passThrough(builder, id, activity, type, next, `${CHANNEL_NAMES[type]}: Waymark sends email only`, MANUAL_FOR_CHANNEL[type]);
      return;
    }
  }
}

const CHANNEL_NAMES: Record<'SMS' | 'PUSH' | 'CUSTOM' | 'ContactCenter', string> = { SMS: 'text messages', PUSH: 'push notifications', CUSTOM: 'a custom channel (a Lambda function or webhook)', ContactCenter: 'calls from a contact center (Amazon Connect)' };
const MANUAL_FOR_CHANNEL: Record<'SMS' | 'PUSH' | 'CUSTOM' | 'ContactCenter', string> = {
  SMS: 'send it with AWS End User Messaging SMS from your application, or replace it with an email step',
  PUSH: 'send it with AWS End User Messaging Push from your application, or replace it with an email step',
  CUSTOM: 'call the Lambda function or webhook from your application when the customer reaches this point',
  ContactCenter: 'start the call from Amazon Connect outbound campaigns',
};

/**
 * A step that passes customers on without doing anything, for what Waymark
 * cannot do: a split with one path (or the end, with no next). It keeps the
 * activity's id, so the journey's shape and the report's paths stay readable.
 */
function passThrough(builder: Builder, id: string, activity: Activity, type: ActivityType, next: string | undefined, why: string, manual: string): void {
  const stepId = builder.ids.of(id);
  const name = truncate(`${activity.Description?.trim() || `${type} ${id}`} (not imported)`, 120);
  const description = `Pinpoint ${type} activity "${id}", not imported: ${why}. Customers pass through.`;
  put(builder, stepId, next === undefined ? { type: 'exit', name, description } : { type: 'split', name, description, paths: [{ weight: 100, next }] }, id);
  builder.context.report.leftOut(builder.context.path('Activities', id, type), `not imported: ${why}; the step "${stepId}" passes customers on${next === undefined ? ' and ends the journey' : ''}`, manual, id);
}

type WaitChoice = { duration: string } | { at: string };

/** A WaitTime as a duration or an instant; undefined (an error when `required`) when it has neither. */
function waitTime(builder: Builder, time: WaitTime | undefined, at: string, required: boolean): WaitChoice | undefined {
  const { report } = builder.context;
  const fail = (message: string) => {
    report.error(at, message);
    builder.failed = true;
    return undefined;
  };
  if (time === undefined || (time.WaitFor === undefined && time.WaitUntil === undefined)) {
    return required ? fail('required: WaitFor (an ISO 8601 duration) or WaitUntil (an ISO 8601 time)') : undefined;
  }
  if (time.WaitFor !== undefined && time.WaitUntil !== undefined) return fail('WaitFor and WaitUntil are both set; Pinpoint takes one');
  if (time.WaitFor !== undefined) {
    const duration = parseDuration(time.WaitFor);
    if (duration === null) return fail(`WaitFor: "${time.WaitFor}" is not an ISO 8601 duration such as "P1D" or "PT12H"`);
    if (Object.values(duration).every((v) => v === 0)) return required ? { duration: time.WaitFor } : undefined;
    return { duration: time.WaitFor };
  }
  const until = time.WaitUntil!;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(until) || Number.isNaN(Date.parse(until))) return fail(`WaitUntil: "${until}" is not an ISO 8601 time such as "2026-12-24T09:00:00Z"`);
  return { at: /(Z|[+-]\d{2}:\d{2})$/.test(until) ? until : new Date(Date.parse(`${until}Z`)).toISOString() };
}

type Classified = { kind: 'event'; pattern: EventPattern } | { kind: 'profile'; pattern: Record<string, unknown> } | { kind: 'none' };

function classify(builder: Builder, condition: SimpleCondition | undefined, at: string, activity: string): Classified {
  const { report } = builder.context;
  const context = { report, activity };
  if (condition === undefined) {
    report.leftOut(at, 'an empty condition', undefined, activity);
    return { kind: 'none' };
  }
  const forms = (['EventCondition', 'SegmentCondition', 'SegmentDimensions'] as const).filter((f) => condition[f] !== undefined);
  if (forms.length > 1) report.approximated(at, undefined, `a condition has one form; this one has ${forms.join(' and ')}, and only ${forms[0]} is used`, undefined, activity);
  if (condition.EventCondition) {
    const messageActivity = condition.EventCondition.MessageActivity;
    let messageStepId: string | undefined;
    if (messageActivity !== undefined) {
      if (!builder.activities.has(messageActivity)) {
        report.error(`${at}.EventCondition.MessageActivity`, `"${messageActivity}" names no activity`);
        builder.failed = true;
      } else {
        messageStepId = builder.ids.of(messageActivity);
        if (builder.activities.get(messageActivity)!.EMAIL === undefined) {
          report.approximated(`${at}.EventCondition.MessageActivity`, undefined, `"${messageActivity}" is not an email activity; Waymark only sees engagement with emails`, undefined, activity);
        }
      }
    }
    const pattern = eventPattern(condition.EventCondition.Dimensions, `${at}.EventCondition.Dimensions`, context, messageStepId);
    if (pattern === undefined) {
      report.leftOut(`${at}.EventCondition`, 'nothing of this event condition could be carried over', undefined, activity);
      return { kind: 'none' };
    }
    return { kind: 'event', pattern };
  }
  if (condition.SegmentCondition) {
    report.leftOut(
      `${at}.SegmentCondition`,
      `segment membership ("${condition.SegmentCondition.SegmentId}"): Waymark has no segments`,
      'keep membership as a profile attribute (for example from "Audience Joined" events) and branch on it',
      activity,
    );
    return { kind: 'none' };
  }
  if (condition.SegmentDimensions) {
    const pattern = profilePattern(condition.SegmentDimensions, `${at}.SegmentDimensions`, context);
    if (pattern === undefined) {
      report.leftOut(`${at}.SegmentDimensions`, 'nothing of these segment dimensions could be carried over', undefined, activity);
      return { kind: 'none' };
    }
    return { kind: 'profile', pattern };
  }
  report.leftOut(at, 'an empty condition', undefined, activity);
  return { kind: 'none' };
}

type Ref = (next: string | undefined, ...member: (string | number)[]) => string | undefined;

function conditionalSplit(builder: Builder, id: string, activity: Activity, split: ConditionalSplitActivity, ref: Ref): void {
  const { report, path } = builder.context;
  const at = path('Activities', id, 'ConditionalSplit');
  const stepId = builder.ids.of(id);
  const yes = ref(split.TrueActivity, 'TrueActivity');
  const no = ref(split.FalseActivity, 'FalseActivity');
  const operator = split.Condition?.Operator ?? 'ALL';
  if (operator !== 'ALL' && operator !== 'ANY') {
    report.error(`${at}.Condition.Operator`, `"${operator}" is neither ALL nor ANY`);
    builder.failed = true;
  }
  const conditions = (split.Condition?.Conditions ?? []).map((c, i) => classify(builder, c, `${at}.Condition.Conditions.${i}`, id));
  const wait = waitTime(builder, split.EvaluationWaitTime, `${at}.EvaluationWaitTime`, false);
  if (yes === undefined || no === undefined || builder.failed) return;

  const events = conditions.flatMap((c) => (c.kind === 'event' ? [c.pattern] : []));
  const profiles = conditions.flatMap((c) => (c.kind === 'profile' ? [c.pattern] : []));
  const lost = conditions.length - events.length - profiles.length;
  if (events.length === 0 && profiles.length === 0) {
    passThrough(builder, id, activity, 'ConditionalSplit', no, 'no condition of this yes/no split could be carried over, so every customer takes the "no" path (FalseActivity)', 'express the condition as an event or a profile attribute and branch on it');
    return;
  }
  if (lost > 0) {
    report.approximated(at, `$.steps.${stepId}`, `${lost} of ${conditions.length} conditions could not be carried over (see above); the split decides on the others, so it is ${operator === 'ALL' ? 'looser' : 'stricter'} than in Pinpoint`, 'check the split', id);
  }
  const profileCases = (next: string) => {
    if (operator === 'ANY') return profiles.map((p) => ({ if: { profile: p }, next }));
    const { pattern, collisions } = allOf(profiles);
    if (collisions.length > 0) report.approximated(at, `$.steps.${stepId}`, `conditions on the same attribute (${collisions.join(', ')}) cannot all be kept in one pattern; the first is kept`, 'combine them by hand', id);
    return [{ if: { profile: pattern }, next }];
  };

  if (events.length > 0) {
    if (wait === undefined || !('duration' in wait)) {
      const why = wait === undefined ? 'an event condition without an EvaluationWaitTime.WaitFor' : 'an event condition evaluated at a fixed time (EvaluationWaitTime.WaitUntil)';
      passThrough(builder, id, activity, 'ConditionalSplit', no, `${why} has no equivalent (Waymark waits for an event for a duration), so every customer takes the "no" path (FalseActivity)`, 'use a "wait" with "until" and a timeout');
      return;
    }
    if (events.length > 1 && operator === 'ALL') {
      report.approximated(at, `$.steps.${stepId}`, `all of ${events.length} events were required; Waymark waits for one event, so any of them will do`, 'keep the one event that matters most', id);
    }
    const on = anyOf(events);
    if (profiles.length === 0) {
      put(builder, stepId, { type: 'wait', ...labels(activity), until: { on, timeout: wait.duration }, next: yes, timeoutNext: no }, id);
      report.carried(at, `$.steps.${stepId}`, `waits up to ${wait.duration} for the event: "yes" (TrueActivity) as soon as it arrives, "no" (FalseActivity) after the wait`, id);
      return;
    }
    if (operator === 'ALL') {
      const check = builder.ids.claim(`${stepId}-check`);
      put(builder, stepId, { type: 'wait', ...labels(activity), until: { on, timeout: wait.duration }, next: check, timeoutNext: no }, id);
      put(builder, check, { type: 'branch', name: 'Attributes', cases: profileCases(yes), else: no }, id);
      report.approximated(at, `$.steps.${stepId}`, `waits up to ${wait.duration} for the event, then checks the attributes when it arrives (Pinpoint checked them at the end of the wait)`, undefined, id);
    } else {
      const waitStep = builder.ids.claim(`${stepId}-wait`);
      put(builder, stepId, { type: 'branch', ...labels(activity), cases: profileCases(yes), else: waitStep }, id);
      put(builder, waitStep, { type: 'wait', name: 'Event', until: { on, timeout: wait.duration }, next: yes, timeoutNext: no }, id);
      report.approximated(at, `$.steps.${stepId}`, `checks the attributes at once, then waits up to ${wait.duration} for the event (Pinpoint evaluated both over the wait)`, undefined, id);
    }
    return;
  }

  // Segment dimensions only: evaluated once, after the evaluation wait.
  if (wait === undefined) {
    put(builder, stepId, { type: 'branch', ...labels(activity), cases: profileCases(yes), else: no }, id);
    report.carried(at, `$.steps.${stepId}`, 'a branch on the customer\'s profile: "yes" (TrueActivity) when it matches, else "no" (FalseActivity)', id);
    return;
  }
  const check = builder.ids.claim(`${stepId}-check`);
  put(builder, stepId, { type: 'wait', ...labels(activity), ...('duration' in wait ? { duration: wait.duration } : { at: wait.at }), next: check } as ImportedStep, id);
  put(builder, check, { type: 'branch', name: 'Attributes', cases: profileCases(yes), else: no }, id);
  report.carried(at, `$.steps.${stepId}`, `waits ${'duration' in wait ? wait.duration : `until ${wait.at}`}, then branches on the customer's profile`, id);
}

function multiCondition(builder: Builder, id: string, activity: Activity, split: MultiConditionalSplitActivity, ref: Ref): void {
  const { report, path } = builder.context;
  const at = path('Activities', id, 'MultiCondition');
  const stepId = builder.ids.of(id);
  const fallback = ref(split.DefaultActivity, 'DefaultActivity');
  const branches = (split.Branches ?? []).map((branch, i) => ({
    index: i,
    condition: classify(builder, branch.Condition, `${at}.Branches.${i}.Condition`, id),
    next: ref(branch.NextActivity, 'Branches', i, 'NextActivity'),
  }));
  const wait = waitTime(builder, split.EvaluationWaitTime, `${at}.EvaluationWaitTime`, false);
  if (fallback === undefined || branches.some((b) => b.next === undefined) || builder.failed) return;

  const events = branches.flatMap((b) => (b.condition.kind === 'event' ? [{ pattern: b.condition.pattern, next: b.next!, index: b.index }] : []));
  const profiles = branches.flatMap((b) => (b.condition.kind === 'profile' ? [{ pattern: b.condition.pattern, next: b.next!, index: b.index }] : []));
  for (const lost of branches.filter((b) => b.condition.kind === 'none')) {
    report.approximated(`${at}.Branches.${lost.index}`, `$.steps.${stepId}`, 'this path\'s condition could not be carried over, so no customer takes it', 'express the condition as an event or a profile attribute', id);
  }
  if (events.length === 0 && profiles.length === 0) {
    passThrough(builder, id, activity, 'MultiCondition', fallback, 'no path of this multivariate split could be carried over, so every customer takes the default path (DefaultActivity)', 'express the conditions as events or profile attributes and branch on them');
    return;
  }
  const profileCases = profiles.map((p) => ({ if: { profile: p.pattern }, next: p.next }));

  if (events.length === 0) {
    if (wait === undefined) {
      put(builder, stepId, { type: 'branch', ...labels(activity), cases: profileCases, else: fallback }, id);
      report.carried(at, `$.steps.${stepId}`, `a branch on the customer's profile: the first of ${profiles.length} paths that matches, else the default`, id);
      return;
    }
    const check = builder.ids.claim(`${stepId}-check`);
    put(builder, stepId, { type: 'wait', ...labels(activity), ...('duration' in wait ? { duration: wait.duration } : { at: wait.at }), next: check } as ImportedStep, id);
    put(builder, check, { type: 'branch', name: 'Attributes', cases: profileCases, else: fallback }, id);
    report.carried(at, `$.steps.${stepId}`, `waits ${'duration' in wait ? wait.duration : `until ${wait.at}`}, then takes the first of ${profiles.length} paths whose attributes match, else the default`, id);
    return;
  }

  if (wait === undefined || !('duration' in wait)) {
    for (const e of events) {
      report.approximated(`${at}.Branches.${e.index}`, `$.steps.${stepId}`, 'an event path needs EvaluationWaitTime.WaitFor (Waymark waits for an event for a duration); no customer takes it', 'use a "wait" with "until" and a timeout', id);
    }
    if (profiles.length === 0) {
      passThrough(builder, id, activity, 'MultiCondition', fallback, 'event paths without a duration to wait have no equivalent, so every customer takes the default path (DefaultActivity)', 'use a "wait" with "until" and a timeout');
      return;
    }
    put(builder, stepId, { type: 'branch', ...labels(activity), cases: profileCases, else: fallback }, id);
    return;
  }
  const on = anyOf(events.map((e) => e.pattern));
  const which = events.length === 1 ? undefined : builder.ids.claim(`${stepId}-which`);
  const waitFor: ImportedStep = { type: 'wait', until: { on, timeout: wait.duration }, next: which ?? events[0]!.next, timeoutNext: fallback };
  let waitId = stepId;
  if (profiles.length > 0) {
    waitId = builder.ids.claim(`${stepId}-wait`);
    put(builder, stepId, { type: 'branch', ...labels(activity), cases: profileCases, else: waitId }, id);
    put(builder, waitId, { ...waitFor, name: 'Events' }, id);
    const eventFirst = events[0]!.index < profiles.at(-1)!.index;
    report.approximated(
      at,
      `$.steps.${stepId}`,
      `paths on attributes are checked at once${eventFirst ? ', before the paths on events that came first in Pinpoint' : ''}; then the customer waits up to ${wait.duration} for the events`,
      'check the order of the paths',
      id,
    );
  } else {
    put(builder, stepId, { ...waitFor, ...labels(activity) }, id);
  }
  if (which !== undefined) {
    put(builder, which, { type: 'branch', name: 'Which event', cases: events.map((e) => ({ if: { event: e.pattern }, next: e.next })), else: fallback }, id);
  }
  report.carried(
    at,
    `$.steps.${waitId}`,
    `waits up to ${wait.duration} for ${events.length === 1 ? 'the event' : `one of ${events.length} events`}${which === undefined ? '' : `, then "${which}" takes the path of the event that arrived`}; the default path (DefaultActivity) after the wait`,
    id,
  );
}

/** Drops steps that cannot be reached from the start, and reports the activities they came from. */
function prune(builder: Builder, startId: string, startActivity: string, rawActivities: Record<string, unknown>): void {
  const reachable = reachableFrom(builder.steps, startId);
  // Activities Pinpoint itself could never reach.
  const referenced = new Set<string>([startActivity]);
  const queue = [startActivity];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const next of activityTargets(builder.activities.get(id))) {
      if (next in rawActivities && !referenced.has(next)) {
        referenced.add(next);
        queue.push(next);
      }
    }
  }
  const dropped = new Set<string>();
  for (const stepId of Object.keys(builder.steps)) {
    if (reachable.has(stepId)) continue;
    const activity = builder.origins.get(stepId);
    delete builder.steps[stepId];
    if (activity !== undefined && ![...reachable].some((s) => builder.origins.get(s) === activity)) dropped.add(activity);
  }
  for (const activity of dropped) {
    builder.context.report.forgetActivity(activity);
    builder.context.report.leftOut(
      builder.context.path('Activities', activity),
      referenced.has(activity)
        ? 'only reachable through a condition that was not carried over, so no customer can reach it'
        : 'no activity leads here in Pinpoint either (not reachable from StartActivity)',
      referenced.has(activity) ? 'reconnect it once the condition before it is rewritten' : undefined,
    );
  }
}
