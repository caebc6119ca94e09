/**
 * `waymark run --workflows DIR --events FILE.jsonl [--until ISO] [--json]`:
 * the engine in process, on a virtual clock, with an in-memory store.
 */
import { readFileSync } from 'node:fs';
import { rulesFor } from '../engine/routing';
import { type RunResult, runTimeline, timelineFromJsonLines, warningsPerCustomerAndReason } from '../runtime/local-runner';
import { WorkflowRegistry } from '../runtime/registry';
import { loadValidWorkflows, WorkflowLoadError } from '../runtime/workflow-files';
import { color, plural, shortTime, symbols, table } from './output';

export interface RunOptions {
  workflows: string;
  events: string;
  until?: string;
  json?: boolean;
}

/** The `--json` document: exactly this shape. */
export function runJson(result: RunResult) {
  return {
    emails: result.emails.map((e) => ({
      at: new Date(e.at).toISOString(),
      customerId: e.customerId,
      workflowId: e.workflowId,
      stepId: e.stepId,
      stage: e.stage,
      contentId: e.contentId,
      to: e.to,
      subject: e.subject,
    })),
    customers: result.customers.map((c) => ({ customerId: c.customerId, workflowId: c.workflowId, version: c.version, status: c.status, stepId: c.stepId, stage: c.stage })),
    rejected: result.rejected.map((r) => ({ line: r.line, reason: r.reason })),
    warnings: warningsPerCustomerAndReason(result.warnings).map((w) => ({ customerId: w.customerId, workflowId: w.workflowId, reason: w.reason })),
  };
}

/** Emails the send budget across journeys held back or skipped, over every workflow. */
async function budgetCounts(result: RunResult): Promise<{ deferred: number; skipped: number }> {
  const counts = { deferred: 0, skipped: 0 };
  for (const workflow of result.runner.registry.latest()) {
    for (const row of await result.runner.store.readCounters(workflow.id)) {
      if (row.name === 'email.deferred:budget') counts.deferred += row.value;
      if (row.name === 'email.skipped:budget') counts.skipped += row.value;
    }
  }
  return counts;
}

export function parseUntil(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/^\d{4}-\d{2}-\d{2}/.test(text)) throw new Error(`--until expects an ISO 8601 time such as 2026-12-01T00:00:00Z, not "${text}"`);
  return at;
}

export async function runCommand(options: RunOptions): Promise<number> {
  let until: number | undefined;
  let text: string;
  let registry: WorkflowRegistry;
  let routing: ReturnType<typeof rulesFor>;
  try {
    until = parseUntil(options.until);
    text = readFileSync(options.events, 'utf8');
    const loaded = loadValidWorkflows([options.workflows]);
    registry = WorkflowRegistry.fromLoaded(loaded);
    // The rules the stack deploys: an event none of them routes reaches no journey and no profile.
    routing = rulesFor(loaded.workflows, [...loaded.catalogue.items], loaded.settings.profileAttributes ?? []);
  } catch (error) {
    console.error(`${symbols.fail} ${error instanceof WorkflowLoadError ? error.message : (error as Error).message}`);
    return 2;
  }

  const result = await runTimeline(registry, timelineFromJsonLines(text), { routing, ...(until === undefined ? {} : { until }) });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(runJson(result), null, 2)}\n`);
    return 0;
  }

  const applied = text.split(/\r?\n/).filter((l) => l.trim() !== '').length - result.rejected.length;
  console.log(`${color.bold('Ran')} ${plural(applied, 'event')} from ${options.events}${until === undefined ? '' : ` until ${new Date(until).toISOString()}`}`);
  console.log(`\n${color.bold(`Emails (${result.emails.length})`)}`);
  if (result.emails.length > 0) {
    console.log(
      table(result.emails.map((e) => [color.dim(shortTime(e.at)), e.customerId, `${e.workflowId}/${color.cyan(e.stepId)}`, e.contentId, color.dim(e.to), `"${e.subject}"`])),
    );
  }
  console.log(`\n${color.bold(`Customers (${result.customers.length})`)}`);
  if (result.customers.length > 0) {
    const statusColor = (s: string) => (s === 'converted' ? color.green(s) : s === 'active' ? color.cyan(s) : s === 'suppressed' || s === 'exited' ? color.yellow(s) : s);
    console.log(
      table(result.customers.map((c) => [c.customerId, `${c.workflowId} v${c.version}`, statusColor(c.status), c.stepId === null ? color.dim('—') : `at ${c.stepId}`, c.stage ?? color.dim('no stage')])),
    );
  }
  const budget = await budgetCounts(result);
  if (budget.deferred + budget.skipped > 0) {
    console.log(`\n${color.bold('Send budget')}  ${plural(budget.deferred, 'email')} held until the budget allowed it, ${plural(budget.skipped, 'email')} skipped over it (workflows/settings.json)`);
  }
  const warnings = warningsPerCustomerAndReason(result.warnings);
  if (warnings.length > 0) {
    console.log(`\n${color.bold(color.yellow(`Warnings (${warnings.length})`))}`);
    for (const w of warnings) console.log(`  ${symbols.warn} ${w.customerId} in ${w.workflowId}: ${w.reason}`);
  }
  if (result.rejected.length > 0) {
    console.log(`\n${color.bold(color.red(`Rejected lines (${result.rejected.length})`))}`);
    for (const r of result.rejected) console.log(`  ${color.red(`line ${r.line}`)}: ${r.reason}`);
  }
  if (result.runner.unrouted > 0) {
    console.log(`\n${color.dim(`${plural(result.runner.unrouted, 'event')} matched no deployed rule (no workflow uses it and its profile sets no attribute the project reads): dropped, as EventBridge would`)}`);
  }
  if (!result.finished) console.log(`\n${symbols.warn} journeys were still running after the timer limit: pass --until to bound the run`);
  return 0;
}
