/**
 * A validated workflow, prepared for the hot path: patterns compiled once,
 * durations parsed once, content indexed. The interpreter only ever sees this.
 */
import { type ContentCatalogue } from './content';
import type { CustomerEvent } from './model';
import { compilePattern } from './patterns';
import { DEFAULT_STAGES } from './constants';
import type { EventPattern, SendWindow, Step, WaitAt, Workflow } from './schema';
import { type Duration, durationMs, parseDuration } from './time';

export type Matcher = (document: unknown) => boolean;

export type CompiledStep =
  | { type: 'email'; id: string; step: Extract<Step, { type: 'email' }> }
  | { type: 'wait-duration'; id: string; step: Extract<Step, { type: 'wait' }>; duration: Duration }
  | { type: 'wait-event'; id: string; step: Extract<Step, { type: 'wait' }>; timeout: Duration; match: Matcher }
  | { type: 'wait-at'; id: string; step: Extract<Step, { type: 'wait' }>; moment: CompiledMoment }
  | { type: 'branch'; id: string; step: Extract<Step, { type: 'branch' }>; cases: Array<{ match: Matcher; next: string }>; readsEnteredAt: boolean }
  | { type: 'split'; id: string; step: Extract<Step, { type: 'split' }>; totalWeight: number }
  | { type: 'holdout'; id: string; step: Extract<Step, { type: 'holdout' }> }
  | { type: 'stage'; id: string; step: Extract<Step, { type: 'stage' }> }
  | { type: 'exit'; id: string; step: Extract<Step, { type: 'exit' }> };

/** Where a `wait.at` finds its moment: a fixed instant, or a path into the profile or the event, shifted by an offset. */
export type CompiledMoment = { kind: 'instant'; at: number } | { kind: 'attribute'; source: 'profile' | 'event'; path: readonly string[]; offset: string | undefined };

export type CompiledReentry = { kind: 'never' } | { kind: 'after-exit' } | { kind: 'after'; duration: Duration };

export interface CompiledWorkflow {
  readonly definition: Workflow;
  readonly id: string;
  readonly version: number;
  readonly stages: readonly string[];
  readonly start: string;
  readonly entry: Matcher;
  readonly reentry: CompiledReentry;
  /** An event older than this when applied makes no one enter (entry.maxAge). */
  readonly entryMaxAgeMs: number;
  readonly goal: CompiledGoal | undefined;
  readonly exits: readonly Matcher[];
  readonly steps: ReadonlyMap<string, CompiledStep>;
  readonly content: ContentCatalogue;
  readonly timezone: string;
  readonly sendWindow: SendWindow | undefined;
  readonly frequencyCap: { max: number; perMs: number } | undefined;
  /** Under the send budget: higher goes first. */
  readonly priority: number;
  /** Whether this workflow's emails count against the send budget. */
  readonly budgeted: boolean;
  readonly overBudget: 'wait' | 'skip';
  /** Every event pattern of the workflow (entry, goal, exits, waits): what its EventBridge rule must deliver. */
  readonly eventPatterns: readonly EventPattern[];
  /** True when the event could change a customer's place in this workflow (cheap: lets the runtime skip reads). */
  readonly concerns: (event: CustomerEvent) => boolean;
}

export interface CompiledGoal {
  match: Matcher;
  stage: string | undefined;
  then: string;
  /** How long before a conversion an email may be credited with it; and how long finished customers are watched for the goal. */
  attributionMs: number;
  /** The path of `goal.value` under the event's detail (empty: the goal has no value). */
  valuePath: readonly string[];
  /**
   * Per holdout step, how long after being held out a customer's conversion still counts: the
   * journey's longest timed path after the holdout plus the attribution window, so the control group
   * is watched as long as a treated customer (who can convert anywhere on that path, and within the
   * window after completing it).
   */
  holdoutWatchMs: ReadonlyMap<string, number>;
}

/** The SES engagement event kinds Waymark tracks, by EventBridge detail-type. */
export const ENGAGEMENT_DETAIL_TYPES = { 'Email Opened': 'open', 'Email Clicked': 'click' } as const;

/** The source SES engagement events carry once mapped to their customer (EventBridge refuses it from producers). */
export const SES_SOURCE = 'aws.ses';

/**
 * A producer's event named like SES engagement ("Email Clicked" from "com.acme.web"):
 * it must never pass for a click on a journey's email, so no journey uses it.
 */
export function isImpersonatedEngagement(event: CustomerEvent): boolean {
  return event.source !== SES_SOURCE && Object.hasOwn(ENGAGEMENT_DETAIL_TYPES, event['detail-type']);
}

/**
 * SES events are scoped to the workflow whose email they are about: a click on
 * one journey's email does not end another journey's wait.
 */
export function engagementWorkflowId(event: CustomerEvent): string | undefined {
  if (event.source !== SES_SOURCE) return undefined;
  const workflowId = event.detail.workflowId;
  return typeof workflowId === 'string' ? workflowId : undefined;
}

/** Whether `name` is a field name anywhere in the pattern (at any depth, in $or too). */
function namesField(pattern: unknown, name: string): boolean {
  if (Array.isArray(pattern)) return pattern.some((item) => namesField(item, name));
  if (pattern === null || typeof pattern !== 'object') return false;
  return Object.keys(pattern).some((key) => key === name || namesField((pattern as Record<string, unknown>)[key], name));
}

function mustParse(text: string): Duration {
  const duration = parseDuration(text);
  if (!duration) throw new Error(`invalid duration "${text}"`);
  return duration;
}

function compileMoment(at: WaitAt): CompiledMoment {
  if (typeof at === 'string') return { kind: 'instant', at: Date.parse(at) };
  const [source, ...path] = at.attribute.split('.');
  return { kind: 'attribute', source: source === 'event' ? 'event' : 'profile', path, offset: at.offset };
}

/** A timed path longer than this (or a loop through waits) is watched this long: a year. */
const LONGEST_WATCH_MS = 365 * 86_400_000;

function holdoutWatchTimes(steps: ReadonlyMap<string, CompiledStep>, attributionMs: number): Map<string, number> {
  const watch = new Map<string, number>();
  for (const step of steps.values()) {
    if (step.type === 'holdout') watch.set(step.id, Math.min(LONGEST_WATCH_MS, longestTimedPathMs(steps, step.step.next, new Set())) + attributionMs);
  }
  return watch;
}

/**
 * The longest a customer can spend on the steps from `id` to the journey's end, counting fixed waits
 * and event waits' timeouts (a `wait.at` depends on the customer and counts as nothing). A loop
 * counts as the longest watch.
 */
function longestTimedPathMs(steps: ReadonlyMap<string, CompiledStep>, id: string | undefined, onPath: Set<string>): number {
  const step = id === undefined ? undefined : steps.get(id);
  if (!step) return 0;
  if (onPath.has(step.id)) return LONGEST_WATCH_MS;
  onPath.add(step.id);
  const longestOf = (ids: Array<string | undefined>): number => Math.max(0, ...ids.map((next) => longestTimedPathMs(steps, next, onPath)));
  let ms: number;
  switch (step.type) {
    case 'wait-duration':
      ms = durationMs(step.duration) + longestOf([step.step.next]);
      break;
    case 'wait-event':
      ms = durationMs(step.timeout) + longestOf([step.step.next, step.step.timeoutNext]);
      break;
    case 'branch':
      ms = longestOf([...step.cases.map((c) => c.next), step.step.else]);
      break;
    case 'split':
      ms = longestOf(step.step.paths.map((path) => path.next));
      break;
    case 'exit':
      ms = 0;
      break;
    default:
      ms = longestOf([step.step.next]);
  }
  onPath.delete(step.id);
  return Math.min(ms, LONGEST_WATCH_MS);
}

/** Compiles a workflow that passed `validateWorkflow` (throws on what validation would have rejected). */
export function compileWorkflow(definition: Workflow, content: ContentCatalogue): CompiledWorkflow {
  const steps = new Map<string, CompiledStep>();
  const waitMatchers: Matcher[] = [];
  const eventPatterns: EventPattern[] = [definition.entry.on];
  for (const [id, step] of Object.entries(definition.steps)) {
    switch (step.type) {
      case 'wait':
        if (step.at !== undefined) {
          steps.set(id, { type: 'wait-at', id, step, moment: compileMoment(step.at) });
        } else if (step.until) {
          const match = compilePattern(step.until.on);
          waitMatchers.push(match);
          eventPatterns.push(step.until.on);
          steps.set(id, { type: 'wait-event', id, step, timeout: mustParse(step.until.timeout), match });
        } else {
          steps.set(id, { type: 'wait-duration', id, step, duration: mustParse(step.duration ?? '') });
        }
        break;
      case 'branch':
        steps.set(id, { type: 'branch', id, step, cases: step.cases.map((c) => ({ match: compilePattern(c.if), next: c.next })), readsEnteredAt: step.cases.some((c) => namesField(c.if, 'enteredAt')) });
        break;
      case 'split':
        steps.set(id, { type: 'split', id, step, totalWeight: step.paths.reduce((sum, path) => sum + path.weight, 0) });
        break;
      default:
        steps.set(id, { type: step.type, id, step } as CompiledStep);
    }
  }

  const entry = compilePattern(definition.entry.on);
  const goal = definition.goal
    ? {
        match: compilePattern(definition.goal.on),
        stage: definition.goal.stage,
        then: definition.goal.then,
        attributionMs: durationMs(definition.goal.attributionWindow ?? 'P7D'),
        valuePath: definition.goal.value === undefined ? [] : definition.goal.value.split('.').slice(1),
        holdoutWatchMs: holdoutWatchTimes(steps, durationMs(definition.goal.attributionWindow ?? 'P7D')),
      }
    : undefined;
  if (definition.goal) eventPatterns.push(definition.goal.on);
  const exits = (definition.exitOn ?? []).map((pattern) => compilePattern(pattern));
  eventPatterns.push(...(definition.exitOn ?? []));

  const reentry = definition.entry.reentry;
  const compiledReentry: CompiledReentry =
    reentry === 'never' ? { kind: 'never' } : reentry === 'after-exit' ? { kind: 'after-exit' } : { kind: 'after', duration: mustParse(reentry.after) };

  const settings = definition.settings;
  const id = definition.id;
  const concerns = (event: CustomerEvent): boolean => {
    if (isImpersonatedEngagement(event)) return false;
    const scopedTo = engagementWorkflowId(event);
    if (scopedTo !== undefined) return scopedTo === id;
    if (entry(event) || (goal && goal.match(event))) return true;
    for (const match of exits) if (match(event)) return true;
    for (const match of waitMatchers) if (match(event)) return true;
    return false;
  };

  return {
    definition,
    id,
    version: definition.version,
    stages: definition.stages ?? DEFAULT_STAGES,
    start: definition.start,
    entry,
    reentry: compiledReentry,
    entryMaxAgeMs: durationMs(definition.entry.maxAge ?? 'P1D'),
    goal,
    exits,
    steps,
    content,
    timezone: settings.timezone,
    sendWindow: settings.sendWindow,
    frequencyCap: settings.frequencyCap ? { max: settings.frequencyCap.max, perMs: durationMs(settings.frequencyCap.per) } : undefined,
    priority: settings.priority ?? 0,
    budgeted: (settings.budget ?? 'counted') === 'counted',
    overBudget: settings.overBudget ?? 'wait',
    eventPatterns,
    concerns,
  };
}
