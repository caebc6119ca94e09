/**
 * `waymark test [paths...]`: runs scenario files like a test runner, with a
 * readable diff of expected and actual emails; exit code 1 on any failure.
 */
import { describeOffset } from '../scenarios/scenario';
import { type BudgetEffects, type EmailRow, findScenarioFiles, runScenarioFile, type ScenarioFileResult, type ScenarioWarning } from '../scenarios/run-scenario';
import { color, plural, shortTime, symbols } from './output';

export interface TestOptions {
  json?: boolean;
  workflows?: string;
}

function describeExpected(row: EmailRow, start: number): string {
  const e = row.expected;
  if (!e) return color.dim('(none)');
  return [e.step, e.content, e.at, e.subject === undefined ? undefined : `"…${e.subject}…"`].filter((part) => part !== undefined).join(' · ') || color.dim('(any email)');
}

function describeActual(row: EmailRow, start: number): string {
  const a = row.actual;
  if (!a) return color.dim('(none)');
  // The subject only when one was expected: then it is what differs, or may.
  const subject = row.expected?.subject === undefined ? '' : ` · "${a.subject}"`;
  return `${a.stepId} · ${a.contentId} · ${describeOffset(a.at, start)} ${color.dim(`(${shortTime(a.at)} UTC)`)}${subject}`;
}

function describeWarning(warning: ScenarioWarning): string {
  return warning.customerId === undefined ? warning.reason : `${warning.customerId} in ${warning.workflowId}: ${warning.reason}`;
}

/**
 * "budget: 1 email skipped (offer), 1 deferred (reminder)": what the send budget across journeys
 * did to the scenario's emails, or undefined when it did nothing (most scenarios: no line).
 */
export function describeBudget(budget: BudgetEffects): string | undefined {
  const steps = (ids: string[]) => [...new Set(ids)].join(', ');
  const parts = [
    ...(budget.skipped.length > 0 ? [{ count: budget.skipped.length, what: `skipped (${steps(budget.skipped)})` }] : []),
    ...(budget.deferred.length > 0 ? [{ count: budget.deferred.length, what: `deferred (${steps(budget.deferred)})` }] : []),
  ];
  if (parts.length === 0) return undefined;
  // The noun once, on the first count: "1 email skipped (offer), 2 deferred (reminder)".
  return `budget: ${parts.map((part, i) => `${i === 0 ? plural(part.count, 'email') : part.count} ${part.what}`).join(', ')}`;
}

export function formatFileResult(result: ScenarioFileResult): string[] {
  const lines = [color.bold(result.file)];
  for (const problem of result.problems) lines.push(`  ${symbols.fail} ${color.red(problem)}`);
  for (const scenario of result.scenarios) {
    const budget = describeBudget(scenario.budget);
    const notes = [...(budget === undefined ? [] : [`      ${color.dim(budget)}`]), ...scenario.warnings.map((warning) => `      ${symbols.warn} ${color.yellow(describeWarning(warning))}`)];
    if (scenario.passed) {
      lines.push(`  ${symbols.ok} ${scenario.name} ${color.dim(`(${plural(scenario.emails.length, 'email')})`)}`, ...notes);
      continue;
    }
    lines.push(`  ${symbols.fail} ${color.red(scenario.name)}`);
    for (const failure of scenario.failures) {
      if (failure.kind === 'emails') {
        lines.push(`      ${failure.message}:`);
        for (const row of failure.rows) {
          if (row.matches) {
            lines.push(`        ${color.green('✔')} ${row.index}. ${describeActual(row, result.start)}`);
          } else {
            lines.push(`        ${color.red('✖')} ${row.index}. ${color.green('- expected')}  ${describeExpected(row, result.start)}`);
            lines.push(`             ${color.red('+ actual')}    ${describeActual(row, result.start)}`);
          }
        }
      } else if (failure.kind === 'value') {
        lines.push(`      ${failure.message}: ${color.green(`expected ${JSON.stringify(failure.expected)}`)}, ${color.red(`got ${JSON.stringify(failure.actual)}`)}`);
      } else {
        lines.push(`      ${color.red(failure.message)}`);
      }
    }
    lines.push(...notes);
  }
  return lines;
}

export async function testCommand(paths: string[], options: TestOptions): Promise<number> {
  const files = findScenarioFiles(paths.length > 0 ? paths : ['workflows']);
  if (files.length === 0) {
    console.error(`${symbols.fail} no scenario files (*.test.json) in ${paths.join(', ') || 'workflows'}`);
    return 1;
  }
  const results: ScenarioFileResult[] = [];
  for (const file of files) results.push(await runScenarioFile(file, options.workflows ? { workflowsDirectory: options.workflows } : {}));
  const passed = results.flatMap((r) => r.scenarios).filter((s) => s.passed).length;
  const failed = results.flatMap((r) => r.scenarios).filter((s) => !s.passed).length + results.filter((r) => r.problems.length > 0).length;

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ passed, failed, files: results }, null, 2)}\n`);
  } else {
    for (const result of results) console.log(formatFileResult(result).join('\n'));
    const warnings = results.flatMap((r) => r.scenarios).reduce((sum, s) => sum + s.warnings.length, 0);
    const summary = failed === 0 ? color.green(`${plural(passed, 'scenario')} passed`) : color.red(`${failed} failed`) + `, ${passed} passed`;
    console.log(`\n${summary}${warnings > 0 ? `, ${color.yellow(plural(warnings, 'warning'))}` : ''}`);
  }
  return failed === 0 ? 0 : 1;
}
