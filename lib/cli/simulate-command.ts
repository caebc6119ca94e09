/**
 * `waymark simulate <workflow> --customers N [--days D] [--seed S] [--entry-days E]
 * [--start ISO] [--ses-rate R] [--config FILE] [--json]`: a forecast of one journey
 * before launch (emails per day, SES peaks, reach per step and stage, conversion),
 * from synthetic customers run through the real engine on a virtual clock.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from 'zod';
import { formatProblem } from '../engine/validate';
import { segmentsToJsonPath, type Workflow } from '../engine/schema';
import { contentExhaustedBySteps, simulate, type SimulationProgress, type SimulationSettings, type SimulationTarget } from '../sim/simulator';
import type { SimulationOutput } from '../sim/types';
import { describeJsonError, loadValidWorkflows, WorkflowLoadError } from '../runtime/workflow-files';
import { color, symbols, table } from './output';

export interface SimulateOptions {
  customers?: string;
  days?: string;
  seed?: string;
  entryDays?: string;
  start?: string;
  sesRate?: string;
  config?: string;
  workflows?: string;
  workers?: string;
  json?: boolean;
}

/** A usage or input problem: printed as one line, exit code 1. */
class SimulateError extends Error {}

const Probability = z.number().min(0, 'expected a probability from 0 to 1').max(1, 'expected a probability from 0 to 1');
const Engagement = z.record(z.string(), z.strictObject({ open: Probability, click: Probability }));

/** One kind of customer in the audience. */
const AudienceGroup = z.strictObject({
  name: z.string().min(1).optional().describe('What the forecast calls them (default: their attributes)'),
  weight: z.number().min(0, 'expected a weight of at least 0').finite().describe('Their share of the customers, relative to the other weights'),
  profile: z.record(z.string(), z.unknown()).describe('The profile attributes they enter with (over the generated email, firstName and timezone)'),
  engagement: Engagement.optional().describe('Their own open and click rates by content kind ("*": every kind)'),
  conversionPerClick: Probability.optional(),
  baseConversion: Probability.optional(),
  goalValue: z.strictObject({ min: z.number().min(0).finite(), max: z.number().min(0).finite() }).optional().describe('Their conversions\' value (goal.value)'),
});

/** The `--config` file: every field optional, unknown fields refused (a typo must not be ignored). */
export const SimulationConfig = z.strictObject({
  engagement: Engagement
    .optional()
    .describe('Open and click probabilities by content kind (clicks are of all recipients); "*" for every kind not named'),
  conversionPerClick: Probability.optional(),
  baseConversion: Probability.optional(),
  waitedEvents: z.record(z.string(), Probability).optional().describe('By awaited detail-type; "*" for every one not named'),
  goalValue: z.strictObject({ min: z.number().min(0).finite(), max: z.number().min(0).finite() }).optional().describe('The value of a conversion (goal.value, revenue): drawn evenly from min to max'),
  sesMaxSendRate: z.number().positive('expected emails per second, more than 0').finite().optional(),
  timeZones: z.array(z.string().min(1)).min(1, 'name at least one IANA time zone').optional(),
  profiles: z.array(AudienceGroup).min(1, 'list at least one kind of customer, e.g. [{"weight": 1, "profile": {"plan": "trial"}}]').optional().describe('The audience: kinds of customer with their weights and profile attributes'),
});
export type SimulationConfig = z.infer<typeof SimulationConfig>;

export function readSimulationConfig(file: string): SimulationConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SimulateError(`cannot read the config file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SimulateError(`${file}: ${describeJsonError(text, error as Error)}`);
  }
  const parsed = SimulationConfig.safeParse(json);
  if (!parsed.success) throw new SimulateError(parsed.error.issues.map((issue) => `${file}: ${segmentsToJsonPath(issue.path)}: ${issue.message}`).join('\n'));
  return parsed.data;
}

function whole(name: string, text: string | undefined, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SimulateError(`${name} expects a whole number${min > Number.MIN_SAFE_INTEGER ? ` from ${min.toLocaleString('en-US')}` : ''}${max < Number.MAX_SAFE_INTEGER ? ` to ${max.toLocaleString('en-US')}` : ''}, not "${text}"`);
  }
  return value;
}

function positive(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) throw new SimulateError(`${name} expects a number more than 0, not "${text}"`);
  return value;
}

function isoTime(name: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new SimulateError(`${name} expects an ISO 8601 time such as 2026-11-02T00:00:00Z, not "${text}"`);
  }
  return new Date(Date.parse(text)).toISOString();
}

/**
 * The workflow to simulate: a file (validated with everything in its directory, content from
 * its `content/`), or an id in the workflows directory. Throws WorkflowLoadError with every
 * problem when the workflows are invalid.
 */
export function resolveSimulationTarget(target: string, workflowsDirectory = 'workflows'): SimulationTarget {
  const looksLikeFile = /[\\/]|\.json$/i.test(target);
  if (existsSync(target) && statSync(target).isDirectory()) throw new SimulateError(`${target} is a directory: name one workflow file (e.g. workflows/cold-traffic-nurture.json) or a workflow id`);
  if (existsSync(target)) {
    const loaded = loadValidWorkflows([dirname(target)]);
    const file = loaded.files.find((f) => resolve(f.file) === resolve(target));
    if (!file?.workflow) throw new SimulateError(`${target} is not a workflow file (workflow files are the *.json beside workflows/content/, not *.test.json or *.schema.json)`);
    return { workflow: file.workflow, catalogue: loaded.catalogue, settings: loaded.settings };
  }
  if (looksLikeFile) throw new SimulateError(`no such workflow file: ${target}`);
  if (!existsSync(workflowsDirectory)) throw new SimulateError(`no workflow file "${target}", and no ${workflowsDirectory}/ directory to look up a workflow id in`);
  const loaded = loadValidWorkflows([workflowsDirectory]);
  let latest: Workflow | undefined;
  for (const workflow of loaded.workflows) if (workflow.id === target && (!latest || workflow.version > latest.version)) latest = workflow;
  if (!latest) {
    const ids = [...new Set(loaded.workflows.map((w) => w.id))].sort();
    throw new SimulateError(`no workflow "${target}" in ${workflowsDirectory}/ (${ids.length > 0 ? `workflows are: ${ids.join(', ')}` : 'it holds no workflows'})`);
  }
  return { workflow: latest, catalogue: loaded.catalogue, settings: loaded.settings };
}

export function simulationSettings(options: SimulateOptions): SimulationSettings {
  const customers = whole('--customers', options.customers, { max: 10_000_000 });
  if (customers === undefined) throw new SimulateError('--customers is required: how many synthetic customers enter, e.g. --customers 10000');
  const config = options.config === undefined ? {} : readSimulationConfig(options.config);
  const settings: SimulationSettings = { customers };
  const workers = whole('--workers', options.workers, { max: 64 });
  if (workers !== undefined) settings.workers = workers;
  const days = whole('--days', options.days, { max: 3660 });
  if (days !== undefined) settings.days = days;
  const seed = whole('--seed', options.seed, { min: Number.MIN_SAFE_INTEGER });
  if (seed !== undefined) settings.seed = seed;
  const entryDays = positive('--entry-days', options.entryDays);
  if (entryDays !== undefined) {
    if (entryDays > (days ?? 30)) throw new SimulateError(`--entry-days (${entryDays}) cannot be more than the ${days ?? 30} days simulated`);
    settings.entryDays = entryDays;
  }
  const start = isoTime('--start', options.start);
  if (start !== undefined) settings.start = start;
  const rate = positive('--ses-rate', options.sesRate) ?? config.sesMaxSendRate;
  if (rate !== undefined) settings.sesMaxSendRate = rate;
  if (config.engagement) settings.engagement = config.engagement;
  if (config.conversionPerClick !== undefined) settings.conversionPerClick = config.conversionPerClick;
  if (config.baseConversion !== undefined) settings.baseConversion = config.baseConversion;
  if (config.waitedEvents) settings.waitedEvents = config.waitedEvents;
  if (config.timeZones) settings.timeZones = config.timeZones;
  if (config.profiles) settings.profiles = config.profiles;
  if (config.goalValue) settings.goalValue = config.goalValue;
  return settings;
}

export async function simulateCommand(workflow: string, options: SimulateOptions): Promise<number> {
  let target: SimulationTarget;
  let settings: SimulationSettings;
  try {
    settings = simulationSettings(options);
    target = resolveSimulationTarget(workflow, options.workflows);
  } catch (error) {
    if (error instanceof WorkflowLoadError) {
      console.error(`${symbols.fail} cannot simulate ${workflow}: the workflows are invalid`);
      for (const problem of error.problems) console.error(`    ${color.red(formatProblem(problem))}`);
    } else {
      console.error(`${symbols.fail} ${(error as Error).message}`);
    }
    return 1;
  }

  const bar = process.stderr.isTTY ? progressBar() : undefined;
  if (bar) settings.onProgress = bar.update;
  let output: SimulationOutput;
  try {
    output = await simulate(target, settings);
  } catch (error) {
    bar?.clear();
    if (!(error instanceof RangeError)) throw error;
    console.error(`${symbols.fail} ${error.message}`);
    return 1;
  }
  bar?.clear();

  if (options.json) {
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`${formatForecast(output, target.workflow)}\n`);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Output

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const n = (value: number) => count.format(value);
/** `plural` with thousands separators: "12,345 emails". */
const counted = (value: number, one: string, many = `${one}s`) => `${n(value)} ${value === 1 ? one : many}`;
const percent = (ratio: number) => `${(ratio * 100).toFixed(1)}%`;
const WEEKDAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const weekday = (iso: string) => WEEKDAY[new Date(`${iso.slice(0, 10)}T00:00:00Z`).getUTCDay()]!;

/** Seconds as "45 s", "9 min 13 s". */
function seconds(value: number): string {
  const total = Math.ceil(value);
  if (total < 60) return `${total} s`;
  return `${Math.floor(total / 60)} min${total % 60 === 0 ? '' : ` ${total % 60} s`}`;
}

/** Right-aligns the given columns (numbers) of a table's rows; the header row is aligned too. */
function alignRight(rows: string[][], columns: number[]): string[][] {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths = columns.map((c) => Math.max(...rows.map((row) => visible(row[c] ?? ''))));
  return rows.map((row) => row.map((cell, c) => {
    const i = columns.indexOf(c);
    return i < 0 ? cell : ' '.repeat(widths[i]! - visible(cell)) + cell;
  }));
}

function barChart(rows: Array<{ label: string; count: number }>, width = 40): string {
  const max = Math.max(1, ...rows.map((r) => r.count));
  const eighths = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
  return table(
    alignRight(
      rows.map((row) => {
        const units = (row.count / max) * width;
        const full = Math.floor(units);
        const eighth = eighths[Math.round((units - full) * 8)] ?? '█';
        // Every day with emails shows at least a sliver.
        const partial = row.count > 0 && full === 0 && eighth === '' ? '▏' : eighth;
        return [color.dim(row.label), n(row.count), color.cyan('█'.repeat(full) + partial)];
      }),
      [1],
    ),
  );
}

/** The forecast as a person reads it. */
export function formatForecast(output: SimulationOutput, definition: Workflow): string {
  const { parameters: p, forecast: f, workflow } = output;
  const lines: string[] = [];
  lines.push(`${color.bold(`Forecast: ${workflow.name}`)} ${color.dim(`(${workflow.id} v${workflow.version})`)}`);
  lines.push(
    color.dim(
      `  ${counted(p.customers, 'customer')} entering over ${counted(p.entryDays, 'day')} from ${weekday(p.start)} ${p.start.slice(0, 10)} ${p.start.slice(11, 16)} UTC; ${counted(p.days, 'day')} simulated, seed ${p.seed} (${(output.durationMs / 1000).toFixed(1)} s)`,
    ),
  );

  // Emails: per day, the peaks, and what they mean for SES
  lines.push('', color.bold(`Emails: ${n(f.emails.total)}`));
  if (f.emails.total > 0) {
    const rows = f.emails.perDay.length <= 62 ? f.emails.perDay.map((d) => ({ label: `${weekday(d.day)} ${d.day}`, count: d.count })) : weeks(f.emails.perDay);
    lines.push(barChart(rows));
  }
  if (f.emails.peakDay) lines.push(`  ${color.bold('Peak day')}     ${weekday(f.emails.peakDay.day)} ${f.emails.peakDay.day}: ${counted(f.emails.peakDay.count, 'email')}`);
  if (f.emails.peakMinute) {
    const at = f.emails.peakMinute.at;
    lines.push(
      `  ${color.bold('Peak minute')}  ${weekday(at)} ${at.slice(0, 10)} ${at.slice(11, 16)} UTC: ${counted(f.emails.peakMinute.count, 'email')}, ${seconds(f.emails.peakMinuteSendSeconds)} of sending at ${n(p.sesMaxSendRate)}/s`,
    );
    if (f.emails.peakMinuteSendSeconds > 60) {
      lines.push(
        `  ${symbols.warn} ${color.yellow(`SES needs ${seconds(f.emails.peakMinuteSendSeconds)} to send the peak minute at ${p.sesMaxSendRate} emails/s: a backlog builds and emails go out late. Ask AWS for a higher sending rate (--ses-rate to check a new one), or spread the sends (time zones, a wider send window).`)}`,
      );
    }
  }

  // Reach
  lines.push('', color.bold('Steps'));
  const stepRows: string[][] = [[color.dim('step'), color.dim('reached'), color.dim('sent'), color.dim('opened'), color.dim('clicked')]];
  for (const [id, step] of Object.entries(f.steps)) {
    const isEmail = definition.steps[id]?.type === 'email';
    stepRows.push([id, n(step.reached), isEmail ? n(step.sent) : '', isEmail ? n(step.opened) : '', isEmail ? n(step.clicked) : '']);
  }
  lines.push(table(alignRight(stepRows, [1, 2, 3, 4])));

  lines.push('', color.bold('Stages'));
  const stageRows: string[][] = [[color.dim('stage'), color.dim('reached'), color.dim('on to the next')]];
  for (const [name, stage] of Object.entries(f.stages)) stageRows.push([name, n(stage.reached), stage.conversionToNext === null ? color.dim('–') : percent(stage.conversionToNext)]);
  lines.push(table(alignRight(stageRows, [1, 2])));

  // Branches, splits and holdouts: where customers went, and what followed
  const revenue = definition.goal?.value !== undefined;
  const points = Object.entries(f.paths);
  if (points.length > 0) {
    lines.push('', color.bold('Branches, splits and holdouts'));
    const rows: string[][] = [[color.dim('step'), color.dim('path'), color.dim('customers'), color.dim('share'), color.dim('emails after'), color.dim('converted'), ...(revenue ? [color.dim('revenue')] : [])]];
    for (const [stepId, point] of points) {
      point.paths.forEach((path, i) => {
        const label = path.label.length > 48 ? `${path.label.slice(0, 47)}…` : path.label;
        const to = path.next === null || point.type === 'split' ? '' : color.dim(` → ${path.next}`);
        rows.push([
          i === 0 ? stepId : '',
          `${label}${to}`,
          n(path.customers),
          point.reached > 0 ? percent(path.share) : color.dim('–'),
          n(path.emails),
          path.customers > 0 ? `${n(path.converted)} (${percent(path.conversionRate)})` : color.dim('–'),
          ...(revenue ? [n(path.revenue)] : []),
        ]);
      });
    }
    lines.push(table(alignRight(rows, revenue ? [2, 3, 4, 6] : [2, 3, 4])));
  }

  // Engagement by content kind, and by kind of customer
  const kinds = Object.entries(f.engagement);
  if (kinds.length > 0) {
    lines.push('', color.bold('Engagement by content kind'));
    const rows: string[][] = [[color.dim('kind'), color.dim('sent'), color.dim('opened'), color.dim('clicked')]];
    for (const [kind, k] of kinds) rows.push([kind, n(k.sent), `${n(k.opened)} (${percent(k.openRate)})`, `${n(k.clicked)} (${percent(k.clickRate)})`]);
    lines.push(table(alignRight(rows, [1])));
  }
  if (f.audience.length > 1) {
    lines.push('', color.bold('Audience'));
    const rows: string[][] = [[color.dim('customers like'), color.dim('entered'), color.dim('emails'), color.dim('opened'), color.dim('clicked'), color.dim('converted'), ...(revenue ? [color.dim('revenue')] : [])]];
    for (const group of f.audience) {
      rows.push([group.name, n(group.customers), n(group.emails), n(group.opened), n(group.clicked), `${n(group.converted)} (${percent(group.conversionRate)})`, ...(revenue ? [n(group.revenue)] : [])]);
    }
    lines.push(table(alignRight(rows, revenue ? [1, 2, 3, 4, 6] : [1, 2, 3, 4])));
  }

  // Conversion, deferrals, content, statuses
  lines.push('');
  const c = f.conversion;
  const summary: string[][] = [];
  summary.push([
    color.bold('Conversion'),
    definition.goal
      ? `${counted(c.converted, 'customer')} (${percent(c.rate)})${c.averageDaysToConvert === null ? '' : `, ${c.averageDaysToConvert.toFixed(1)} days after entering on average`}${revenue ? `, revenue ${n(c.revenue)}` : ''}`
      : color.dim('the workflow has no goal'),
  ]);
  summary.push([color.bold('Deferred'), `${counted(f.deferrals.window, 'email')} by the send window, ${n(f.deferrals.cap)} by the frequency cap, ${n(f.deferrals.budget ?? 0)} by the send budget`]);
  if (p.budget) {
    // Skips apart from deferrals: a skipped email is never sent, a deferred one is sent later.
    summary.push([
      color.bold('Send budget'),
      `${counted(p.budget.max, 'email')} per ${p.budget.per} (workflows/settings.json): ${counted(f.deferrals.budget, 'email')} deferred, ${n(f.skipped.budget)} skipped (overBudget "${p.budget.overBudget}")`,
    ]);
    // The simulation runs this journey alone: the budget it shares with the others only sees its emails.
    summary.push(['', color.dim("counting this journey's emails only: in production the customers' emails from the other journeys use the same budget")]);
  }
  const exhausted = contentExhaustedBySteps(output.counters);
  summary.push([
    color.bold('Content'),
    exhausted.length === 0
      ? 'no step ran out of content'
      : `${symbols.warn} ${exhausted.map((e) => `${e.stepId}: nothing left to send to ${counted(e.count, 'customer')}`).join('; ')} (add content of that kind)`,
  ]);
  if (f.skipped.noAddress > 0) summary.push([color.bold('No address'), `${counted(f.skipped.noAddress, 'email')} skipped`]);
  const statuses = Object.entries(f.statuses).filter(([, value]) => value > 0);
  summary.push([color.bold('At the end'), statuses.map(([status, value]) => `${status} ${n(value)}`).join(' · ') || color.dim('nobody')]);
  lines.push(table(summary, { indent: 0 }));
  for (const note of f.notes) lines.push(`${symbols.warn} ${color.yellow(note)}`);
  return lines.join('\n');
}

function weeks(perDay: Array<{ day: string; count: number }>): Array<{ label: string; count: number }> {
  const rows: Array<{ label: string; count: number }> = [];
  for (let i = 0; i < perDay.length; i += 7) {
    const week = perDay.slice(i, i + 7);
    rows.push({ label: `week of ${week[0]!.day}`, count: week.reduce((sum, d) => sum + d.count, 0) });
  }
  return rows;
}

/** A one-line progress bar on stderr (a terminal only), redrawn at most ten times a second. */
function progressBar(): { update: (progress: SimulationProgress) => void; clear: () => void } {
  let drawnAt = 0;
  let drawn = false;
  return {
    update(progress) {
      const now = Date.now();
      if (now - drawnAt < 100) return;
      drawnAt = now;
      drawn = true;
      const width = 24;
      const filled = Math.round(progress.done * width);
      const bar = color.cyan('━'.repeat(filled)) + color.dim('─'.repeat(width - filled));
      const day = `day ${progress.day}/${progress.days}${progress.batches > 1 ? ` of batch ${progress.batch}/${progress.batches}` : ''}`;
      const text = `${String(Math.floor(progress.done * 100)).padStart(3)}% · ${day} · ${n(progress.entered)} of ${counted(progress.customers, 'customer')} entered · ${counted(progress.emails, 'email')}`;
      // One line, never wrapped (a wrapped line cannot be redrawn in place).
      const room = (process.stderr.columns || 120) - width - 2;
      process.stderr.write(`\r${bar} ${text.length > room ? text.slice(0, Math.max(0, room - 1)) + '…' : text}\u001b[K`);
    },
    clear() {
      if (drawn) process.stderr.write('\r\u001b[K');
    },
  };
}
