/**
 * `waymark replay (--events FILE... | --from DIR|s3://bucket/prefix [--since P30D]) --baseline DIR --candidate DIR [--json]`:
 * the same events through two workflow sets on the virtual clock, and what
 * changes: journeys whose emails or final status differ, emails per step,
 * conversions, deferrals.
 */
import { addSignedDuration, durationMs } from '../engine/time';
import { WorkflowLoadError } from '../runtime/workflow-files';
import { DEFAULT_WINDOW, orderedTimeline, type TimelineStats } from '../replay/ordered-timeline';
import { compareEmails, type JourneyDifference, replay, type ReplayResult, type ReplaySide, replaySideFrom, type SideTotals } from '../replay/replay';
import { type EventSource, pathSource, ReplaySourceError } from '../replay/sources';
import { parseUntil } from './run-command';
import { color, plural, shortTime, symbols, table } from './output';

export interface ReplayOptions {
  events?: string[];
  from?: string[];
  since?: string;
  until?: string;
  baseline?: string;
  candidate?: string;
  window?: string;
  limit?: string;
  region?: string;
  render?: boolean;
  json?: boolean;
}

class ReplayUsageError extends Error {
  override readonly name = 'ReplayUsageError';
}

/** `--since`: a duration back from `now` (P30D, PT12H) or a date or instant (2026-11-01, 2026-11-01T09:00:00Z). */
export function parseSince(text: string, now: number): number {
  if (/^P/i.test(text)) {
    try {
      return addSignedDuration(now, `-${text.toUpperCase()}`);
    } catch {
      throw new ReplayUsageError(`--since expects a duration such as P30D or PT12H, or a date such as 2026-11-01, not "${text}"`);
    }
  }
  const at = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at)) throw new ReplayUsageError(`--since expects a duration such as P30D or PT12H, or a date such as 2026-11-01, not "${text}"`);
  return at;
}

function loadSide(flag: string, directory: string | undefined): ReplaySide {
  if (!directory) throw new ReplayUsageError(`${flag} DIR is required: the workflows directory of the ${flag.slice(2)}`);
  try {
    return replaySideFrom(directory);
  } catch (error) {
    throw new ReplayUsageError(`${flag} ${directory}: ${(error as Error).message}`);
  }
}

async function sourcesFor(options: ReplayOptions, since: number | undefined): Promise<EventSource[]> {
  const sources: EventSource[] = [];
  for (const file of options.events ?? []) sources.push(pathSource(file));
  for (const from of options.from ?? []) {
    if (from.startsWith('s3://')) {
      const [{ S3Client }, { s3Source }] = await Promise.all([import('@aws-sdk/client-s3'), import('../replay/s3-source')]);
      sources.push(s3Source(new S3Client(options.region ? { region: options.region } : {}), from, since === undefined ? {} : { since }));
    } else sources.push(pathSource(from, since === undefined ? {} : { since }));
  }
  if (sources.length === 0) throw new ReplayUsageError('give the events: --events FILE... (JSON Lines, gzip allowed) or --from DIR|s3://bucket/prefix (an event archive)');
  return sources;
}

const iso = (at: number) => new Date(at).toISOString();
const outcome = (o: JourneyDifference['baseline']) => ({ status: o.status, emails: o.emails.map((e) => ({ at: iso(e.at), stepId: e.stepId, contentId: e.contentId })) });
/** One entry of `differences`: a journey (customer and workflow) whose status or emails differ. */
const differenceJson = (d: JourneyDifference) => ({ customerId: d.customerId, workflowId: d.workflowId, baseline: outcome(d.baseline), candidate: outcome(d.candidate) });

/** The `--json` document: the documented fields first, then what the spec leaves room for. */
export function replayJson(result: ReplayResult, stats: TimelineStats, options: { differences?: boolean } = {}) {
  const pair = <T>(pick: (t: SideTotals) => T) => ({ baseline: pick(result.baseline), candidate: pick(result.candidate) });
  return {
    customers: result.customers,
    changed: result.changed,
    emails: pair((t) => t.emails),
    conversions: pair((t) => t.conversions),
    differences: options.differences === false ? [] : result.differences.map(differenceJson),
    deferrals: pair((t) => t.deferrals),
    statuses: pair((t) => t.statuses),
    perStep: result.perStep,
    events: { lines: stats.lines, applied: result.applied, skipped: result.skipped, late: stats.late, unrouted: pair((t) => t.unrouted) },
    rejected: result.rejected,
    warnings: pair((t) => t.warnings),
    finished: result.baseline.finished && result.candidate.finished,
  };
}

const signed = (n: number) => (n > 0 ? color.green(`+${n}`) : n < 0 ? color.red(`−${-n}`) : color.dim('='));

function printSummary(result: ReplayResult, stats: TimelineStats, options: ReplayOptions, sources: EventSource[], limit: number): void {
  const { baseline: b, candidate: c } = result;
  console.log(`${color.bold('Replayed')} ${plural(result.applied, 'event')} from ${sources.map((s) => s.name).join(', ')}`);
  console.log(`  baseline   ${options.baseline}\n  candidate  ${options.candidate}`);

  const row = (label: string, x: number, y: number) => [label, String(x), String(y), signed(y - x)];
  const statuses = [...new Set([...Object.keys(b.statuses), ...Object.keys(c.statuses)])].sort();
  console.log(`\n${table([
    [color.dim(''), color.dim('baseline'), color.dim('candidate'), ''],
    row('emails', b.emails, c.emails),
    row('conversions', b.conversions, c.conversions),
    row('deferred: send window', b.deferrals.window, c.deferrals.window),
    row('deferred: frequency cap', b.deferrals.cap, c.deferrals.cap),
    ...statuses.map((s) => row(`journeys ${s}`, b.statuses[s] ?? 0, c.statuses[s] ?? 0)),
  ])}`);

  if (result.perStep.length > 0) {
    console.log(`\n${color.bold('Emails per step')} ${color.dim('(steps that changed)')}`);
    console.log(
      table(
        result.perStep.map((s) => [
          `${s.workflowId}/${color.cyan(s.stepId)}`,
          `${s.baseline} → ${s.candidate}`,
          [s.added > 0 ? color.green(`+${s.added} added`) : '', s.removed > 0 ? color.red(`−${s.removed} removed`) : '', s.retimed > 0 ? color.yellow(`${s.retimed} at another time`) : ''].filter(Boolean).join(', '),
        ]),
      ),
    );
  }

  console.log(`\n${color.bold(`${result.changed} of ${plural(result.customers, 'customer')} changed`)}${result.differences.length > limit ? color.dim(` (the first ${limit} journeys shown; --limit N for more, --json for all)`) : ''}`);
  for (const d of result.differences.slice(0, limit)) {
    const status = d.baseline.status === d.candidate.status ? color.dim(d.baseline.status ?? 'not entered') : `${d.baseline.status ?? 'not entered'} → ${color.bold(d.candidate.status ?? 'not entered')}`;
    console.log(`\n  ${color.bold(d.customerId)}  ${d.workflowId}  ${status}`);
    const { added, removed, retimed } = compareEmails(d.baseline.emails, d.candidate.emails);
    const lines: Array<{ at: number; text: string }> = [
      ...removed.map((e) => ({ at: e.at, text: `${color.red('−')} ${shortTime(e.at)}  ${e.stepId} · ${e.contentId}` })),
      ...added.map((e) => ({ at: e.at, text: `${color.green('+')} ${shortTime(e.at)}  ${e.stepId} · ${e.contentId}` })),
      ...retimed.map((r) => ({ at: r.baseline.at, text: `${color.yellow('~')} ${shortTime(r.baseline.at)} → ${shortTime(r.candidate.at)}  ${r.baseline.stepId} · ${r.baseline.contentId}` })),
    ].sort((x, y) => x.at - y.at);
    for (const line of lines) console.log(`      ${line.text}`);
  }

  const notes: string[] = [];
  if (stats.late > 0) notes.push(`${plural(stats.late, 'event')} came after later events had been applied (more than ${options.window ?? 'PT15M'} out of order): applied late, as production would (--window to widen)`);
  if (b.unrouted > 0 || c.unrouted > 0) notes.push(`events no deployed rule matches (dropped, as EventBridge would): ${b.unrouted} baseline, ${c.unrouted} candidate`);
  if (result.skipped > 0) notes.push(`${plural(result.skipped, 'event')} outside --since/--until: skipped`);
  if (b.warnings > 0 || c.warnings > 0) notes.push(`warnings about customers' data (waymark run shows them): ${b.warnings} baseline, ${c.warnings} candidate`);
  if (notes.length > 0) console.log(`\n${notes.map((n) => color.dim(`  ${n}`)).join('\n')}`);
  if (result.rejected.length > 0) {
    console.log(`\n${color.bold(color.red(`Rejected lines (${result.rejected.length})`))}`);
    for (const r of result.rejected.slice(0, 20)) console.log(`  ${color.red(`${r.file}:${r.line}`)}: ${r.reason}`);
    if (result.rejected.length > 20) console.log(color.dim(`  … and ${result.rejected.length - 20} more (--json lists them all)`));
  }
  if (!b.finished || !c.finished) console.log(`\n${symbols.warn} journeys were still running after the timer limit: pass --until to bound the replay`);
}

/**
 * `JSON.stringify(replayJson(...), null, 2)`, written a difference at a time: a large history can
 * differ in a hundred thousand journeys, and their text is never held whole.
 */
export async function writeJson(result: ReplayResult, stats: TimelineStats, out: NodeJS.WritableStream): Promise<void> {
  const text = JSON.stringify(replayJson(result, stats, { differences: false }), null, 2);
  const at = text.indexOf('"differences": []');
  let pending = `${text.slice(0, at)}"differences": [`;
  const flush = async () => {
    if (!out.write(pending)) await new Promise((resolve) => out.once('drain', resolve));
    pending = '';
  };
  for (let i = 0; i < result.differences.length; i++) {
    pending += `${i === 0 ? '' : ','}\n    ${JSON.stringify(differenceJson(result.differences[i]!), null, 2).replaceAll('\n', '\n    ')}`;
    if (pending.length > 1 << 20) await flush(); // about a megabyte at a time
  }
  pending += `${result.differences.length === 0 ? ']' : '\n  ]'}${text.slice(at + '"differences": []'.length)}\n`;
  await flush();
}

export async function replayCommand(options: ReplayOptions): Promise<number> {
  let sides: [ReplaySide, ReplaySide];
  let sources: EventSource[];
  let since: number | undefined;
  let until: number | undefined;
  let windowMs: number;
  let limit: number;
  try {
    if ((options.events?.length ?? 0) > 0 && options.since !== undefined && (options.from?.length ?? 0) === 0) throw new ReplayUsageError('--since selects from an archive (--from); for --events files, use --until, or cut the file');
    since = options.since === undefined ? undefined : parseSince(options.since, Date.now());
    until = parseUntil(options.until);
    windowMs = options.window === undefined ? DEFAULT_WINDOW.windowMs : durationMs(options.window);
    limit = options.limit === undefined ? 20 : Number(options.limit);
    if (!Number.isInteger(limit) || limit < 0) throw new ReplayUsageError(`--limit expects a whole number, not "${options.limit}"`);
    sides = [loadSide('--baseline', options.baseline), loadSide('--candidate', options.candidate)];
    sources = await sourcesFor(options, since);
  } catch (error) {
    console.error(`${symbols.fail} ${(error as Error).message}`);
    return 2;
  }

  const stats: TimelineStats = { lines: 0, late: 0, heldAtMost: 0 };
  let result: ReplayResult;
  try {
    const timeline = orderedTimeline(sources, { ...DEFAULT_WINDOW, windowMs }, stats);
    result = await replay(timeline, sides[0], sides[1], { ...(since === undefined ? {} : { since }), ...(until === undefined ? {} : { until }), render: options.render ?? false });
  } catch (error) {
    if (error instanceof ReplaySourceError || error instanceof WorkflowLoadError) {
      console.error(`${symbols.fail} ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options.json) {
    await writeJson(result, stats, process.stdout);
    return 0;
  }
  printSummary(result, stats, options, sources, limit);
  return 0;
}
