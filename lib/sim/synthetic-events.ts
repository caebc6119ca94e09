/**
 * Synthetic events from patterns: a document that matches an entry, goal or wait pattern, and
 * values that spread across the cases of the branches an awaited event leads to. `waymark
 * simulate` makes its customers' events with these, and so does the demo of `npm start`
 * (lib/dev/demo-plan.ts).
 */
import { ENGAGEMENT_DETAIL_TYPES } from '../engine/compile';
import type { EventPattern, Workflow } from '../engine/schema';
import { SIMULATED_SOURCE, SIMULATION_DEFAULTS } from './defaults';

export type Leaf = string | number | boolean | null;
const NO_VALUE = Symbol('no value');

/** A document matching `pattern` (the first alternative of each choice), for entry, goal and awaited events. */
export function documentMatching(pattern: EventPattern): Record<string, unknown> {
  const document: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      const first = Array.isArray(value) ? value[0] : undefined;
      if (first && typeof first === 'object') mergeInto(document, documentMatching(first as EventPattern));
    } else if (Array.isArray(value)) {
      const leaf = leafMatching(value);
      if (leaf !== NO_VALUE) document[key] = leaf;
    } else if (value && typeof value === 'object') {
      const nested = documentMatching(value as EventPattern);
      const existing = document[key];
      document[key] = existing && typeof existing === 'object' ? mergeInto(existing as Record<string, unknown>, nested) : nested;
    }
  }
  return document;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (existing && typeof existing === 'object' && value && typeof value === 'object' && !Array.isArray(value)) mergeInto(existing as Record<string, unknown>, value as Record<string, unknown>);
    else target[key] = value;
  }
  return target;
}

/** A value one of the matchers accepts (NO_VALUE: the field must be absent, or nothing simple fits). */
function leafMatching(matchers: unknown[]): Leaf | typeof NO_VALUE {
  for (const matcher of matchers) {
    if (matcher === null || typeof matcher !== 'object') return matcher as Leaf;
    const [operator, operand] = Object.entries(matcher)[0] ?? [];
    switch (operator) {
      case 'prefix':
      case 'suffix':
      case 'equals-ignore-case':
        if (typeof operand === 'string') return operand;
        if (operand && typeof operand === 'object') {
          const inner = Object.values(operand)[0];
          if (typeof inner === 'string') return inner;
        }
        break;
      case 'wildcard':
        if (typeof operand === 'string') return operand.replace(/\\\*/g, '\u0000').replace(/\*/g, '').replace(/\u0000/g, '*');
        break;
      case 'numeric':
        if (Array.isArray(operand)) return numberInRange(operand);
        break;
      case 'exists':
        if (operand === true) return 'simulated';
        return NO_VALUE;
      case 'anything-but': {
        const excluded = Array.isArray(operand) ? operand : [operand];
        if (excluded.every((v) => typeof v === 'number')) return Math.max(0, ...(excluded as number[])) + 1;
        return 'simulated-other';
      }
      case 'cidr':
        if (typeof operand === 'string') return operand.split('/')[0] ?? operand;
        break;
    }
  }
  return NO_VALUE;
}

/** A number satisfying a numeric matcher ([">=", 9], [">", 0, "<=", 5], ["=", 3]). */
function numberInRange(operand: unknown[]): number {
  let lo = Number.NEGATIVE_INFINITY;
  let hi = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < operand.length; i += 2) {
    const op = operand[i];
    const n = operand[i + 1];
    if (typeof n !== 'number') continue;
    if (op === '=') return n;
    if (op === '>' || op === '>=') lo = Math.max(lo, op === '>' ? n + 1e-6 : n);
    if (op === '<' || op === '<=') hi = Math.min(hi, op === '<' ? n - 1e-6 : n);
  }
  // The smallest whole number in range if there is one, else the middle of the range.
  if (Number.isFinite(lo)) return Math.ceil(lo) <= hi ? Math.ceil(lo) : (lo + hi) / 2;
  if (Number.isFinite(hi)) return Math.floor(hi);
  return 0;
}

/** What branch conditions test in `event.detail`: per field, the thresholds and the exact values they name. */
export interface FieldSpec {
  path: string[];
  thresholds: number[];
  values: Leaf[];
}

export function collectDetailFields(pattern: unknown, path: string[], fields: Map<string, FieldSpec>): void {
  if (!pattern || typeof pattern !== 'object') return;
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or') {
      if (Array.isArray(value)) for (const alternative of value) collectDetailFields(alternative, path, fields);
    } else if (Array.isArray(value)) {
      const fieldPath = [...path, key];
      const id = fieldPath.join('\u0000');
      let spec = fields.get(id);
      if (!spec) fields.set(id, (spec = { path: fieldPath, thresholds: [], values: [] }));
      for (const matcher of value) {
        if (matcher === null || typeof matcher !== 'object') {
          if (!spec.values.includes(matcher as Leaf)) spec.values.push(matcher as Leaf);
          continue;
        }
        const [operator, operand] = Object.entries(matcher)[0] ?? [];
        if (operator === 'numeric' && Array.isArray(operand)) {
          for (let i = 1; i < operand.length; i += 2) if (typeof operand[i] === 'number') spec.thresholds.push(operand[i] as number);
        } else if (operator === 'anything-but') {
          for (const v of Array.isArray(operand) ? operand : [operand]) if (v === null || typeof v !== 'object') spec.values.push(v as Leaf);
        } else if ((operator === 'equals-ignore-case' || operator === 'prefix' || operator === 'suffix') && typeof operand === 'string') {
          spec.values.push(operand);
        }
      }
    } else {
      collectDetailFields(value, [...path, key], fields);
    }
  }
}

/** Draws a value for a field so that, over many customers, every branch case (and the else) is taken. */
export function drawField(spec: FieldSpec, random: () => number): Leaf {
  const name = spec.path[spec.path.length - 1] ?? '';
  if (spec.thresholds.length > 0) {
    const lo = Math.min(...spec.thresholds);
    const hi = Math.max(...spec.thresholds);
    const integers = spec.thresholds.every(Number.isInteger);
    // A score (NPS, CSAT on 0..10): every integer from 0 to 10.
    if (/score/i.test(name) || (integers && lo >= 0 && hi <= 10)) return Math.floor(random() * 11);
    const span = hi > lo ? hi - lo : Math.max(1, Math.abs(hi));
    const value = lo - span / 2 + random() * (hi - lo + span);
    return integers ? Math.round(value) : Math.round(value * 100) / 100;
  }
  if (spec.values.length > 0) {
    // Each named value, and once in a while one none of the cases names (the else).
    const i = Math.floor(random() * (spec.values.length + 1));
    if (i < spec.values.length) return spec.values[i]!;
    return spec.values.every((v) => typeof v === 'number') ? Math.max(0, ...(spec.values as number[])) + 1 : 'other';
  }
  return 'simulated';
}

export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    let next = node[key];
    if (!next || typeof next !== 'object') node[key] = next = {};
    node = next as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

export function hasPath(target: Record<string, unknown>, path: readonly string[]): boolean {
  let node: unknown = target;
  for (const key of path) {
    if (!node || typeof node !== 'object' || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** A non-email event a `wait` step waits for, and how the simulation makes one. */
export interface WaitedEvent {
  stepId: string;
  /** The awaited event's detail-type (the key of `waitedEvents`). */
  key: string;
  probability: number;
  source: string;
  detailType: string;
  /** The fields the wait's pattern requires. */
  base: Record<string, unknown>;
  /** Fields the branches after the wait look at (absent from `base`): drawn per event. */
  drawn: FieldSpec[];
}

/** The steps an event's context reaches from `start` without passing a wait: where `event` is still in scope. */
export function stepsReachedAtOnce(workflow: Workflow, start: string): string[] {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.shift()!;
    const step = workflow.steps[id];
    if (!step || seen.has(id)) continue;
    seen.add(id);
    switch (step.type) {
      case 'branch':
        queue.push(...step.cases.map((c) => c.next), step.else);
        break;
      case 'split':
        queue.push(...step.paths.map((p) => p.next));
        break;
      case 'email':
      case 'stage':
        if (step.next !== undefined) queue.push(step.next);
        break;
      case 'holdout':
        queue.push(step.next);
        break;
      default: // a wait ends the event's scope; an exit ends the journey
    }
  }
  return [...seen];
}

export function firstString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function isEngagementType(detailType: string): boolean {
  return detailType in ENGAGEMENT_DETAIL_TYPES;
}

export function waitedEventsOf(workflow: Workflow, probabilities: Record<string, number>): WaitedEvent[] {
  const waited: WaitedEvent[] = [];
  for (const [stepId, step] of Object.entries(workflow.steps)) {
    if (step.type !== 'wait' || !step.until) continue;
    const sample = documentMatching(step.until.on);
    const detailType = firstString(sample['detail-type']) ?? 'simulated.event';
    const source = firstString(sample.source) ?? SIMULATED_SOURCE;
    // Waits on opens and clicks are ended by the simulated SES events themselves.
    if (source === 'aws.ses' || isEngagementType(detailType)) continue;
    const base = (sample.detail && typeof sample.detail === 'object' ? sample.detail : {}) as Record<string, unknown>;
    const fields = new Map<string, FieldSpec>();
    for (const id of stepsReachedAtOnce(workflow, step.next)) {
      const after = workflow.steps[id];
      if (after?.type !== 'branch') continue;
      for (const branchCase of after.cases) {
        const onEvent = (branchCase.if as Record<string, unknown>).event;
        const detail = onEvent && typeof onEvent === 'object' ? (onEvent as Record<string, unknown>).detail : undefined;
        collectDetailFields(detail, [], fields);
        // $or at the top of a condition may also reach into event.detail
        const alternatives = (branchCase.if as Record<string, unknown>).$or;
        if (Array.isArray(alternatives)) {
          for (const alternative of alternatives) {
            const e = (alternative as Record<string, unknown>)?.event;
            collectDetailFields(e && typeof e === 'object' ? (e as Record<string, unknown>).detail : undefined, [], fields);
          }
        }
      }
    }
    const drawn = [...fields.values()].filter((spec) => !hasPath(base, spec.path) && spec.path[0] !== 'customerId' && spec.path[0] !== 'profile');
    waited.push({ stepId, key: detailType, probability: probabilities[detailType] ?? probabilities['*'] ?? SIMULATION_DEFAULTS.waitedEvent, source, detailType, base, drawn });
  }
  return waited;
}

/** A copy of a plain object, nested objects included (drawn fields are set into it). */
export function copyObject(source: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) copy[key] = value && typeof value === 'object' && !Array.isArray(value) ? copyObject(value as Record<string, unknown>) : value;
  return copy;
}

export function objectOrEmpty(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
