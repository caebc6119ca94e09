/**
 * EventBridge rule patterns compiled from workflows: for each workflow, every
 * event pattern of every deployed version (entry, goal, exits, waits) joined
 * with `$or`, so the bus delivers to Waymark exactly the events some journey
 * can use and the cloud never invokes it for the rest.
 *
 * SES events are excluded here: they reach the work queue through the
 * configuration set's own rule, and `advance` maps them to the customer they
 * are about. Events that carry a profile update reach it through the profile
 * rule (profileRulePatterns), whether or not a workflow uses them.
 */
import { compileWorkflow } from './compile';
import { createCatalogue } from './content';
import { compilePattern } from './patterns';
import type { EventPattern, Workflow } from './schema';

/** EventBridge's limit on a rule's event pattern is 4096 characters; stay well inside it. */
export const MAX_PATTERN_LENGTH = 2048;

/** The detail-types of SES's own events (routed by the configuration set's rule, not by workflow rules). */
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
 * A pattern as the alternatives it matches: a top-level `$or` (an entry on a lead or on an
 * audience) becomes one pattern per alternative, the other fields copied into each, so a rule lists
 * them side by side and the profile rule can see each alternative's detail-type. An alternative
 * that names a field the rest of the pattern also names is left nested, as written.
 */
export function alternativesOf(pattern: EventPattern): EventPattern[] {
  const { $or, ...rest } = pattern as EventPattern & { $or?: unknown };
  if (!Array.isArray($or)) return [pattern];
  const shared = Object.keys(rest);
  if ($or.some((alternative) => typeof alternative !== 'object' || alternative === null || Object.keys(alternative).some((key) => shared.includes(key)))) return [pattern];
  return ($or as EventPattern[]).flatMap((alternative) => alternativesOf({ ...rest, ...alternative }));
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
    for (const pattern of compileWorkflow(workflow, catalogue).eventPatterns.flatMap(alternativesOf)) {
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

/**
 * Profile attributes every project routes, whatever its workflows read: the address, the name, the
 * time zone and locale (window and rendering), and the attributes segments and lists usually carry.
 */
export const STANDARD_PROFILE_ATTRIBUTES = ['email', 'firstName', 'lastName', 'name', 'timezone', 'locale', 'language', 'phone', 'country', 'plan', 'company'];

/**
 * The profile attributes a project can read, as leaf paths: those its workflows' branch conditions
 * match, those `wait.at` reads, those its content's templates print (`profile.x`, `profile["x"]`),
 * the standard ones, and any listed in `extra` (workflows/settings.json "profileAttributes").
 */
export function profileAttributePaths(workflows: readonly Workflow[], content: ReadonlyArray<{ subject: string; html: string; text?: string | undefined }>, extra: readonly string[] = []): string[][] {
  const paths = new Map<string, string[]>();
  const add = (path: string[]) => {
    if (path.length > 0 && path.every((part) => part.length > 0)) paths.set(path.join('\u0000'), path);
  };
  for (const name of [...STANDARD_PROFILE_ATTRIBUTES, ...extra]) add(name.split('.'));
  const leaves = (pattern: unknown, at: string[]) => {
    if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) {
      add(at);
      return;
    }
    for (const [key, value] of Object.entries(pattern)) {
      if (key === '$or' && Array.isArray(value)) value.forEach((alternative) => leaves(alternative, at));
      else leaves(value, [...at, key]);
    }
  };
  for (const workflow of workflows) {
    for (const step of Object.values(workflow.steps)) {
      if (step.type === 'branch') for (const c of step.cases) leaves((c.if as Record<string, unknown>).profile, []);
      if (step.type === 'wait' && step.at !== undefined && typeof step.at !== 'string' && step.at.attribute.startsWith('profile.')) add(step.at.attribute.split('.').slice(1));
    }
  }
  const reference = /\bprofile(?:\.([A-Za-z_][\w-]*)|\[\s*['"]([^'"\]]+)['"]\s*\])/g;
  for (const item of content) {
    for (const match of `${item.subject}\n${item.html}\n${item.text ?? ''}`.matchAll(reference)) {
      // Templates see the customer's id as profile.customerId: it is the event's, not a profile attribute.
      if ((match[1] ?? match[2]) !== 'customerId') add([match[1] ?? match[2]!]);
    }
  }
  return [...paths.values()].sort((a, b) => a.join('.').localeCompare(b.join('.')));
}

/** The detail-types some workflow rule routes whatever else the event holds: those need no second delivery for their profile. */
function alwaysRoutedDetailTypes(workflows: readonly Workflow[]): string[] {
  const types = new Set<string>();
  const catalogue = createCatalogue([]);
  for (const workflow of workflows) {
    for (const pattern of compileWorkflow(workflow, catalogue).eventPatterns.flatMap(alternativesOf)) {
      const keys = Object.keys(pattern);
      const detailTypes = pattern['detail-type'];
      if (keys.length === 1 && keys[0] === 'detail-type' && Array.isArray(detailTypes) && detailTypes.every((t) => typeof t === 'string')) {
        for (const t of detailTypes as string[]) if (!SES_DETAIL_TYPES.has(t)) types.add(t);
      }
    }
  }
  return [...types].sort();
}

/**
 * The rule that routes events carrying a profile update, whether or not a workflow uses the event
 * (WORKFLOWS.md, "Profiles: one truth everywhere"): any event whose `detail.profile` sets one of the
 * attributes the project reads. EventBridge's `exists` matches leaf fields only, so the attributes
 * are listed; an attribute nothing reads changes no journey and no email. Events a workflow rule
 * routes by their detail-type alone are left out, so they are not delivered twice.
 */
export function profileRulePatterns(workflows: readonly Workflow[], attributePaths: readonly string[][]): EventPattern[] {
  const exists = (path: readonly string[]): Record<string, unknown> => {
    let leaf: Record<string, unknown> = { [path[path.length - 1]!]: [{ exists: true }] };
    for (let i = path.length - 2; i >= 0; i--) leaf = { [path[i]!]: leaf };
    return leaf;
  };
  const excluded = alwaysRoutedDetailTypes(workflows);
  const base = (alternatives: Array<Record<string, unknown>>): EventPattern => ({
    source: [{ 'anything-but': { prefix: 'aws.' } }],
    ...(excluded.length > 0 ? { 'detail-type': [{ 'anything-but': excluded }] } : {}),
    detail: { customerId: [{ exists: true }], profile: alternatives.length === 1 ? alternatives[0]! : { $or: alternatives } },
  });
  const patterns: EventPattern[] = [];
  let current: Array<Record<string, unknown>> = [];
  for (const path of attributePaths) {
    const candidate = [...current, exists(path)];
    if (current.length > 0 && JSON.stringify(base(candidate)).length > MAX_PATTERN_LENGTH) {
      patterns.push(base(current));
      current = [exists(path)];
    } else current = candidate;
  }
  if (current.length > 0) patterns.push(base(current));
  return patterns;
}

/** A deployed rule, compiled: what the bus (in `waymark dev`, `waymark run` and the tests) delivers. */
export interface LocalRule {
  name: string;
  matches: (event: unknown) => boolean;
}

/**
 * The rules the stack deploys, compiled for the local bus: one per workflow (every version's
 * patterns) and the profile rule (events that set a profile attribute the project reads).
 */
export function rulesFor(workflows: readonly Workflow[], content: ReadonlyArray<{ subject: string; html: string; text?: string | undefined }>, profileAttributes: readonly string[] = []): LocalRule[] {
  const byId = new Map<string, Workflow[]>();
  for (const workflow of workflows) byId.set(workflow.id, [...(byId.get(workflow.id) ?? []), workflow]);
  const workflowRules = [...byId].flatMap(([id, versions]) => rulePatternsFor(versions).map((pattern, i) => ({ name: `${id}-${i}`, matches: compilePattern(pattern) })));
  const profileRules = profileRulePatterns(workflows, profileAttributePaths(workflows, content, profileAttributes)).map((pattern, i) => ({ name: `profile-${i}`, matches: compilePattern(pattern) }));
  return [...workflowRules, ...profileRules];
}

