/**
 * Runs scenarios on the engine (memory store, virtual clock: the same journey
 * service as production) and compares what happened with what was expected.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { JourneyState } from '../engine/model';
import { sortTimeline, type TimelineItem, timelineItemsFor, VirtualClockRunner } from '../runtime/local-runner';
import { WorkflowRegistry } from '../runtime/registry';
import { describeJsonError, loadValidWorkflows } from '../runtime/workflow-files';
import { type ExpectedEmail, resolveTime, type Scenario, type ScenarioFile, scenarioFileProblems, ScenarioFile as ScenarioFileSchema } from './scenario';

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

export interface ScenarioResult {
  name: string;
  passed: boolean;
  failures: Failure[];
  emails: ActualEmail[];
  final: { status: string; stage: string | null; step: string | null; converted: boolean } | null;
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

export async function runScenario(registry: WorkflowRegistry, file: ScenarioFile, scenario: Scenario): Promise<ScenarioResult> {
  const start = Date.parse(file.start);
  const at = (text: string) => resolveTime(text, start)!;
  const customerId = scenario.customer?.id ?? file.customer?.id ?? 'scenario-customer';
  const profile = { ...(file.customer?.profile ?? {}), ...(scenario.customer?.profile ?? {}) };
  const failures: Failure[] = [];

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
    const placed = timelineItemsFor(raw, index, index + 1);
    if ('reason' in placed) failures.push({ kind: 'error', message: `event ${index + 1} (${event.type}) is not a valid event: ${placed.reason}` });
    else items.push(...placed.items);
  });
  if (failures.length > 0) return { name: scenario.name, passed: false, failures, emails: [], final: null, path: [] };

  const path: string[] = [];
  const runner = new VirtualClockRunner(registry, {
    observer: (applied) => {
      if (applied.customerId !== customerId || applied.workflowId !== file.workflow) return;
      for (const effect of applied.effects) if (effect.type === 'metric' && effect.metric === 'step.entered' && effect.stepId) path.push(effect.stepId);
    },
  });
  const timeline = sortTimeline(items);
  const checkpoints = [...(scenario.expect.checkpoints ?? [])].sort((a, b) => at(a.at) - at(b.at));
  let next = 0;
  for (const checkpoint of checkpoints) {
    const when = at(checkpoint.at);
    while (next < timeline.length && timeline[next]!.at <= when) await runner.apply(timeline[next++]!);
    await runner.advanceTo(when);
    const state = snapshot(runner, customerId, file.workflow);
    const actual = { status: state?.status ?? null, stage: state?.stage ?? null, step: state?.status === 'active' ? state.stepId : null };
    for (const field of ['status', 'stage', 'step'] as const) {
      if (checkpoint[field] !== undefined && checkpoint[field] !== actual[field]) {
        failures.push({ kind: 'value', message: `${field} at ${checkpoint.at}`, expected: checkpoint[field], actual: actual[field] });
      }
    }
  }
  while (next < timeline.length) await runner.apply(timeline[next++]!);
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
  const final = state ? { status: state.status, stage: state.stage, step: state.status === 'active' ? state.stepId : null, converted: state.convertedAt !== null } : null;
  const check = (what: string, wanted: unknown, actual: unknown) => {
    if (wanted !== undefined && wanted !== actual) failures.push({ kind: 'value', message: what, expected: wanted, actual });
  };
  check('status', scenario.expect.status, final?.status ?? null);
  check('stage', scenario.expect.stage, final?.stage ?? null);
  check('step', scenario.expect.step, final?.step ?? null);
  check('converted', scenario.expect.converted, final?.converted ?? false);

  return { name: scenario.name, passed: failures.length === 0, failures, emails, final, path };
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
  if (!registry.latestOf(scenarioFile.workflow)) {
    return empty([`${file}: $.workflow: no workflow "${scenarioFile.workflow}" (workflows: ${registry.latest().map((w) => `"${w.id}"`).join(', ')})`], scenarioFile.workflow);
  }
  const scenarios: ScenarioResult[] = [];
  for (const scenario of scenarioFile.scenarios) scenarios.push(await runScenario(registry, scenarioFile, scenario));
  return { file, workflow: scenarioFile.workflow, start: Date.parse(scenarioFile.start), problems: [], scenarios };
}
