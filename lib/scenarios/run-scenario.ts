/**
 * Runs scenarios on the engine (memory store, virtual clock: the same journey
 * service as production) and compares what happened with what was expected.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { CompiledWorkflow } from '../engine/compile';
import type { Pins } from '../engine/interpreter';
import { segmentsToJsonPath } from '../engine/json-path';
import type { JourneyState } from '../engine/model';
import { compilePattern } from '../engine/patterns';
import { closest, didYouMean } from '../engine/suggest';
import { sortTimeline, type TimelineItem, timelineItemsFor, VirtualClockRunner, warningsPerCustomerAndReason } from '../runtime/local-runner';
import { WorkflowRegistry } from '../runtime/registry';
import { describeJsonError, loadValidWorkflows } from '../runtime/workflow-files';
import { type ExpectedEmail, resolveTime, type Scenario, type ScenarioFile, scenarioFileProblems, ScenarioFile as ScenarioFileSchema } from './scenario';

/** What the scenario checks names against: a workflow's steps, stages and content, over every version the scenario runs. */
type WorkflowView = Pick<CompiledWorkflow, 'id' | 'stages' | 'content'> & { definition: Pick<CompiledWorkflow['definition'], 'steps'> };

export interface ActualEmail {
  at: number;
  stepId: string;
  contentId: string;
  subject: string;
}

export interface EmailRow {
  index: number;
  expected: ExpectedEmail | undefined;
  actual: ActualEmail | undefined;
  matches: boolean;
}

export type Failure =
  | { kind: 'emails'; message: string; rows: EmailRow[] }
  | { kind: 'value'; message: string; expected: unknown; actual: unknown }
  | { kind: 'error'; message: string };

/**
 * Something the scenario's author should know that does not fail it: customer data the engine
 * could not use (the codes of `waymark run`'s warnings), or an event no pattern of the workflow
 * matches (`event-unmatched`, with the event's number).
 */
export interface ScenarioWarning {
  code: string;
  reason: string;
  customerId?: string;
  workflowId?: string;
  /** The scenario's event the warning is about, from 1. */
  event?: number;
}

/**
 * The emails of the scenario's customer in its workflow that the send budget across journeys
 * (workflows/settings.json) held back or skipped: each email's step, in the order it happened.
 * From the engine's metric effects `email.deferred` and `email.skipped` labelled `budget`, the
 * same that `waymark run` and the map count.
 */
export interface BudgetEffects {
  /** Waited until the budget allowed them (`overBudget: "wait"`); still sent, later, unless the journey ended first. */
  deferred: string[];
  /** Not sent: over the budget with `overBudget: "skip"`. */
  skipped: string[];
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  failures: Failure[];
  warnings: ScenarioWarning[];
  emails: ActualEmail[];
  budget: BudgetEffects;
  final: { status: string; stage: string | null; step: string | null; converted: boolean; version: number } | null;
  /** The steps the customer passed through in the workflow, in order (for coverage). */
  path: string[];
}

export interface ScenarioFileResult {
  file: string;
  workflow: string;
  start: number;
  /** Problems that stopped the file from running (shape, unknown workflow). */
  problems: string[];
  scenarios: ScenarioResult[];
}

function emailMatches(expected: ExpectedEmail, actual: ActualEmail, start: number): boolean {
  if (expected.step !== undefined && expected.step !== actual.stepId) return false;
  if (expected.content !== undefined && expected.content !== actual.contentId) return false;
  if (expected.at !== undefined && resolveTime(expected.at, start) !== actual.at) return false;
  if (expected.subject !== undefined && !actual.subject.includes(expected.subject)) return false;
  return true;
}

function snapshot(runner: VirtualClockRunner, customerId: string, workflowId: string): JourneyState | undefined {
  for (const journey of runner.store.journeys()) if (journey.customerId === customerId && journey.workflowId === workflowId) return journey.state;
  return undefined;
}

/** The split paths and holdout pinned for the scenario's customer: the file's customer, then the scenario's customer, then the scenario. */
export function pinsOf(file: ScenarioFile, scenario: Scenario): Pins | undefined {
  const layers = [file.customer, scenario.customer, scenario];
  const splits = Object.assign({}, ...layers.map((layer) => layer?.splits ?? {})) as Record<string, string>;
  const holdout = layers.reduce<boolean | undefined>((pinned, layer) => layer?.holdout ?? pinned, undefined);
  if (Object.keys(splits).length === 0 && holdout === undefined) return undefined;
  return { ...(Object.keys(splits).length > 0 ? { splits } : {}), ...(holdout === undefined ? {} : { holdout }) };
}

const list = (values: readonly string[]) => values.map((v) => `"${v}"`).join(', ');

/** Why pinned splits or a pinned holdout cannot apply to the workflow: each with the JSON path of the pin. */
export function pinProblems(workflow: WorkflowView, pinned: { splits?: Record<string, string> | undefined; holdout?: boolean | undefined } | undefined, at: (...segments: (string | number)[]) => string): string[] {
  const problems: string[] = [];
  const steps = workflow.definition.steps;
  const splitIds = Object.keys(steps).filter((id) => steps[id]!.type === 'split');
  for (const [stepId, next] of Object.entries(pinned?.splits ?? {})) {
    const step = steps[stepId];
    const splitsAre = splitIds.length === 0 ? `${workflow.id} has no split` : `its splits: ${list(splitIds)}`;
    if (step === undefined) {
      const near = closest(stepId, splitIds) ?? closest(stepId, Object.keys(steps));
      problems.push(`${at('splits', stepId)}: no split "${stepId}" in ${workflow.id} (${near === undefined ? splitsAre : `did you mean "${near}"?`})`);
    } else if (step.type !== 'split') {
      problems.push(`${at('splits', stepId)}: "${stepId}" is ${step.type === 'exit' || step.type === 'email' ? 'an' : 'a'} ${step.type} step, not a split (${splitsAre})`);
    } else {
      const paths = step.paths.map((path) => path.next);
      if (!paths.includes(next)) {
        const near = closest(next, paths);
        problems.push(`${at('splits', stepId)}: "${next}" is not a path of the split "${stepId}" (${near === undefined ? `its paths go to ${list(paths)}` : `did you mean "${near}"?`})`);
      }
    }
  }
  if (pinned?.holdout !== undefined && !Object.values(steps).some((step) => step.type === 'holdout')) {
    problems.push(`${at('holdout')}: ${workflow.id} has no holdout step, so "holdout": ${pinned.holdout} pins nothing`);
  }
  return problems;
}

/** Expectations naming steps, content or stages the workflow does not have: each with its JSON path and what was likely meant. */
function expectationProblems(workflow: WorkflowView, expect: Scenario['expect'], at: (...segments: (string | number)[]) => string): string[] {
  const problems: string[] = [];
  const steps = workflow.definition.steps;
  const stepIds = Object.keys(steps);
  const noStep = (id: string) => `no step "${id}" in ${workflow.id}${didYouMean(closest(id, stepIds))}`;
  const checkStep = (id: string | null | undefined, path: (string | number)[]) => {
    if (id !== undefined && id !== null && !Object.hasOwn(steps, id)) problems.push(`${at(...path)}: ${noStep(id)}`);
  };
  const checkStage = (stage: string | null | undefined, path: (string | number)[]) => {
    if (stage !== undefined && stage !== null && !workflow.stages.includes(stage)) {
      problems.push(`${at(...path)}: "${stage}" is not one of ${workflow.id}'s stages (${list(workflow.stages)})${didYouMean(closest(stage, workflow.stages))}`);
    }
  };
  const emailSteps = stepIds.filter((id) => steps[id]!.type === 'email');
  (expect.emails === 'none' ? [] : (expect.emails ?? [])).forEach((email, i) => {
    if (email.step !== undefined) {
      const step = steps[email.step];
      if (step === undefined) problems.push(`${at('expect', 'emails', i, 'step')}: no step "${email.step}" in ${workflow.id}${didYouMean(closest(email.step, emailSteps) ?? closest(email.step, stepIds))}`);
      else if (step.type !== 'email') problems.push(`${at('expect', 'emails', i, 'step')}: "${email.step}" is a ${step.type} step: it sends no email (email steps: ${list(emailSteps)})`);
    }
    if (email.content !== undefined && !workflow.content.byId.has(email.content)) {
      problems.push(`${at('expect', 'emails', i, 'content')}: no content item "${email.content}" in the catalogue${didYouMean(closest(email.content, [...workflow.content.byId.keys()]))}`);
    }
  });
  checkStep(expect.step, ['expect', 'step']);
  checkStage(expect.stage, ['expect', 'stage']);
  (expect.checkpoints ?? []).forEach((checkpoint, i) => {
    checkStep(checkpoint.step, ['expect', 'checkpoints', i, 'step']);
    checkStage(checkpoint.stage, ['expect', 'checkpoints', i, 'stage']);
  });
  return problems;
}

const matchers = new WeakMap<CompiledWorkflow, Array<(event: unknown) => boolean>>();

/** Whether any pattern of the workflow (entry, goal, exits, waits) matches the event. */
function anyPatternMatches(workflow: CompiledWorkflow, event: unknown): boolean {
  let compiled = matchers.get(workflow);
  if (!compiled) matchers.set(workflow, (compiled = workflow.eventPatterns.map((pattern) => compilePattern(pattern))));
  return compiled.some((match) => match(event));
}

/** The detail-types a workflow's patterns name, to suggest one for a mistyped event type. */
function detailTypesOf(workflow: CompiledWorkflow): string[] {
  return [...new Set(workflow.eventPatterns.flatMap((pattern) => (Array.isArray(pattern['detail-type']) ? pattern['detail-type'].filter((t): t is string => typeof t === 'string') : [])))];
}

/** The workflows live at a time of the scenario: from its start, then after each deploy. */
export interface DeployPlan {
  initial: WorkflowRegistry;
  deploys: Array<{ at: number; registry: WorkflowRegistry }>;
  /** The versions of the file's workflow the scenario runs, oldest first (one, without a deploy of it). */
  versions: CompiledWorkflow[];
  problems: string[];
}

/**
 * The registries a scenario's `deploy` goes through (WORKFLOWS.md, "Moving customers to a new
 * version"): until a workflow's first deploy, its versions below the one deployed; after a deploy of
 * version N, its versions up to N. Every version named must be in the workflows directory or its
 * archive/, and a workflow's deploys must go forward in time and in version.
 */
export function deployPlan(registry: WorkflowRegistry, file: ScenarioFile, scenario: Scenario, path: (...segments: (string | number)[]) => string): DeployPlan {
  const start = Date.parse(file.start);
  const problems: string[] = [];
  const deploys = (scenario.deploy ?? []).map((d, index) => ({ at: resolveTime(d.at, start)!, version: d.version, workflowId: d.workflow ?? file.workflow, index }));
  const live = new Map<string, number>();
  for (const d of deploys) {
    const versions = registry.all.filter((c) => c.id === d.workflowId).map((c) => c.version).sort((a, b) => a - b);
    if (versions.length === 0) {
      const ids = registry.latest().map((w) => w.id);
      problems.push(`${path('deploy', d.index, 'workflow')}: no workflow "${d.workflowId}"${didYouMean(closest(d.workflowId, ids))}`);
    } else if (!versions.includes(d.version)) {
      problems.push(`${path('deploy', d.index, 'version')}: ${d.workflowId} has no version ${d.version} (its versions: ${versions.join(', ')}; keep older ones in workflows/archive/)`);
    }
    const before = deploys.filter((o) => o.index < d.index && o.workflowId === d.workflowId).at(-1);
    if (before && (before.at > d.at || before.version >= d.version)) {
      problems.push(`${path('deploy', d.index)}: ${d.workflowId} v${d.version} at ${scenario.deploy![d.index]!.at} comes after v${before.version} at ${scenario.deploy![before.index]!.at}: deploys of a workflow go forward, in time and in version`);
    }
    if (!live.has(d.workflowId) || live.get(d.workflowId)! > d.version - 1) live.set(d.workflowId, d.version - 1);
  }
  const registryOf = (versions: ReadonlyMap<string, number>) => [...versions].reduce((r, [workflowId, version]) => r.upTo(workflowId, version), registry);
  const initial = registryOf(live);
  const steps: DeployPlan['deploys'] = [];
  const versions = [initial.latestOf(file.workflow)];
  for (const d of [...deploys].sort((a, b) => a.at - b.at || a.index - b.index)) {
    live.set(d.workflowId, d.version);
    steps.push({ at: d.at, registry: registryOf(live) });
    if (d.workflowId === file.workflow) versions.push(registry.get(d.workflowId, d.version));
  }
  return { initial, deploys: steps, versions: versions.filter((v): v is CompiledWorkflow => v !== undefined), problems };
}

/** The steps (a later version's over an earlier's), stages and content of the versions a scenario runs, to check its names against. */
function viewOf(versions: readonly CompiledWorkflow[]): WorkflowView | undefined {
  const latest = versions.at(-1);
  if (!latest) return undefined;
  if (versions.length === 1) return latest;
  return {
    id: latest.id,
    stages: [...new Set(versions.flatMap((v) => v.stages))],
    content: latest.content,
    definition: { steps: Object.assign({}, ...versions.map((v) => v.definition.steps)) as CompiledWorkflow['definition']['steps'] },
  };
}

export async function runScenario(registry: WorkflowRegistry, file: ScenarioFile, scenario: Scenario, index = file.scenarios.indexOf(scenario)): Promise<ScenarioResult> {
  const start = Date.parse(file.start);
  const at = (text: string) => resolveTime(text, start)!;
  const customerId = scenario.customer?.id ?? file.customer?.id ?? 'scenario-customer';
  const profile = { ...(file.customer?.profile ?? {}), ...(scenario.customer?.profile ?? {}) };
  const failures: Failure[] = [];
  const warnings: ScenarioWarning[] = [];
  const path = (...segments: (string | number)[]) => segmentsToJsonPath(['scenarios', index, ...segments]);
  const failed = (): ScenarioResult => ({ name: scenario.name, passed: false, failures, warnings, emails: [], budget: { deferred: [], skipped: [] }, final: null, path: [] });
  const plan = deployPlan(registry, file, scenario, path);
  for (const message of plan.problems) failures.push({ kind: 'error', message });
  if (failures.length > 0) return failed();
  // Every version the scenario runs: names (steps, stages) are checked against them all, events matched against any.
  const workflow = viewOf(plan.versions);

  // What the scenario names must exist: a typo would otherwise fail, or pass, for the wrong reason.
  if (workflow) {
    const problems = [
      ...pinProblems(workflow, scenario.customer, (...segments) => path('customer', ...segments)),
      ...pinProblems(workflow, scenario, path),
      ...expectationProblems(workflow, scenario.expect, path),
    ];
    for (const message of problems) failures.push({ kind: 'error', message });
    if (failures.length > 0) return failed();
  }

  const items: TimelineItem[] = [];
  let profileSent = false;
  scenario.events.forEach((event, index) => {
    const who = event.customer ?? customerId;
    const isEngagement = event.type.startsWith('Email ');
    const eventProfile = { ...(who === customerId && !profileSent ? profile : {}), ...(event.profile ?? {}) };
    if (who === customerId) profileSent = true;
    const raw = {
      id: event.id ?? `${scenario.name}#${index + 1}`,
      source: event.source ?? (isEngagement ? 'aws.ses' : 'scenario'),
      'detail-type': event.type,
      time: new Date(at(event.at)).toISOString(),
      detail: { ...(isEngagement ? { workflowId: file.workflow } : {}), ...(event.detail ?? {}), customerId: who, ...(Object.keys(eventProfile).length > 0 ? { profile: eventProfile } : {}) },
    };
    // A late delivery is the same event applied later, exactly as an events file says it.
    const line = event.deliveredAt === undefined ? raw : { deliveredAt: new Date(at(event.deliveredAt)).toISOString(), event: raw };
    const placed = timelineItemsFor(line, index, index + 1);
    if ('reason' in placed) failures.push({ kind: 'error', message: `event ${index + 1} (${event.type}) is not a valid event: ${placed.reason}` });
    else items.push(...placed.items);
    if (workflow && !isEngagement && event.profile === undefined && !plan.versions.some((version) => anyPatternMatches(version, raw))) {
      // An event that only updates the profile (it carries one) is fine; any other is likely a typo.
      const types = [...new Set(plan.versions.flatMap(detailTypesOf))];
      const others = registry.latest().filter((other) => other.id !== workflow.id && anyPatternMatches(other, raw)).map((other) => other.id);
      const hint = types.includes(event.type) ? '' : didYouMean(closest(event.type, types));
      warnings.push({
        code: 'event-unmatched',
        event: index + 1,
        reason: `event ${index + 1} ("${event.type}" at ${event.at}) matches no pattern of ${workflow.id} (entry, goal, exits, waits): it changes nothing in this journey${hint}${others.length > 0 ? `; it is for ${others.join(', ')}` : ''}`,
      });
    }
  });
  if (failures.length > 0) return failed();

  const steps: string[] = [];
  const budget: BudgetEffects = { deferred: [], skipped: [] };
  const pins = pinsOf(file, scenario);
  const runner = new VirtualClockRunner(plan.initial, {
    observer: (applied) => {
      if (applied.customerId !== customerId || applied.workflowId !== file.workflow) return;
      for (const effect of applied.effects) {
        if (effect.type !== 'metric' || !effect.stepId) continue;
        if (effect.metric === 'step.entered') steps.push(effect.stepId);
        else if (effect.metric === 'email.deferred' && effect.label === 'budget') budget.deferred.push(effect.stepId);
        else if (effect.metric === 'email.skipped' && effect.label === 'budget') budget.skipped.push(effect.stepId);
      }
    },
    // Pinned for the scenario's customer in its workflow only: other customers of the scenario take the hash.
    ...(pins ? { pins: (id: string, workflowId: string) => (id === customerId && workflowId === file.workflow ? pins : undefined) } : {}),
  });
  const apply = async (item: TimelineItem) => {
    const outcome = await runner.apply(item);
    if (outcome.rejected !== undefined) {
      const event = scenario.events[item.order];
      failures.push({ kind: 'error', message: `event ${item.order + 1}${event ? ` ("${event.type}" at ${event.at})` : ''} was not applied: ${outcome.rejected}` });
    }
  };
  const timeline = sortTimeline(items);
  // Deploys and checkpoints in time order, a deploy before a checkpoint of the same instant; each after the events up to its time.
  const stops = [
    ...plan.deploys.map((deploy) => ({ when: deploy.at, deploy, checkpoint: undefined })),
    ...(scenario.expect.checkpoints ?? []).map((checkpoint) => ({ when: at(checkpoint.at), deploy: undefined, checkpoint })),
  ].sort((a, b) => a.when - b.when || (a.deploy ? 0 : 1) - (b.deploy ? 0 : 1));
  let next = 0;
  for (const { when, deploy, checkpoint } of stops) {
    while (next < timeline.length && timeline[next]!.at <= when) await apply(timeline[next++]!);
    if (deploy) {
      await runner.deploy(deploy.registry, when);
      continue;
    }
    if (!checkpoint) continue;
    await runner.advanceTo(when);
    const state = snapshot(runner, customerId, file.workflow);
    const actual = { status: state?.status ?? null, stage: state?.stage ?? null, step: state?.status === 'active' ? state.stepId : null, version: state?.version ?? null };
    for (const field of ['status', 'stage', 'step', 'version'] as const) {
      if (checkpoint[field] !== undefined && checkpoint[field] !== actual[field]) {
        failures.push({ kind: 'value', message: `${field} at ${checkpoint.at}`, expected: checkpoint[field], actual: actual[field] });
      }
    }
  }
  while (next < timeline.length) await apply(timeline[next++]!);
  const finished = await runner.advanceTo(scenario.until === undefined ? Number.POSITIVE_INFINITY : at(scenario.until));
  if (!finished) failures.push({ kind: 'error', message: 'the journey was still running after the timer limit: give the scenario an "until"' });

  const emails: ActualEmail[] = runner
    .emails()
    .filter((e) => e.workflowId === file.workflow && e.customerId === customerId)
    .map((e) => ({ at: e.at, stepId: e.stepId, contentId: e.contentId, subject: e.subject }));

  const expected = scenario.expect.emails;
  if (expected !== undefined) {
    const list = expected === 'none' ? [] : expected;
    const rows: EmailRow[] = [];
    for (let i = 0; i < Math.max(list.length, emails.length); i++) {
      const e = list[i];
      const a = emails[i];
      rows.push({ index: i + 1, expected: e, actual: a, matches: e !== undefined && a !== undefined && emailMatches(e, a, start) });
    }
    if (rows.some((r) => !r.matches)) failures.push({ kind: 'emails', message: `emails differ (expected ${list.length}, got ${emails.length})`, rows });
  }
  if (scenario.expect.noEmailsAfter !== undefined) {
    const after = at(scenario.expect.noEmailsAfter);
    const late = emails.filter((e) => e.at > after);
    if (late.length > 0) {
      failures.push({ kind: 'emails', message: `${late.length} email${late.length === 1 ? '' : 's'} after ${scenario.expect.noEmailsAfter}`, rows: late.map((a, i) => ({ index: emails.indexOf(a) + 1 || i + 1, expected: undefined, actual: a, matches: false })) });
    }
  }

  const state = snapshot(runner, customerId, file.workflow);
  const final = state ? { status: state.status, stage: state.stage, step: state.status === 'active' ? state.stepId : null, converted: state.convertedAt !== null, version: state.version } : null;
  const check = (what: string, wanted: unknown, actual: unknown) => {
    if (wanted !== undefined && wanted !== actual) failures.push({ kind: 'value', message: what, expected: wanted, actual });
  };
  check('status', scenario.expect.status, final?.status ?? null);
  check('stage', scenario.expect.stage, final?.stage ?? null);
  check('step', scenario.expect.step, final?.step ?? null);
  check('converted', scenario.expect.converted, final?.converted ?? false);
  check('version', scenario.expect.version, final?.version ?? null);
  check('budget.deferred', scenario.expect.budget?.deferred, budget.deferred.length);
  check('budget.skipped', scenario.expect.budget?.skipped, budget.skipped.length);

  for (const warning of warningsPerCustomerAndReason(runner.warnings)) {
    warnings.push({ code: warning.code, reason: warning.reason, customerId: warning.customerId, workflowId: warning.workflowId });
  }

  return { name: scenario.name, passed: failures.length === 0, failures, warnings, emails, budget, final, path: steps };
}

/** Scenario files under the given paths (default: every `*.test.json` under workflows/). */
export function findScenarioFiles(paths: string[]): string[] {
  const files: string[] = [];
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        walk(join(path, name));
      }
    } else if (path.endsWith('.test.json')) files.push(path);
  };
  for (const path of paths) {
    if (existsSync(path) && statSync(path).isFile()) files.push(path);
    else walk(path);
  }
  return files;
}

/** Loads a scenario file, the workflows beside it, and runs every scenario. */
export async function runScenarioFile(path: string, options: { workflowsDirectory?: string; registry?: WorkflowRegistry } = {}): Promise<ScenarioFileResult> {
  const file = relative(process.cwd(), path) || path;
  const empty = (problems: string[], workflow = '', start = 0): ScenarioFileResult => ({ file, workflow, start, problems, scenarios: [] });
  let raw: unknown;
  const text = readFileSync(path, 'utf8');
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return empty([`${file}: $: ${describeJsonError(text, error as Error)}`]);
  }
  const problems = scenarioFileProblems(raw);
  if (problems.length > 0) return empty(problems.map((p) => `${file}: ${p.path}: ${p.message}`));
  const scenarioFile = ScenarioFileSchema.parse(raw);
  let registry = options.registry;
  if (!registry) {
    try {
      const loaded = loadValidWorkflows([options.workflowsDirectory ?? dirname(path)]);
      registry = WorkflowRegistry.fromLoaded(loaded);
    } catch (error) {
      return empty([(error as Error).message], scenarioFile.workflow);
    }
  }
  const workflow = registry.latestOf(scenarioFile.workflow);
  if (!workflow) {
    const ids = registry.latest().map((w) => w.id);
    const near = closest(scenarioFile.workflow, ids);
    return empty([`${file}: $.workflow: no workflow "${scenarioFile.workflow}" (${near === undefined ? `workflows: ${list(ids)}` : `did you mean "${near}"?`})`], scenarioFile.workflow);
  }
  const filePins = pinProblems(workflow, scenarioFile.customer, (...segments) => segmentsToJsonPath(['customer', ...segments]));
  if (filePins.length > 0) return empty(filePins.map((problem) => `${file}: ${problem}`), scenarioFile.workflow, Date.parse(scenarioFile.start));
  const scenarios: ScenarioResult[] = [];
  for (const [index, scenario] of scenarioFile.scenarios.entries()) scenarios.push(await runScenario(registry, scenarioFile, scenario, index));
  return { file, workflow: scenarioFile.workflow, start: Date.parse(scenarioFile.start), problems: [], scenarios };
}
