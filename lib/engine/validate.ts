/**
 * Workflow validation: the shape (schema.ts) and the graph rules of
 * WORKFLOWS.md's "Validation" section, every problem at once, each naming the
 * JSON path and what was expected, so a marketer can fix the file unaided.
 */
import type { z } from 'zod';
import { type ContentCatalogue, candidates } from './content';
import { DEFAULT_STAGES, segmentsToJsonPath, type Step, Step as StepSchema, Workflow } from './schema';
import { closest, didYouMean, quote } from './suggest';

export interface ValidationProblem {
  /** The file the problem is in (as given by the caller). */
  file: string;
  /** A JSON path into that file, e.g. "$.steps.welcome.next". */
  path: string;
  message: string;
}

export type ValidationResult = { ok: true; workflow: Workflow; problems: [] } | { ok: false; workflow: undefined; problems: ValidationProblem[] };

/** `file: $.json.path: what was expected` */
export function formatProblem(problem: ValidationProblem): string {
  return `${problem.file}: ${problem.path}: ${problem.message}`;
}

/** Every field name of the language, to suggest the right one for a typo. */
const KNOWN_FIELDS = [
  '$schema', 'id', 'version', 'name', 'description', 'stages', 'entry', 'on', 'reentry', 'after', 'goal', 'stage', 'then', 'exitOn',
  'settings', 'from', 'replyTo', 'timezone', 'sendWindow', 'days', 'start', 'end', 'frequencyCap', 'max', 'per', 'steps', 'type',
  'template', 'content', 'kind', 'tags', 'subject', 'next', 'duration', 'until', 'timeout', 'timeoutNext', 'cases', 'if', 'else',
  'paths', 'weight', 'percent', 'at', 'attribute', 'offset', 'maxAge', 'migrate', 'priority', 'budget', 'overBudget', 'html', 'text',
  'profileAttributes', 'value', 'attributionWindow',
];

/** The top-level keys of the document a branch condition is matched against. */
const BRANCH_CONTEXT_KEYS = ['profile', 'event', 'journey'];

export function validateWorkflow(raw: unknown, options: { file: string; catalogue: ContentCatalogue }): ValidationResult {
  const { file, catalogue } = options;
  const parsed = Workflow.safeParse(raw);
  if (!parsed.success) {
    const shape = parsed.error.issues.map((issue) => ({ file, path: segmentsToJsonPath(issue.path), message: describeIssue(issue, raw) }));
    // Report the graph problems of what did parse too, so a marketer sees everything in one pass.
    const partial = partialWorkflow(raw);
    const graph = partial ? graphProblems(partial.workflow, catalogue, partial.options) : [];
    // A value that failed its shape hides the graph problems under it; an unknown field beside it does not.
    const unreadable = shape.filter((_, i) => parsed.error.issues[i]!.code !== 'unrecognized_keys');
    const covered = (path: string) => unreadable.some((s) => path === s.path || path.startsWith(`${s.path}.`) || path.startsWith(`${s.path}[`));
    return { ok: false, workflow: undefined, problems: [...shape, ...graph.filter((p) => !covered(p.path)).map((p) => ({ file, ...p }))] };
  }
  const problems = graphProblems(parsed.data, catalogue).map((p) => ({ file, ...p }));
  return problems.length === 0 ? { ok: true, workflow: parsed.data, problems: [] } : { ok: false, workflow: undefined, problems };
}

/**
 * A zod issue in words a marketer can act on, with the value that was given when there was one
 * (`document` is the parsed JSON the issue's path points into): `"type" must be one of "email",
 * …, got "emial" (did you mean "email"?)`.
 */
export function describeIssue(issue: z.core.$ZodIssue, document?: unknown): string {
  // A bad key of a record (e.g. a step id): the value given is the key, not what it holds.
  const given = issue.code === 'invalid_key' ? { value: issue.path[issue.path.length - 1] } : valueAt(document, issue.path);
  return withValue(issueMessage(issue, given), given);
}

function issueMessage(issue: z.core.$ZodIssue, given: Given): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (given === undefined && /received undefined/.test(issue.message)) return `required: expected ${withArticle(issue.expected)}`;
      if (/^Invalid input/.test(issue.message)) {
        const value = given?.value;
        const got =
          given === undefined ? describeReceived(issue.message)
          : value !== null && typeof value === 'object' ? `, got ${Array.isArray(value) ? 'an array' : 'an object'}`
          : typeof value === 'string' || typeof value === 'number' ? `, got the ${typeof value} ${quote(value)}`
          : `, got ${quote(value)}`;
        return `expected ${withArticle(issue.expected)}${got}`;
      }
      return issue.message;
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown field "${key}"${suggest(key)}`).join('; ');
    case 'invalid_union': {
      const discriminated = issue as { discriminator?: string; options?: unknown[] };
      if (discriminated.discriminator === 'type' && discriminated.options) {
        const options = discriminated.options.map(String);
        const value = given?.value;
        return `"type" must be one of ${options.map((o) => `"${o}"`).join(', ')}${typeof value === 'string' ? `, got ${quote(value)}${didYouMean(closest(value, options))}` : ''}`;
      }
      // The two unions of the language, in words (zod's per-branch messages read as noise); an object
      // or a list given is shown too (withValue shows a text or a number).
      const shown = given !== undefined && given.value !== null && typeof given.value === 'object' ? `, got ${briefly(given.value)}` : '';
      if (issue.path[issue.path.length - 1] === 'reentry') return `expected "never", "after-exit" or {"after": "P30D"}${shown}`;
      if (issue.path.length === 3 && issue.path[0] === 'steps' && issue.path[2] === 'at') return `expected an ISO 8601 instant with a zone, e.g. "2026-12-24T09:00:00Z", or {"attribute": "profile.renewsAt", "offset": "-P7D"}${shown}`;
      return `expected one of: ${issue.errors.map((branch) => branch.map((e) => e.message).join(' and ')).join('; or ')}`;
    }
    case 'invalid_value': {
      const value = given?.value;
      const options = issue.values.filter((v): v is string => typeof v === 'string');
      return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}${typeof value === 'string' ? `, got ${quote(value)}${didYouMean(closest(value, options))}` : ''}`;
    }
    case 'invalid_key':
      // A bad key in a record (e.g. an empty step id): say what is wrong with the key, not "Invalid key in record".
      return issue.issues.length > 0 ? issue.issues.map((inner) => issueMessage(inner, given)).join('; ') : 'this key is not allowed here';
    case 'too_big':
    case 'too_small':
      return /^Too (big|small):/.test(issue.message) ? sizeMessage(issue) : issue.message;
    default:
      return issue.message;
  }
}

/** zod's own "Too big: expected string to have <=64 characters", in words. */
function sizeMessage(issue: z.core.$ZodIssue & { code: 'too_big' | 'too_small' }): string {
  const big = issue.code === 'too_big';
  const limit = Number(big ? (issue as { maximum: number | bigint }).maximum : (issue as { minimum: number | bigint }).minimum);
  const inclusive = (issue as { inclusive?: boolean }).inclusive !== false;
  const bound = inclusive ? limit : big ? limit - 1 : limit + 1;
  switch (issue.origin) {
    case 'string':
      if (!big && bound === 1) return 'cannot be empty';
      return `${big ? 'at most' : 'at least'} ${bound} character${bound === 1 ? '' : 's'}`;
    case 'array':
    case 'set':
      return `${big ? 'at most' : 'at least'} ${bound} item${bound === 1 ? '' : 's'}`;
    default:
      return inclusive ? `${big ? 'at most' : 'at least'} ${limit}` : `${big ? 'below' : 'above'} ${limit}`;
  }
}

/** The value at an issue's path, when there is one. */
type Given = { value: unknown } | undefined;

function valueAt(document: unknown, path: readonly PropertyKey[]): Given {
  let value = document;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key as string | number)) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return document === undefined ? undefined : { value };
}

/** `message, got <value>` for a text, number, boolean or null that the message does not already quote. */
function withValue(message: string, given: Given): string {
  if (given === undefined) return message;
  const { value } = given;
  if (value !== null && typeof value === 'object') return message;
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return message;
  if (value === '' && /empty/.test(message)) return message;
  const shown = quote(value);
  // A number or true/false counts as shown only as a word of its own: the 30 of "P30D" or the 12 of
  // "2026-12-24" is not a 30 or a 12 given.
  const alreadyShown = typeof value === 'string' ? message.includes(shown) : new RegExp(`(?<![\\w.:-])${shown.replace(/[.+-]/g, '\\$&')}(?![\\w.:-])`).test(message);
  return alreadyShown ? message : `${message}, got ${shown}`;
}

/** An object or a list as given, when it is short: `{"afterr":"P30D"}`; else `{…}` or `[…]`. */
function briefly(value: object): string {
  const shown = quote(value);
  return shown.length <= 60 ? shown : Array.isArray(value) ? '[…]' : '{…}';
}

function withArticle(type: string): string {
  // zod's "record" is a JSON object whose keys are names the marketer chooses (step ids, pattern fields).
  if (type === 'record' || type === 'object') return 'an object';
  if (type === 'array') return 'an array';
  if (type === 'null' || type === 'undefined') return type;
  return `a ${type}`;
}

function describeReceived(message: string): string {
  const match = /received (\w+)/.exec(message);
  return match ? `, got ${withArticle(match[1]!)}` : '';
}

function suggest(key: string): string {
  // A known field in the wrong place is not a typo of itself.
  return didYouMean(closest(key, KNOWN_FIELDS.filter((field) => field !== key), { maxDistance: 2, prefixes: false }));
}

/** The id a mistyped reference most likely meant: a close edit, or one being the other's prefix. */
function closestId(target: string, ids: readonly string[]): string | undefined {
  return closest(target, ids, { maxDistance: Math.max(2, Math.floor(target.length / 3)) });
}

type PathProblem = { path: string; message: string };

/** The ids of the steps a step can go to, each with the field that names it. */
export function successors(step: Step): Array<{ field: (string | number)[]; target: string }> {
  switch (step.type) {
    case 'email':
    case 'stage':
      return step.next === undefined ? [] : [{ field: ['next'], target: step.next }];
    case 'wait':
      return [
        { field: ['next'], target: step.next },
        ...(step.timeoutNext === undefined ? [] : [{ field: ['timeoutNext'], target: step.timeoutNext }]),
      ];
    case 'branch':
      return [...step.cases.map((c, i) => ({ field: ['cases', i, 'next'], target: c.next })), { field: ['else'], target: step.else }];
    case 'split':
      return step.paths.map((p, i) => ({ field: ['paths', i, 'next'], target: p.next }));
    case 'holdout':
      return [{ field: ['next'], target: step.next }];
    case 'exit':
      return [];
  }
}

interface GraphOptions {
  /** Every step id in the file, including steps too broken to check. */
  stepIds?: string[];
  /** False when some steps could not be read: reachability and loops cannot be judged. */
  wholeGraph?: boolean;
}

/**
 * The parts of a workflow whose shape is valid, for graph checks when other
 * parts are not: the steps that parse, and start, stages and goal if they do.
 */
function partialWorkflow(raw: unknown): { workflow: Workflow; options: GraphOptions } | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const fields = raw as Record<string, unknown>;
  if (typeof fields.steps !== 'object' || fields.steps === null || Array.isArray(fields.steps)) return undefined;
  const rawSteps = fields.steps as Record<string, unknown>;
  const steps: Record<string, Step> = {};
  for (const [id, value] of Object.entries(rawSteps)) {
    const step = StepSchema.safeParse(value);
    if (step.success) steps[id] = step.data;
  }
  const stages = Workflow.shape.stages.safeParse(fields.stages);
  const goal = Workflow.shape.goal.safeParse(fields.goal);
  const workflow = {
    steps,
    start: typeof fields.start === 'string' ? fields.start : '',
    stages: stages.success ? stages.data : undefined,
    goal: goal.success ? goal.data : undefined,
  } as Workflow;
  const stepIds = Object.keys(rawSteps);
  return { workflow, options: { stepIds, wholeGraph: typeof fields.start === 'string' && Object.keys(steps).length === stepIds.length } };
}

function graphProblems(workflow: Workflow, catalogue: ContentCatalogue, options: GraphOptions = {}): PathProblem[] {
  const problems: PathProblem[] = [];
  const stepIds = options.stepIds ?? Object.keys(workflow.steps);
  const wholeGraph = options.wholeGraph ?? true;
  const known = new Set(stepIds);
  const stepPath = (id: string, ...rest: (string | number)[]) => segmentsToJsonPath(['steps', id, ...rest]);
  const noSuchStep = (target: string) => {
    const closest = closestId(target, stepIds);
    const listed = stepIds.length === 0 ? 'the workflow has no steps' : `steps are: ${stepIds.map((id) => `"${id}"`).join(', ')}`;
    return `no step named "${target}" (${closest === undefined ? listed : `did you mean "${closest}"?`})`;
  };
  // A typo in a reference is reported once: reachability follows it to the step it most likely meant,
  // instead of calling everything after it "unreachable".
  const resolve = (target: string) => (known.has(target) ? target : closestId(target, stepIds));

  // Every reference names a step.
  if (workflow.start !== '' && !known.has(workflow.start)) problems.push({ path: '$.start', message: noSuchStep(workflow.start) });
  const goalTarget = workflow.goal && workflow.goal.then !== 'exit' ? workflow.goal.then : undefined;
  if (goalTarget !== undefined && !known.has(goalTarget)) {
    problems.push({ path: '$.goal.then', message: `expected "exit" or a step id: ${noSuchStep(goalTarget)}` });
  }
  for (const [id, step] of Object.entries(workflow.steps)) {
    for (const { field, target } of successors(step)) {
      if (!known.has(target)) problems.push({ path: stepPath(id, ...field), message: noSuchStep(target) });
    }
  }
  // migrate: moves customers from older versions onto steps of this one.
  if (workflow.migrate) {
    workflow.migrate.from.forEach((from, index) => {
      if (typeof from === 'number' && typeof workflow.version === 'number' && from >= workflow.version) {
        problems.push({ path: `$.migrate.from[${index}]`, message: `version ${from} is not older than this workflow's version (${workflow.version}): customers can only move from older versions` });
      }
    });
    for (const [oldStep, newStep] of Object.entries(workflow.migrate.steps ?? {})) {
      if (!known.has(newStep)) problems.push({ path: segmentsToJsonPath(['migrate', 'steps', oldStep]), message: `customers at "${oldStep}" would move to ${noSuchStep(newStep)}` });
    }
  }

  // Every step is reachable from the start (or from the goal's jump).
  const reachable = new Set<string>();
  const queue = [workflow.start, ...(goalTarget === undefined ? [] : [goalTarget])].flatMap((id) => resolve(id) ?? []);
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (reachable.has(id)) continue;
    reachable.add(id);
    const current = workflow.steps[id];
    if (!current) continue;
    for (const { target } of successors(current)) {
      const next = resolve(target);
      if (next !== undefined && !reachable.has(next)) queue.push(next);
    }
  }
  // With a "start" that names no step, every step would be "unreachable": the $.start problem says it all.
  if (wholeGraph && known.has(workflow.start)) {
    for (const id of stepIds) {
      if (!reachable.has(id)) problems.push({ path: stepPath(id), message: `step "${id}" can never be reached from "start" ("${workflow.start}")` });
    }
  }

  // No loop can be followed without passing a wait: time only passes in waits.
  for (const cycle of wholeGraph ? loopsWithoutWait(workflow) : []) {
    problems.push({
      path: stepPath(cycle[0]!),
      message: `loop without a wait: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')} would run forever at one instant; put a "wait" step with a "duration" or "until" in it (a wait "at" a moment goes on at once once the moment is past)`,
    });
  }

  // Stages, content, weights, branch conditions.
  const stages: readonly string[] = workflow.stages ?? DEFAULT_STAGES;
  const checkStage = (stage: string | undefined, path: string) => {
    if (stage !== undefined && !stages.includes(stage)) {
      const near = closest(stage, stages);
      problems.push({ path, message: `"${stage}" is not one of this workflow's stages (${near === undefined ? stages.map((s) => `"${s}"`).join(', ') : `did you mean "${near}"?`})` });
    }
  };
  checkStage(workflow.goal?.stage, '$.goal.stage');
  for (const [id, step] of Object.entries(workflow.steps)) {
    checkStage(step.stage, stepPath(id, 'stage'));
    if (step.type === 'email') {
      if (step.template !== undefined && !catalogue.byId.has(step.template)) {
        problems.push({ path: stepPath(id, 'template'), message: `no content item with id "${step.template}" in the content catalogue${didYouMean(closestId(step.template, [...catalogue.byId.keys()]))}` });
      }
      if (step.content !== undefined && candidates(catalogue, step.content).length === 0) {
        problems.push({ path: stepPath(id, 'content'), message: noContentFor(step.content, catalogue) });
      }
    }
    if (step.type === 'split' && !(step.paths.reduce((sum, path) => sum + path.weight, 0) > 0)) {
      const weights = step.paths.map((path) => String(path.weight));
      const given = weights.length === 1 ? weights[0] : `${weights.slice(0, -1).join(', ')} and ${weights.at(-1)}`;
      problems.push({ path: stepPath(id, 'paths'), message: `the weights must sum to more than 0, got ${given}` });
    }
    if (step.type === 'branch') {
      // Top-level keys of the condition, and of each "$or" alternative at the top level, must be context keys.
      const checkContextKeys = (condition: Record<string, unknown>, at: (string | number)[]) => {
        for (const [key, value] of Object.entries(condition)) {
          if (key === '$or') {
            if (Array.isArray(value)) {
              value.forEach((alternative: unknown, j) => {
                if (alternative !== null && typeof alternative === 'object' && !Array.isArray(alternative)) {
                  checkContextKeys(alternative as Record<string, unknown>, [...at, '$or', j]);
                }
              });
            }
          } else if (!BRANCH_CONTEXT_KEYS.includes(key)) {
            problems.push({
              path: segmentsToJsonPath([...at, key]),
              message: `a branch condition is matched against {"profile", "event", "journey"}: "${key}" is none of them (did you mean {"profile": {"${key}": ...}}?)`,
            });
          }
        }
      };
      step.cases.forEach((c, i) => checkContextKeys(c.if, ['steps', id, 'cases', i, 'if']));
    }
  }
  return problems;
}

/** Why a `content` selector finds nothing: a kind the catalogue lacks (did you mean …?), or tags no item of the kind carries. */
function noContentFor(selector: { kind: string; tags?: string[] | undefined }, catalogue: ContentCatalogue): string {
  const tags = selector.tags?.length ? ` carrying the tags ${selector.tags.map((t) => `"${t}"`).join(', ')}` : '';
  const items = catalogue.byKind.get(selector.kind);
  if (!items) {
    const kinds = [...catalogue.byKind.keys()];
    const near = closest(selector.kind, kinds);
    return `no content item of kind "${selector.kind}"${tags} (${near === undefined ? `kinds in the catalogue: ${kinds.map((k) => `"${k}"`).join(', ') || 'none'}` : `did you mean "${near}"?`})`;
  }
  const known = [...new Set(items.flatMap((item) => item.tags ?? []))];
  const missing = (selector.tags ?? []).filter((tag) => !known.includes(tag));
  const list = (values: string[]) => values.map((t) => `"${t}"`).join(', ');
  if (missing.length === 0) return `no content item of kind "${selector.kind}"${tags}: each carries some of these tags, none all of them`;
  const near = closest(missing[0]!, known);
  return `no content item of kind "${selector.kind}"${tags}: no "${selector.kind}" item carries ${list(missing)} (${near === undefined ? `their tags: ${list(known) || 'none'}` : `did you mean "${near}"?`})`;
}

/**
 * A step that lets time pass on every pass: a wait for a duration or an event. A wait until a moment
 * does not: once the moment is past, it goes on at once, so a loop through it alone would spin.
 */
function passesTime(step: Step | undefined): boolean {
  return step?.type === 'wait' && step.at === undefined;
}

/** Each elementary cycle among steps that let no time pass, reported once (starting at its first step in file order). */
function loopsWithoutWait(workflow: Workflow): string[][] {
  const order = Object.keys(workflow.steps);
  const rank = new Map(order.map((id, i) => [id, i]));
  const edges = new Map<string, string[]>();
  for (const [id, step] of Object.entries(workflow.steps)) {
    if (passesTime(step)) continue;
    edges.set(id, successors(step).map((s) => s.target).filter((t) => workflow.steps[t] !== undefined && !passesTime(workflow.steps[t])));
  }
  const cycles: string[][] = [];
  const reported = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    stack.push(id);
    for (const target of edges.get(id) ?? []) {
      if (state.get(target) === 'open') {
        const cycle = stack.slice(stack.indexOf(target));
        const first = cycle.reduce((a, b) => (rank.get(a)! <= rank.get(b)! ? a : b));
        const rotated = [...cycle.slice(cycle.indexOf(first)), ...cycle.slice(0, cycle.indexOf(first))];
        const key = rotated.join('\u0000');
        if (!reported.has(key)) {
          reported.add(key);
          cycles.push(rotated);
        }
      } else if (!state.has(target)) {
        visit(target);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of order) if (edges.has(id) && !state.has(id)) visit(id);
  return cycles;
}
