/**
 * Pinpoint dimensions as EventBridge patterns.
 *
 * Events: a Pinpoint event's `EventType` is the Waymark event's `detail-type`,
 * its `Attributes.<k>` are `detail.attributes.<k>` and its `Metrics.<k>` are
 * `detail.metrics.<k>`. Segment dimensions (`Attributes`, `UserAttributes`,
 * `Metrics`) are profile attributes: `profile.<k>`.
 *
 * Operators: INCLUSIVE → the list of values; EXCLUSIVE → `anything-but`;
 * CONTAINS → `wildcard` "*value*"; metric comparisons → `numeric`; the date
 * operators (BEFORE, AFTER, ON, BETWEEN) have no equivalent and are reported.
 */
import type { EventPattern } from '../../engine/patterns';
import type { AttributeDimension, EventDimensions, MetricDimension, SegmentDimensions } from './model';
import type { ImportReport } from './report';

/** Pinpoint's email engagement events that reach Waymark journeys, and the detail-type they arrive with. */
export const ENGAGEMENT_EVENT_TYPES: Readonly<Record<string, string>> = { '_email.open': 'Email Opened', '_email.click': 'Email Clicked' };

const NUMERIC_OPERATORS: Readonly<Record<string, string>> = {
  GREATER_THAN: '>',
  LESS_THAN: '<',
  GREATER_THAN_OR_EQUAL: '>=',
  LESS_THAN_OR_EQUAL: '<=',
  EQUAL: '=',
};

const DATE_OPERATORS = ['BEFORE', 'AFTER', 'ON', 'BETWEEN'];

export interface ConditionContext {
  report: ImportReport;
  /** The activity the condition belongs to, for the report. */
  activity?: string;
}

/** A literal for an EventBridge wildcard: "*" and "\" escaped. */
export function escapeWildcard(text: string): string {
  return text.replace(/[\\*]/g, (c) => `\\${c}`);
}

/** The matchers for one attribute dimension, or undefined (reported) when it has no equivalent. */
export function attributeMatchers(dimension: AttributeDimension, at: string, field: string, context: ConditionContext): unknown[] | undefined {
  const type = dimension.AttributeType ?? 'INCLUSIVE';
  const values = dimension.Values;
  if (values.length === 0) {
    context.report.leftOut(at, `${type} with no values matches nothing in Pinpoint; left out of the pattern`, undefined, context.activity);
    return undefined;
  }
  switch (type) {
    case 'INCLUSIVE':
      return [...values];
    case 'EXCLUSIVE':
      return [{ 'anything-but': [...values] }];
    case 'CONTAINS':
      return values.map((value) => ({ wildcard: `*${escapeWildcard(value)}*` }));
    default:
      if (DATE_OPERATORS.includes(type)) {
        context.report.leftOut(
          at,
          `the date comparison ${type} ${values.map((v) => JSON.stringify(v)).join(' and ')} on ${field} has no equivalent in event patterns; left out, so the condition is looser than in Pinpoint`,
          `check ${field} in the step that follows, or have the producer send a precomputed attribute (for example a yes/no flag) and match that`,
          context.activity,
        );
      } else {
        context.report.leftOut(at, `unknown AttributeType "${type}"; left out of the pattern`, undefined, context.activity);
      }
      return undefined;
  }
}

export function metricMatchers(dimension: MetricDimension, at: string, context: ConditionContext): unknown[] | undefined {
  const operator = NUMERIC_OPERATORS[dimension.ComparisonOperator];
  if (operator === undefined) {
    context.report.leftOut(at, `unknown ComparisonOperator "${dimension.ComparisonOperator}"; left out of the pattern`, undefined, context.activity);
    return undefined;
  }
  return [{ numeric: [operator, dimension.Value] }];
}

/**
 * The event pattern for Pinpoint event dimensions. `messageStepId` is the
 * Waymark email step an `EventCondition.MessageActivity` names: engagement
 * events carry it in `detail.stepId`.
 *
 * @example
 *   eventPattern({ EventType: { DimensionType: 'INCLUSIVE', Values: ['signup'] },
 *                  Attributes: { plan: { AttributeType: 'INCLUSIVE', Values: ['pro'] } } }, 'StartCondition...', ctx)
 *   // { "detail-type": ["signup"], "detail": { "attributes": { "plan": ["pro"] } } }
 */
export function eventPattern(dimensions: EventDimensions | undefined, at: string, context: ConditionContext, messageStepId?: string): EventPattern | undefined {
  const pattern: EventPattern = {};
  const detail: Record<string, unknown> = {};
  const eventType = dimensions?.EventType;
  if (eventType) {
    const typeAt = `${at}.EventType`;
    const mapped = eventType.Values.map((value) => ENGAGEMENT_EVENT_TYPES[value] ?? value);
    const unseen = eventType.Values.filter((value) => value.startsWith('_') && ENGAGEMENT_EVENT_TYPES[value] === undefined);
    if (unseen.length > 0) {
      context.report.approximated(
        typeAt,
        undefined,
        `${unseen.map((v) => `"${v}"`).join(', ')} ${unseen.length === 1 ? 'is a Pinpoint system event' : 'are Pinpoint system events'}: kept as detail-type, but no Waymark journey ever receives ${unseen.length === 1 ? 'it' : 'them'} (journeys see "Email Opened" and "Email Clicked" of their own emails)`,
        'send these events from your application, or change the condition',
        context.activity,
      );
    }
    if (eventType.Values.length === 0) {
      context.report.leftOut(typeAt, 'an EventType with no values; left out of the pattern', undefined, context.activity);
    } else if ((eventType.DimensionType ?? 'INCLUSIVE') === 'EXCLUSIVE') {
      pattern['detail-type'] = [{ 'anything-but': mapped }];
      context.report.approximated(
        typeAt,
        undefined,
        `EXCLUSIVE event types become "anything-but": every other event of the customer matches, including email engagement`,
        'add a "source" to the pattern so only your application\'s events match',
        context.activity,
      );
    } else if (eventType.DimensionType === undefined || eventType.DimensionType === 'INCLUSIVE') {
      pattern['detail-type'] = mapped;
    } else {
      context.report.leftOut(typeAt, `unknown DimensionType "${eventType.DimensionType}"; left out of the pattern`, undefined, context.activity);
    }
  }
  const attributes: Record<string, unknown> = {};
  for (const [name, dimension] of Object.entries(dimensions?.Attributes ?? {})) {
    const matchers = attributeMatchers(dimension, `${at}.Attributes.${name}`, `detail.attributes.${name}`, context);
    if (matchers) attributes[name] = matchers;
  }
  if (Object.keys(attributes).length > 0) detail.attributes = attributes;
  const metrics: Record<string, unknown> = {};
  for (const [name, dimension] of Object.entries(dimensions?.Metrics ?? {})) {
    const matchers = metricMatchers(dimension, `${at}.Metrics.${name}`, context);
    if (matchers) metrics[name] = matchers;
  }
  if (Object.keys(metrics).length > 0) detail.metrics = metrics;
  if (messageStepId !== undefined) detail.stepId = [messageStepId];
  if (Object.keys(detail).length > 0) pattern.detail = detail;
  return Object.keys(pattern).length > 0 ? pattern : undefined;
}

/**
 * The pattern on `profile` for segment dimensions: endpoint `Attributes`, user
 * `UserAttributes` and `Metrics` are all profile attributes in Waymark.
 * Behaviour, demographic and location dimensions are reported.
 */
export function profilePattern(dimensions: SegmentDimensions, at: string, context: ConditionContext): Record<string, unknown> | undefined {
  const pattern: Record<string, unknown> = {};
  const put = (name: string, matchers: unknown[] | undefined, where: string) => {
    if (!matchers) return;
    if (name in pattern) {
      context.report.approximated(where, undefined, `profile.${name} is already matched by another dimension of this condition; this one is left out`, `combine the two conditions on ${name} by hand`, context.activity);
      return;
    }
    pattern[name] = matchers;
  };
  for (const member of ['UserAttributes', 'Attributes'] as const) {
    for (const [name, dimension] of Object.entries(dimensions[member] ?? {})) {
      const where = `${at}.${member}.${name}`;
      put(name, attributeMatchers(dimension, where, `profile.${name}`, context), where);
    }
  }
  for (const [name, dimension] of Object.entries(dimensions.Metrics ?? {})) {
    const where = `${at}.Metrics.${name}`;
    put(name, metricMatchers(dimension, where, context), where);
  }
  for (const member of ['Behavior', 'Demographic', 'Location'] as const) {
    if (dimensions[member] !== undefined) {
      context.report.leftOut(
        `${at}.${member}`,
        `${member.toLowerCase()} dimensions describe Pinpoint endpoints (devices, places, app sessions), which Waymark does not track`,
        'send what the condition needs as a profile attribute and match it',
        context.activity,
      );
    }
  }
  return Object.keys(pattern).length > 0 ? pattern : undefined;
}

/** One pattern that matches when any of the given patterns does. */
export function anyOf(patterns: EventPattern[]): EventPattern {
  return patterns.length === 1 ? patterns[0]! : { $or: patterns };
}

/** One pattern that matches when all of the given patterns do; a field named twice is kept once (reported by the caller). */
export function allOf(patterns: Record<string, unknown>[]): { pattern: Record<string, unknown>; collisions: string[] } {
  const pattern: Record<string, unknown> = {};
  const collisions: string[] = [];
  for (const p of patterns) {
    for (const [key, value] of Object.entries(p)) {
      if (key in pattern) collisions.push(key);
      else pattern[key] = value;
    }
  }
  return { pattern, collisions };
}
