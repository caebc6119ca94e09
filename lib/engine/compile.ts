/**
 * A validated workflow, prepared for the hot path: patterns compiled once,
 * durations parsed once, content indexed. The interpreter only ever sees this.
 */
import { type ContentCatalogue } from './content';
import type { CustomerEvent } from './model';
import { compilePattern } from './patterns';
import { DEFAULT_STAGES } from './constants';
import type { EventPattern, SendWindow, Step, Workflow } from './schema';
import { type Duration, durationMs, parseDuration } from './time';

export type Matcher = (document: unknown) => boolean;

export type CompiledStep =
  | { type: 'email'; id: string; step: Extract<Step, { type: 'email' }> }
  | { type: 'wait-duration'; id: string; step: Extract<Step, { type: 'wait' }>; duration: Duration }
  | { type: 'wait-event'; id: string; step: Extract<Step, { type: 'wait' }>; timeout: Duration; match: Matcher }
  | { type: 'branch'; id: string; step: Extract<Step, { type: 'branch' }>; cases: Array<{ match: Matcher; next: string }> }
  | { type: 'split'; id: string; step: Extract<Step, { type: 'split' }>; totalWeight: number }
  | { type: 'holdout'; id: string; step: Extract<Step, { type: 'holdout' }> }
  | { type: 'stage'; id: string; step: Extract<Step, { type: 'stage' }> }
  | { type: 'exit'; id: string; step: Extract<Step, { type: 'exit' }> };

export type CompiledReentry = { kind: 'never' } | { kind: 'after-exit' } | { kind: 'after'; duration: Duration };

export interface CompiledWorkflow {
  readonly definition: Workflow;
  readonly id: string;
  readonly version: number;
  readonly stages: readonly string[];
  readonly start: string;
  readonly entry: Matcher;
  readonly reentry: CompiledReentry;
  readonly goal: { match: Matcher; stage: string | undefined; then: string } | undefined;
  readonly exits: readonly Matcher[];
  readonly steps: ReadonlyMap<string, CompiledStep>;
  readonly content: ContentCatalogue;
  readonly timezone: string;
  readonly sendWindow: SendWindow | undefined;
  readonly frequencyCap: { max: number; perMs: number } | undefined;
  /** Every event pattern of the workflow (entry, goal, exits, waits): what its EventBridge rule must deliver. */
  readonly eventPatterns: readonly EventPattern[];
  /** True when the event could change a customer's place in this workflow (cheap: lets the runtime skip reads). */
  readonly concerns: (event: CustomerEvent) => boolean;
}

/** The SES engagement event kinds Waymark tracks, by EventBridge detail-type. */
export const ENGAGEMENT_DETAIL_TYPES = { 'Email Opened': 'open', 'Email Clicked': 'click' } as const;

/**
 * SES events are scoped to the workflow whose email they are about: a click on
 * one journey's email does not end another journey's wait.
 */
export function engagementWorkflowId(event: CustomerEvent): string | undefined {
  if (event.source !== 'aws.ses') return undefined;
  const workflowId = event.detail.workflowId;
  return typeof workflowId === 'string' ? workflowId : undefined;
}

function mustParse(text: string): Duration {
  const duration = parseDuration(text);
  if (!duration) throw new Error(`invalid duration "${text}"`);
  return duration;
}

/** Compiles a workflow that passed `validateWorkflow` (throws on what validation would have rejected). */
export function compileWorkflow(definition: Workflow, content: ContentCatalogue): CompiledWorkflow {
  const steps = new Map<string, CompiledStep>();
  const waitMatchers: Matcher[] = [];
  const eventPatterns: EventPattern[] = [definition.entry.on];
  for (const [id, step] of Object.entries(definition.steps)) {
    switch (step.type) {
      case 'wait':
        if (step.until) {
          const match = compilePattern(step.until.on);
          waitMatchers.push(match);
          eventPatterns.push(step.until.on);
          steps.set(id, { type: 'wait-event', id, step, timeout: mustParse(step.until.timeout), match });
        } else {
          steps.set(id, { type: 'wait-duration', id, step, duration: mustParse(step.duration ?? '') });
        }
        break;
      case 'branch':
        steps.set(id, { type: 'branch', id, step, cases: step.cases.map((c) => ({ match: compilePattern(c.if), next: c.next })) });
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
    ? { match: compilePattern(definition.goal.on), stage: definition.goal.stage, then: definition.goal.then }
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
    goal,
    exits,
    steps,
    content,
    timezone: settings.timezone,
    sendWindow: settings.sendWindow,
    frequencyCap: settings.frequencyCap ? { max: settings.frequencyCap.max, perMs: durationMs(settings.frequencyCap.per) } : undefined,
    eventPatterns,
    concerns,
  };
}
