/**
 * `waymark report`: one self-contained HTML report of journey analytics
 * (funnel by stage, email performance, time to convert, statuses, channels,
 * the journey map), from a simulation file, a local stack or a deployed
 * table, plus a summary in the terminal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Workflow } from '../engine/schema';
import type { CounterRow } from '../runtime/store';
import { loadValidWorkflows, WorkflowLoadError } from '../runtime/workflow-files';
import { buildWorkflowReport, type Report, type ReportPeriod } from '../report/build';
import { addDays, formatCount, formatDuration, formatMoney, formatRate, formatRatio } from '../report/format';
import { periodText, renderReportHtml } from '../report/html';
import { reportJson } from '../report/json';
import { type CounterReader, describeSource, LOCAL_STACK, ReportInputError, type ReportSource, readSimulationFile, simulationReader } from '../report/sources';
import { color, symbols, table } from './output';

export interface ReportOptions {
  workflows: string;
  workflow?: string;
  /** A `waymark simulate --json` file. */
  from?: string;
  /** DynamoDB Local's URL; `true` when given without a value (the local stack's default). */
  endpoint?: string | boolean;
  table?: string;
  region?: string;
  days?: string;
  since?: string;
  /** The HTML file (default waymark-report.html; with `json`, written only when given). */
  out?: string;
  /** Print the figures as JSON on stdout instead of the summary. */
  json?: boolean;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isDay(text: string): boolean {
  return DAY.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

/** `--days` / `--since` as a day range; `lastDay` is the day `--days` counts back from. */
export function parsePeriod(options: Pick<ReportOptions, 'days' | 'since'>, lastDay: string): ReportPeriod {
  if (options.days !== undefined && options.since !== undefined) throw new ReportInputError('--days and --since cannot be used together: pick one');
  if (options.days !== undefined) {
    const days = Number(options.days);
    if (!/^\d+$/.test(options.days) || days < 1) throw new ReportInputError(`--days expects a whole number of days, 1 or more, not "${options.days}"`);
    return { from: addDays(lastDay, -(days - 1)), to: lastDay };
  }
  if (options.since !== undefined) {
    if (!isDay(options.since)) throw new ReportInputError(`--since expects a day as YYYY-MM-DD, such as 2026-11-01, not "${options.since}"`);
    return { from: options.since, to: null };
  }
  return { from: null, to: null };
}

type Source =
  | { kind: 'simulation'; file: string }
  | { kind: 'local'; endpoint: string; table: string }
  | { kind: 'table'; table: string; region: string | undefined };

/** Which one source the options name. */
export function sourceOf(options: Pick<ReportOptions, 'from' | 'endpoint' | 'table' | 'region'>): Source {
  const endpoint = options.endpoint === undefined || options.endpoint === false ? undefined : options.endpoint === true ? LOCAL_STACK.endpoint : options.endpoint;
  if (options.from !== undefined) {
    if (endpoint !== undefined || options.table !== undefined) throw new ReportInputError('--from reads a simulation file: it cannot be combined with --endpoint or --table');
    if (options.region !== undefined) throw new ReportInputError('--region applies to a deployed table (--table) only');
    return { kind: 'simulation', file: options.from };
  }
  if (endpoint !== undefined) {
    if (options.region !== undefined) throw new ReportInputError('--region applies to a deployed table (--table without --endpoint) only');
    if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new ReportInputError(`--endpoint expects a URL such as ${LOCAL_STACK.endpoint}, not "${endpoint}"`);
    return { kind: 'local', endpoint, table: options.table ?? LOCAL_STACK.table };
  }
  if (options.table !== undefined) return { kind: 'table', table: options.table, region: options.region };
  throw new ReportInputError(
    'where are the counters? Pass --from FILE.json (a `waymark simulate --json` output), --endpoint [URL] (a running `waymark dev`, default ' +
      `${LOCAL_STACK.endpoint}, table ${LOCAL_STACK.table}) or --table NAME [--region REGION] (a deployed table)`,
  );
}

/** The newest version of each workflow id (counters are per workflow id, across versions). */
function latestById(workflows: readonly Workflow[]): Map<string, Workflow> {
  const byId = new Map<string, Workflow>();
  for (const workflow of workflows) {
    const seen = byId.get(workflow.id);
    if (!seen || seen.version < workflow.version) byId.set(workflow.id, workflow);
  }
  return byId;
}

const hasCounters = (rows: readonly CounterRow[]) => rows.some((r) => r.day !== 'all' || r.value !== 0);

function periodWords(period: ReportPeriod): string {
  if (period.from !== null && period.to !== null) return ` from ${period.from} to ${period.to}`;
  if (period.from !== null) return ` since ${period.from}`;
  return '';
}

/** An SDK error as something to act on. */
function describeReadError(error: unknown, source: ReportSource): string {
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  const where = describeSource(source);
  if (name === 'ResourceNotFoundException') return `no table "${'table' in source ? source.table : ''}" in ${source.kind === 'local' ? `DynamoDB Local at ${source.endpoint}` : source.kind === 'table' && source.region ? `region ${source.region}` : 'this account and region'}`;
  if (source.kind === 'local' && /ECONNREFUSED|connect|socket hang up|fetch failed/i.test(`${message} ${(error as { code?: string }).code ?? ''}`)) {
    return `cannot reach DynamoDB Local at ${source.endpoint}: is \`waymark dev\` running? (${message})`;
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(message)) return `no AWS credentials for ${where}: configure them the usual way (AWS_PROFILE, environment, SSO) (${message})`;
  if (/region/i.test(message) && source.kind === 'table') return `no AWS region for ${where}: pass --region or set AWS_REGION (${message})`;
  return `cannot read counters from ${where}: ${message}`;
}

async function loadReport(options: ReportOptions, now: number): Promise<Report> {
  const source = sourceOf(options);
  const loaded = loadValidWorkflows([options.workflows]);
  const workflows = latestById(loaded.workflows);
  const known = () => (workflows.size === 0 ? `${options.workflows} has no workflows` : `workflows in ${options.workflows}: ${[...workflows.keys()].join(', ')}`);
  if (options.workflow !== undefined && !workflows.has(options.workflow)) throw new ReportInputError(`unknown workflow "${options.workflow}" (${known()})`);

  let reader: CounterReader;
  let reportSource: ReportSource;
  let candidates: string[];
  let lastDay = new Date(now).toISOString().slice(0, 10);
  let client: DynamoDBClient | undefined;
  if (source.kind === 'simulation') {
    const simulation = readSimulationFile(source.file);
    const simulated = simulation.workflow.id;
    if (options.workflow !== undefined && options.workflow !== simulated) throw new ReportInputError(`${source.file} simulates workflow "${simulated}", not "${options.workflow}"`);
    if (!workflows.has(simulated)) throw new ReportInputError(`${source.file} simulates workflow "${simulated}", which is not in ${options.workflows} (${known()}): pass --workflows with the directory it was simulated from`);
    const parameters = simulation.parameters ?? null;
    reportSource = { kind: 'simulation', file: source.file, workflow: simulation.workflow, parameters };
    reader = await simulationReader(simulation);
    candidates = [simulated];
    // --days counts back from the end of the simulated period.
    const days = simulation.counters.map((r) => r.day).filter((d) => d !== 'all').sort();
    if (parameters && typeof parameters.start === 'string' && isDay(parameters.start.slice(0, 10)) && typeof parameters.days === 'number' && parameters.days >= 1) {
      lastDay = addDays(parameters.start.slice(0, 10), parameters.days - 1);
    } else if (days.length > 0) {
      lastDay = days[days.length - 1]!;
    }
  } else if (source.kind === 'local') {
    // The AWS SDK is loaded only for the sources that need it.
    const [{ localDynamoClient }, { DynamoStore }] = await Promise.all([import('../runtime/local-servers'), import('../runtime/dynamo-store')]);
    client = localDynamoClient(source.endpoint);
    reportSource = { kind: 'local', endpoint: source.endpoint, table: source.table };
    reader = new DynamoStore({ client, tableName: source.table });
    candidates = options.workflow !== undefined ? [options.workflow] : [...workflows.keys()];
  } else {
    const [{ DynamoDBClient }, { DynamoStore }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('../runtime/dynamo-store')]);
    // The default credential chain; never credentials of our own.
    client = new DynamoDBClient(source.region ? { region: source.region } : {});
    let region: string | null = source.region ?? null;
    if (region === null) {
      try {
        region = await client.config.region();
      } catch {
        client.destroy();
        throw new ReportInputError(`no AWS region for table ${source.table}: pass --region or set AWS_REGION`);
      }
    }
    reportSource = { kind: 'table', table: source.table, region };
    reader = new DynamoStore({ client, tableName: source.table });
    candidates = options.workflow !== undefined ? [options.workflow] : [...workflows.keys()];
  }

  try {
    const period = parsePeriod(options, lastDay);
    const found: Array<{ workflow: Workflow; rows: CounterRow[] }> = [];
    for (const id of candidates) {
      let rows: CounterRow[];
      try {
        rows = await reader.readCounters(id, period.from ?? undefined, period.to ?? undefined);
      } catch (error) {
        throw new ReportInputError(describeReadError(error, reportSource), { cause: error });
      }
      if (hasCounters(rows)) found.push({ workflow: workflows.get(id)!, rows });
    }
    if (found.length === 0) {
      const which = options.workflow !== undefined || candidates.length === 1 ? `workflow ${candidates[0]}` : `any of ${candidates.length} workflows (${candidates.join(', ')})`;
      throw new ReportInputError(`no counters found for ${which} in ${describeSource(reportSource)}${periodWords(period)}`);
    }
    const reports = [];
    for (const { workflow, rows } of found) reports.push(await buildWorkflowReport(workflow, rows, period));
    return { source: reportSource, period, generatedAt: now, workflows: reports };
  } finally {
    client?.destroy();
  }
}

/** Columns of numbers right-aligned (pre-padded for `table`, which aligns left). */
function alignRight(rows: string[][], numericFrom: number): string[][] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i >= numericFrom ? cell.padStart(widths[i] ?? 0) : cell)));
}

/** The terminal summary: per workflow, stages with entered and conversion, and email steps with sent, opened, clicked. */
export function reportSummary(report: Report): string {
  const period = periodText(report);
  const lines: string[] = [`${color.bold('Waymark report')} from ${describeSource(report.source)} · ${period.text}`];
  for (const { workflow, metrics, graph, experiments, revenue } of report.workflows) {
    lines.push('', `${color.bold(workflow.name)} ${color.dim(`(${workflow.id})`)}`);
    lines.push(
      `  ${formatCount(metrics.entered)} entered · ${formatCount(metrics.converted)} converted (${formatRate(metrics.converted, metrics.entered)})` +
        (metrics.averageTimeToConvertMs === null ? '' : ` · ${formatDuration(metrics.averageTimeToConvertMs)} to convert on average`),
    );
    const stageRows = graph.stages.map((stage) => {
      const m = metrics.stages[stage];
      return [stage, formatCount(m?.entered ?? 0), formatRatio(m?.conversionToNext ?? null)];
    });
    lines.push(
      table(
        alignRight([['stage', 'entered', 'to next'], ...stageRows], 1).map((row, i) => (i === 0 ? row.map((c) => color.dim(c)) : row)),
        { indent: 4 },
      ),
    );
    const emailRows = graph.steps
      .filter((s) => s.type === 'email')
      .map((s) => {
        const m = metrics.steps[s.id]!;
        return [s.id, formatCount(m.sent), formatCount(m.opened), formatCount(m.clicked)];
      });
    if (emailRows.length > 0) {
      lines.push(
        table(
          alignRight([['email step', 'sent', 'opened', 'clicked'], ...emailRows], 1).map((row, i) => (i === 0 ? row.map((c) => color.dim(c)) : row)),
          { indent: 4 },
        ),
      );
    }
    if (revenue.total > 0) lines.push(`  revenue ${formatMoney(revenue.total)} from ${formatCount(revenue.converted)} conversions`);
    for (const experiment of experiments) {
      const rates = experiment.paths.map((p) => `${p.next} ${formatRatio(p.rate)} of ${formatCount(p.entered)}`).join(', ');
      const verdicts = experiment.kind === 'holdout' ? [experiment.liftVerdict?.text ?? ''] : (experiment.differences ?? []).map((d) => d.verdict.text);
      lines.push(`  ${experiment.kind} ${color.bold(experiment.stepId)}: ${rates}`, ...verdicts.map((v) => `    ${v}`));
    }
  }
  return lines.join('\n');
}

export async function reportCommand(options: ReportOptions, now: number = Date.now()): Promise<number> {
  try {
    const report = await loadReport(options, now);
    const out = options.out ?? (options.json ? undefined : 'waymark-report.html');
    if (out !== undefined) {
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, renderReportHtml(report));
    }
    if (options.json) {
      console.log(JSON.stringify(reportJson(report), null, 2));
      return 0;
    }
    console.log(reportSummary(report));
    console.log(`\n${symbols.ok} Report written to ${out}`);
    return 0;
  } catch (error) {
    if (error instanceof ReportInputError || error instanceof WorkflowLoadError) {
      console.error(`${symbols.fail} ${error.message}`);
    } else {
      console.error(`${symbols.fail} waymark report failed: ${(error as Error).message ?? String(error)}`);
    }
    return 1;
  }
}
