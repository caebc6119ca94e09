/**
 * EventBridge rule patterns compiled from workflows: for each workflow, every
 * event pattern of every deployed version (entry, goal, exits, waits) joined
 * with `$or`, so the bus delivers to Waymark exactly the events some journey
 * can use and the cloud never invokes it for the rest.
 *
 * SES events are excluded here: they reach the journeys through the
 * ses-events function, which maps them to the customer they are about.
 */
import { compileWorkflow } from '../engine/compile';
import { createCatalogue } from '../engine/content';
import type { EventPattern, Workflow } from '../engine/schema';

/** EventBridge's limit on a rule's event pattern is 4096 characters; stay well inside it. */
export const MAX_PATTERN_LENGTH = 2048;

/** The detail-types of SES's own events (delivered to journeys by the ses-events function, not by rules). */
const SES_DETAIL_TYPES = new Set(['Email Sent', 'Email Delivered', 'Email Opened', 'Email Clicked', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Rendering Failed', 'Email Delivery Delayed', 'Email Subscribed']);

/**
 * The pattern as a rule must route it: never SES's own events. Undefined when
 * the pattern only ever matches SES events (a wait for "Email Clicked").
 */
export function routedPattern(pattern: EventPattern): EventPattern | undefined {
  const source = pattern.source;
  if (source === undefined) {
    const detailTypes = pattern['detail-type'];
    if (Array.isArray(detailTypes) && detailTypes.length > 0 && detailTypes.every((t) => typeof t === 'string' && SES_DETAIL_TYPES.has(t))) return undefined;
    return { ...pattern, source: [{ 'anything-but': ['aws.ses'] }] };
  }
  if (Array.isArray(source)) {
    const kept = source.filter((s) => s !== 'aws.ses');
    if (kept.length === 0) return undefined;
    return kept.length === source.length ? pattern : { ...pattern, source: kept };
  }
  return pattern;
}

/**
 * The rule patterns for one workflow id (all its versions), each under
 * MAX_PATTERN_LENGTH: usually one; more when the workflow has many patterns.
 */
export function rulePatternsFor(versions: readonly Workflow[]): EventPattern[] {
  const catalogue = createCatalogue([]);
  const unique = new Map<string, EventPattern>();
  for (const workflow of versions) {
    // Content is irrelevant to routing: compile against an empty catalogue.
    for (const pattern of compileWorkflow(workflow, catalogue).eventPatterns) {
      const routed = routedPattern(pattern);
      if (routed) unique.set(JSON.stringify(routed), routed);
    }
  }
  const chunks: EventPattern[][] = [];
  let current: EventPattern[] = [];
  for (const pattern of unique.values()) {
    const candidate = [...current, pattern];
    if (current.length > 0 && JSON.stringify({ $or: candidate }).length > MAX_PATTERN_LENGTH) {
      chunks.push(current);
      current = [pattern];
    } else {
      current = candidate;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks.map((chunk) => (chunk.length === 1 ? chunk[0]! : { $or: chunk }));
}
