/**
 * A workflow as a graph for people: each step with the stage a customer is in
 * there (set by the step, or carried from the steps before it), a one-line
 * summary, and labelled edges. The journey map and the HTML report draw it.
 */
import { DEFAULT_STAGES } from './constants';
import type { EventPattern, Step, WaitAt, Workflow } from './schema';
import { parseDuration } from './time';

export interface GraphStep {
  id: string;
  type: Step['type'];
  label: string;
  stage: string | null;
  setsStage: boolean;
  summary: string;
  isStart: boolean;
}

export interface GraphEdge {
  from: string;
  to: string;
  label: string;
}

export interface JourneyGraph {
  stages: string[];
  steps: GraphStep[];
  edges: GraphEdge[];
}

/** "P3D" → "3 days", "PT12H" → "12 hours", "P1W" → "1 week". */
export function humanDuration(iso: string): string {
  const d = parseDuration(iso);
  if (!d) return iso;
  const parts: string[] = [];
  const unit = (n: number, name: string) => n > 0 && parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
  unit(d.years, 'year');
  unit(d.months, 'month');
  unit(d.weeks, 'week');
  unit(d.days, 'day');
  unit(d.hours, 'hour');
  unit(d.minutes, 'minute');
  unit(d.seconds, 'second');
  return parts.join(' ') || '0 seconds';
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * "2026-12-31T14:00:00Z" → "31 Dec 2026 14:00 UTC"; seconds only when there are some. In UTC, as
 * written in no particular customer's zone: an instant is the same moment for everyone, and the
 * report's other times are UTC too. Text that is not an instant is returned as it is.
 */
export function humanInstant(iso: string): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const d = new Date(at);
  const pad = (n: number) => String(n).padStart(2, '0');
  const seconds = d.getUTCSeconds() === 0 ? '' : `:${pad(d.getUTCSeconds())}`;
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds} UTC`;
}

/** `wait.at` for people: "31 Dec 2026 14:00 UTC", "7 days before profile.renewsAt", "9 hours after event.detail.deliveryDate". */
export function describeMoment(at: WaitAt): string {
  if (typeof at === 'string') return humanInstant(at);
  const shift = at.offset === undefined ? '0 seconds' : humanDuration(at.offset.replace(/^[-+]/, ''));
  if (shift === '0 seconds') return at.attribute;
  return `${shift} ${at.offset!.startsWith('-') ? 'before' : 'after'} ${at.attribute}`;
}

/** A short reading of a pattern: `profile.plan: trial`, `detail-type: order.placed`. */
export function describePattern(pattern: EventPattern, prefix = ''): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      parts.push(value.map((p) => describePattern(p as EventPattern, prefix)).join(' or '));
    } else if (Array.isArray(value)) {
      parts.push(`${prefix}${key}: ${value.map(describeMatcher).join(' | ')}`);
    } else if (typeof value === 'object' && value !== null) {
      parts.push(describePattern(value as EventPattern, `${prefix}${key}.`));
    }
  }
  return parts.join(', ');
}

function describeMatcher(matcher: unknown): string {
  if (typeof matcher !== 'object' || matcher === null) return String(matcher);
  const [operator, operand] = Object.entries(matcher)[0] ?? ['', ''];
  if (operator === 'numeric' && Array.isArray(operand)) return operand.join(' ');
  if (operator === 'anything-but') return `not ${Array.isArray(operand) ? operand.join('/') : JSON.stringify(operand)}`;
  return `${operator} ${typeof operand === 'string' ? operand : JSON.stringify(operand)}`;
}

function summaryOf(step: Step): string {
  switch (step.type) {
    case 'email':
      return step.template !== undefined ? `template ${step.template}` : `${step.content!.kind}${step.content!.tags?.length ? ` #${step.content!.tags.join(' #')}` : ''}`;
    case 'wait':
      if (step.until) return `wait for ${describePattern(step.until.on).replace(/^detail-type: /, '')}, up to ${humanDuration(step.until.timeout)}`;
      if (step.at !== undefined) return `wait until ${describeMoment(step.at)}`;
      return `wait ${humanDuration(step.duration!)}`;
    case 'branch':
      return `${step.cases.length} case${step.cases.length === 1 ? '' : 's'}, else ${step.else}`;
    case 'split': {
      const total = step.paths.reduce((sum, p) => sum + p.weight, 0) || 1;
      return step.paths.map((p) => `${Math.round((p.weight / total) * 100)}%`).join(' / ');
    }
    case 'holdout':
      return `${step.percent}% held out`;
    case 'stage':
      return `stage → ${step.stage}`;
    case 'exit':
      return 'journey ends';
  }
}

function edgesOf(id: string, step: Step): GraphEdge[] {
  switch (step.type) {
    case 'email':
    case 'stage':
      return step.next === undefined ? [] : [{ from: id, to: step.next, label: '' }];
    case 'wait':
      return step.until
        ? [{ from: id, to: step.next, label: 'event' }, ...(step.timeoutNext === undefined ? [] : [{ from: id, to: step.timeoutNext, label: 'timeout' }])]
        : [{ from: id, to: step.next, label: '' }];
    case 'branch':
      return [...step.cases.map((c) => ({ from: id, to: c.next, label: describePattern(c.if).slice(0, 48) })), { from: id, to: step.else, label: 'else' }];
    case 'split': {
      const total = step.paths.reduce((sum, p) => sum + p.weight, 0) || 1;
      return step.paths.map((p) => ({ from: id, to: p.next, label: `${Math.round((p.weight / total) * 100)}%` }));
    }
    case 'holdout':
      return [{ from: id, to: step.next, label: `${100 - step.percent}%` }];
    case 'exit':
      return [];
  }
}

export function journeyGraph(workflow: Workflow): JourneyGraph {
  const stages = [...(workflow.stages ?? DEFAULT_STAGES)];
  const edges = Object.entries(workflow.steps).flatMap(([id, step]) => edgesOf(id, step)).filter((e) => workflow.steps[e.to] !== undefined);
  // The stage at each step: breadth-first from the start (and the goal's jump), first reach wins.
  const stageAt = new Map<string, string | null>();
  const goalTarget = workflow.goal && workflow.goal.then !== 'exit' ? workflow.goal.then : undefined;
  const queue: Array<[string, string | null]> = [[workflow.start, null]];
  if (goalTarget) queue.push([goalTarget, workflow.goal?.stage ?? null]);
  while (queue.length > 0) {
    const [id, inherited] = queue.shift()!;
    const step = workflow.steps[id];
    if (!step || stageAt.has(id)) continue;
    const stage = step.stage ?? inherited;
    stageAt.set(id, stage);
    for (const edge of edges) if (edge.from === id) queue.push([edge.to, stage]);
  }
  const steps = Object.entries(workflow.steps).map(([id, step]) => ({
    id,
    type: step.type,
    label: step.name ?? id,
    stage: stageAt.get(id) ?? step.stage ?? null,
    setsStage: step.stage !== undefined,
    summary: summaryOf(step),
    isStart: id === workflow.start,
  }));
  return { stages, steps, edges };
}
