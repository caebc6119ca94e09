/**
 * `waymark audience`: lists and segments enter journeys as `Audience Joined` events.
 *
 *   waymark audience import FILE --audience NAME (--endpoint URL | --bus NAME | --out FILE.jsonl | --dry-run)
 *   waymark audience segment ID (--dev | --table NAME --bus NAME | --out FILE.jsonl | --dry-run)
 *   waymark audience segments [paths...]
 *
 * Exit codes: 0 every row imported; 1 some rows rejected or not sent (the
 * others were); 2 a usage error, or nothing could be imported (no such file,
 * no email column, no such bus).
 */
import { existsSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compilePattern } from '../engine/patterns';
import { formatProblem } from '../engine/validate';
import { type AudienceJoinedEvent, audienceJoined, audienceNameProblem } from '../audience/audience-joined';
import type { Delimiter } from '../audience/csv';
import { dryRunSink, type ImportResult, importList, jsonLinesSink, putEventsSink, rejectedFilePath, writeRejectedFile } from '../audience/import-list';
import { ListFileError, type ListFormat } from '../audience/list-file';
import { eventBridgeClient, PutEventsSender } from '../audience/put-events';
import { formatRejection } from '../audience/row-to-event';
import { loadSegments, type Segment } from '../audience/segment';
import { busSink, type SegmentScanResult, scanSegment, type SegmentSink } from '../audience/segment-scan';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../runtime/local-servers';
import { loadWorkflows } from '../runtime/workflow-files';
import { color, plural, symbols } from './output';
import { progressOn } from './progress';

/** Events per second by default: well under EventBridge's smallest regional PutEvents quota, leaving room for your other producers. */
export const DEFAULT_EVENTS_PER_SECOND = 100;
/** Read units per second a segment scan may use by default. */
export const DEFAULT_READ_UNITS_PER_SECOND = 1000;
/** `waymark dev`'s endpoints on its default ports. */
export const LOCAL_DEV = { events: 'http://127.0.0.1:8787', dynamo: 'http://127.0.0.1:8000', table: 'waymark' } as const;
/** How many rejected rows are printed; the rest are in the file. */
const PRINTED_REJECTIONS = 20;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

const count = (n: number) => n.toLocaleString('en-US');

function positiveNumber(text: string | undefined, option: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !(value > 0)) throw new UsageError(`${option} expects a number above 0, not "${text}"`);
  return value;
}

function isoTime(text: string | undefined): string {
  if (text === undefined) return new Date().toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text) || Number.isNaN(Date.parse(text))) {
    throw new UsageError(`--time expects an ISO 8601 time with a zone, such as 2026-11-02T14:00:00Z, not "${text}"`);
  }
  return new Date(text).toISOString();
}

function url(text: string, option: string): string {
  if (!/^https?:\/\/[^\s/]+/.test(text)) throw new UsageError(`${option} expects a URL such as ${LOCAL_DEV.events}, not "${text}"`);
  return text;
}

// ---------------------------------------------------------------------------------------------
// audience import

export interface AudienceImportOptions {
  audience?: string;
  endpoint?: string;
  bus?: string;
  region?: string;
  out?: string;
  dryRun?: boolean;
  rate?: string;
  number?: string[];
  format?: string;
  delimiter?: string;
  time?: string;
  /** The workflows to check the audience against (default: workflows/, when it exists). */
  workflows?: string;
}

export async function audienceImportCommand(file: string, options: AudienceImportOptions): Promise<number> {
  let plan: ReturnType<typeof importPlan>;
  try {
    plan = importPlan(file, options);
  } catch (error) {
    console.error(`${symbols.fail} ${(error as Error).message}`);
    return 2;
  }

  const { sink, sender } = plan;
  console.log(`${color.bold('Importing')} ${file} into audience ${color.cyan(plan.audience)} ${symbols.arrow} ${sink.description}`);
  // Not an error: the journey may be deployed from elsewhere. But a list that enters nobody is worth saying before it is sent.
  const workflows = options.workflows ?? 'workflows';
  const entered = existsSync(workflows) ? audiencesEntered(workflows) : undefined;
  if (entered && !entered(plan.audience)) console.log(`  ${symbols.warn} ${noJourneyEnters(workflows, plan.audience)}`);
  const progress = progressOn();
  let result: ImportResult;
  try {
    result = await importList({
      file,
      audience: plan.audience,
      time: plan.time,
      sink,
      ...(plan.format ? { format: plan.format } : {}),
      ...(plan.delimiter ? { delimiter: plan.delimiter } : {}),
      numberColumns: plan.numbers,
      onProgress: (p) => {
        const delivered = sender ? `${count(sender.sent)} sent · ` : '';
        progress.update(p.fraction, `${count(p.rows)} rows · ${delivered}${count(p.rejected)} rejected`);
      },
    });
  } catch (error) {
    progress.done();
    if (error instanceof ListFileError) {
      console.error(`${symbols.fail} ${error.message}`);
      return 2;
    }
    throw error;
  }
  progress.done();
  return reportImport(file, plan, result, sender?.sent);
}

function importPlan(file: string, options: AudienceImportOptions) {
  if (options.audience === undefined) throw new UsageError('--audience NAME is required: the audience the list joins (journeys enter on it)');
  const nameProblem = audienceNameProblem(options.audience);
  if (nameProblem) throw new UsageError(`--audience: ${nameProblem}`);
  const targets = [options.endpoint !== undefined && '--endpoint', options.bus !== undefined && '--bus', options.out !== undefined && '--out'].filter(Boolean);
  if (targets.length > 1) throw new UsageError(`${targets.join(' and ')} cannot be used together: the events go to one place`);
  if (targets.length === 0 && !options.dryRun) {
    throw new UsageError(`where do the events go? --endpoint URL (a running \`waymark dev\`, e.g. ${LOCAL_DEV.events}), --bus NAME (a deployed bus), --out FILE.jsonl (a file for \`waymark run\`), or --dry-run to check the file only`);
  }
  if (options.region !== undefined && options.bus === undefined) throw new UsageError('--region applies to a deployed bus (--bus) only');
  const format = options.format === undefined ? undefined : (options.format as ListFormat);
  if (format !== undefined && format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format expects csv or jsonl, not "${options.format}"`);
  const delimiter = options.delimiter === undefined ? undefined : (options.delimiter as Delimiter);
  if (delimiter !== undefined && delimiter !== ',' && delimiter !== ';') throw new UsageError(`--delimiter expects "," or ";", not "${options.delimiter}"`);
  const rate = positiveNumber(options.rate, '--rate', DEFAULT_EVENTS_PER_SECOND);
  const time = isoTime(options.time);
  const numbers = (options.number ?? []).flatMap((n) => n.split(',')).map((n) => n.trim()).filter(Boolean);

  let sender: PutEventsSender<number> | undefined;
  let sink;
  if (options.dryRun) sink = dryRunSink();
  else if (options.out !== undefined) {
    if (!/\.jsonl$/i.test(options.out)) throw new UsageError(`--out writes JSON Lines: name the file *.jsonl, not "${options.out}"`);
    sink = jsonLinesSink(options.out);
  } else if (options.endpoint !== undefined) {
    const endpoint = url(options.endpoint, '--endpoint');
    sender = new PutEventsSender<number>({ client: eventBridgeClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }), ratePerSecond: rate, ...(options.time ? { sendTime: true } : {}) });
    sink = putEventsSink(sender, `${endpoint} (at most ${count(rate)} events/s)`);
  } else {
    sender = new PutEventsSender<number>({ client: eventBridgeClient({ ...(options.region ? { region: options.region } : {}) }), busName: options.bus!, ratePerSecond: rate, ...(options.time ? { sendTime: true } : {}) });
    sink = putEventsSink(sender, `bus ${options.bus}${options.region ? ` in ${options.region}` : ''} (at most ${count(rate)} events/s)`);
  }
  return { audience: options.audience, format, delimiter, numbers, time, sink, sender, dryRun: options.dryRun === true, out: options.out };
}

async function reportImport(file: string, plan: ReturnType<typeof importPlan>, result: ImportResult, sent: number | undefined): Promise<number> {
  const shape =
    result.format === 'csv'
      ? `CSV, "${result.delimiter}" between fields, ${plural(result.columns.length, 'column')}: ${result.columns.map((c) => (plan.numbers.includes(c) ? `${c} (number)` : c)).join(', ')}`
      : 'JSON Lines';
  const ids = result.format === 'csv' ? (result.idColumn ? `customer ids from "${result.idColumn}"` : 'no customerId or id column: customer ids derived from the email') : '';
  console.log(color.dim(`  ${shape}${ids ? `; ${ids}` : ''}`));

  for (const rejection of result.rejected.slice(0, PRINTED_REJECTIONS)) console.log(`  ${color.red('✖')} ${formatRejection(rejection)}`);
  if (result.rejected.length > PRINTED_REJECTIONS) console.log(color.dim(`  … and ${count(result.rejected.length - PRINTED_REJECTIONS)} more`));

  const rejectedFile = await writeRejectedFile(rejectedFilePath(file), result.rejected);
  const rows = `${count(result.rows)} ${result.rows === 1 ? 'row' : 'rows'}`;
  const delivered = result.accepted - result.rejected.filter((r) => r.reason.startsWith('not sent')).length;
  if (plan.dryRun) console.log(`${result.rejected.length === 0 ? symbols.ok : symbols.warn} dry run: ${count(result.accepted)} of ${rows} would join ${plan.audience}; nothing was sent`);
  else if (plan.out !== undefined) console.log(`${result.rejected.length === 0 ? symbols.ok : symbols.warn} ${count(result.accepted)} of ${rows} → ${count(result.accepted)} events written to ${plan.out}`);
  else console.log(`${result.rejected.length === 0 ? symbols.ok : symbols.warn} ${count(delivered)} of ${rows} sent (${count(sent ?? delivered)} events accepted by EventBridge) to ${plan.sink.description}`);
  if (result.blankLines > 0) console.log(color.dim(`  ${plural(result.blankLines, 'blank line')} skipped`));
  const what = `${result.rejected.length === 1 ? 'row' : 'rows'} ${plan.sender ? 'rejected or not sent' : 'rejected'}`;
  if (rejectedFile) console.log(`${symbols.fail} ${count(result.rejected.length)} ${what}, each with its line and reason: ${rejectedFile}`);
  if (result.stopped) {
    console.error(`${symbols.fail} stopped at line ${result.stopped.line}: ${result.stopped.reason}`);
    console.error('  rows before it were handed to EventBridge; fix the cause and run the import again (the same rows give the same events)');
    return 2;
  }
  return result.rejected.length > 0 ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// audience segment

export interface AudienceSegmentOptions {
  segments?: string;
  dev?: boolean;
  endpoint?: string;
  dynamoEndpoint?: string;
  table?: string;
  bus?: string;
  region?: string;
  out?: string;
  dryRun?: boolean;
  rate?: string;
  readRate?: string;
  parallel?: string;
}

/** A segment by id (in `--segments`, default `segments/`) or by file. */
function findSegment(idOrFile: string, directory: string): Segment {
  const byFile = idOrFile.endsWith('.json');
  const loaded = loadSegments([byFile ? idOrFile : directory]);
  const file = byFile ? loaded.files[0] : loaded.files.find((f) => f.segment?.id === idOrFile || f.file.endsWith(`${idOrFile}.json`));
  if (!file) {
    if (loaded.problems.some((p) => p.message === 'no such file or directory')) throw new UsageError(`no such file or directory: ${byFile ? idOrFile : directory}`);
    const ids = loaded.segments.map((s) => `"${s.id}"`);
    throw new UsageError(`no segment "${idOrFile}" in ${directory}${ids.length ? ` (segments are: ${ids.join(', ')})` : ''}`);
  }
  if (!file.segment) throw new UsageError(`${file.file} is not a valid segment:\n${file.problems.map((p) => `    ${formatProblem(p)}`).join('\n')}`);
  return file.segment;
}

export async function audienceSegmentCommand(idOrFile: string, options: AudienceSegmentOptions): Promise<number> {
  let plan: ReturnType<typeof segmentPlan>;
  try {
    plan = segmentPlan(idOrFile, options);
  } catch (error) {
    console.error(`${symbols.fail} ${(error as Error).message}`);
    return 2;
  }
  const { segment } = plan;
  console.log(`${color.bold('Segment')} ${color.cyan(segment.id)}: customers whose profile matches ${JSON.stringify(segment.profile)} join ${color.cyan(segment.audience)}`);
  console.log(color.dim(`  scanning ${plan.source} at most ${count(plan.readUnitsPerSecond)} read units/s in ${plural(plan.parallel, 'part')} ${symbols.arrow} ${plan.destination}`));

  let result: SegmentScanResult;
  try {
    result = await scanSegment({
      client: plan.dynamo,
      tableName: plan.table,
      segment,
      sink: plan.sink,
      now: Date.now,
      readUnitsPerSecond: plan.readUnitsPerSecond,
      parallel: plan.parallel,
      recordMembers: plan.recordMembers,
    });
    await plan.close();
  } catch (error) {
    console.error(`${symbols.fail} the segment could not run: ${(error as Error).name}: ${(error as Error).message}`);
    return 2;
  } finally {
    plan.dynamo.destroy();
  }
  console.log(`  read ${count(result.itemsRead)} items (${count(result.profiles)} profiles) in ${(result.ms / 1000).toFixed(1)} s: ${result.readUnits.toFixed(1)} read units`);
  const verb = plan.dryRun ? 'would join' : plan.recordMembers ? 'joined' : `written to ${options.out}`;
  console.log(
    `${result.failed.length === 0 ? symbols.ok : symbols.warn} ${count(result.matched)} matching: ${count(result.joined)} ${verb}, ${count(result.members)} already members${result.suppressed ? `, ${count(result.suppressed)} suppressed (they never join)` : ''}`,
  );
  for (const f of result.failed.slice(0, PRINTED_REJECTIONS)) console.log(`  ${color.red('✖')} ${f.customerId}: ${f.reason}`);
  if (result.failed.length > 0) console.log(`${symbols.fail} ${count(result.failed.length)} not sent: they are not members, the next run tries them again`);
  return result.failed.length > 0 ? 1 : 0;
}

function segmentPlan(idOrFile: string, options: AudienceSegmentOptions) {
  const segment = findSegment(idOrFile, options.segments ?? 'segments');
  const dev = options.dev === true || options.endpoint !== undefined || options.dynamoEndpoint !== undefined;
  if (!dev && options.table === undefined) {
    throw new UsageError(`which profiles? --dev (a running \`waymark dev\`: DynamoDB Local at ${LOCAL_DEV.dynamo}, table ${LOCAL_DEV.table}) or --table NAME [--region REGION] (a deployed table)`);
  }
  if (dev && options.bus !== undefined) throw new UsageError('--bus sends to a deployed bus: with --dev the events go to `waymark dev` (--endpoint)');
  if (dev && options.region !== undefined) throw new UsageError('--region applies to a deployed table and bus only');
  if (options.out !== undefined && options.dryRun) throw new UsageError('--out and --dry-run cannot be used together');
  if (!dev && options.bus === undefined && options.out === undefined && !options.dryRun) throw new UsageError('where do the events go? --bus NAME (the deployed bus), --out FILE.jsonl, or --dry-run');
  const rate = positiveNumber(options.rate, '--rate', DEFAULT_EVENTS_PER_SECOND);
  const readUnitsPerSecond = positiveNumber(options.readRate, '--read-rate', DEFAULT_READ_UNITS_PER_SECOND);
  const parallel = positiveNumber(options.parallel, '--parallel', 4);
  if (!Number.isInteger(parallel) || parallel > 64) throw new UsageError(`--parallel expects a whole number from 1 to 64, not "${options.parallel}"`);

  const dynamoEndpoint = dev ? url(options.dynamoEndpoint ?? LOCAL_DEV.dynamo, '--dynamo-endpoint') : undefined;
  const table = options.table ?? LOCAL_DEV.table;
  const dynamo = dynamoEndpoint
    ? new DynamoDBClient({ endpoint: dynamoEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
    : new DynamoDBClient(options.region ? { region: options.region } : {});
  const source = dynamoEndpoint ? `table ${table} at ${dynamoEndpoint}` : `table ${table}${options.region ? ` in ${options.region}` : ''}`;

  let sink: SegmentSink;
  let destination: string;
  let close = async () => {};
  if (options.dryRun) {
    sink = { emit: async () => [] };
    destination = 'nowhere (dry run)';
  } else if (options.out !== undefined) {
    if (!/\.jsonl$/i.test(options.out)) throw new UsageError(`--out writes JSON Lines: name the file *.jsonl, not "${options.out}"`);
    const file = jsonLinesSink(options.out);
    sink = {
      emit: async (events) => {
        for (const event of events) await file.add(event, 0);
        return [];
      },
    };
    close = async () => void (await file.finish());
    destination = options.out;
  } else {
    const events = dev
      ? eventBridgeClient({ endpoint: url(options.endpoint ?? LOCAL_DEV.events, '--endpoint'), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS })
      : eventBridgeClient(options.region ? { region: options.region } : {});
    const sender = new PutEventsSender<AudienceJoinedEvent>({ client: events, ratePerSecond: rate, ...(dev ? {} : { busName: options.bus! }) });
    sink = busSink(sender);
    destination = dev ? `${options.endpoint ?? LOCAL_DEV.events} (at most ${count(rate)} events/s)` : `bus ${options.bus} (at most ${count(rate)} events/s)`;
  }
  return { segment, dynamo, table, source, sink, destination, close, readUnitsPerSecond, parallel, dryRun: options.dryRun === true, recordMembers: !options.dryRun && options.out === undefined };
}

// ---------------------------------------------------------------------------------------------
// audience segments

export interface AudienceSegmentsOptions {
  workflows?: string;
  json?: boolean;
}

/** Validates and lists segments; warns about an audience no journey enters on. */
export function audienceSegmentsCommand(paths: string[], options: AudienceSegmentsOptions): number {
  const loaded = loadSegments(paths.length > 0 ? paths : ['segments']);
  const entered = audiencesEntered(options.workflows ?? 'workflows');
  if (options.json) {
    const report = { valid: loaded.problems.length === 0, segments: loaded.files.map((f) => ({ file: f.file, id: f.segment?.id ?? null, audience: f.segment?.audience ?? null, schedule: f.segment?.schedule ?? null, problems: f.problems })), problems: loaded.problems };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return loaded.problems.length === 0 ? 0 : 1;
  }
  for (const file of loaded.files) {
    if (file.segment) {
      const s = file.segment;
      console.log(`${symbols.ok} ${color.bold(s.id)} ${symbols.arrow} ${color.cyan(s.audience)}  ${color.dim(`${s.schedule}, ${typeof s.rejoin === 'object' ? `rejoin after ${s.rejoin.after}` : 'once per customer'}  ${file.file}`)}`);
      if (entered && !entered(s.audience)) console.log(`    ${symbols.warn} ${noJourneyEnters(options.workflows ?? 'workflows', s.audience)}`);
    } else {
      console.log(`${symbols.fail} ${color.bold(file.file)}`);
      for (const problem of file.problems) console.log(`    ${color.red(formatProblem(problem))}`);
    }
  }
  const other = loaded.problems.filter((p) => !loaded.files.some((f) => f.problems.includes(p)));
  for (const problem of other) console.log(`${symbols.fail} ${color.red(formatProblem(problem))}`);
  if (loaded.files.length === 0 && other.length === 0) {
    console.log(`${symbols.warn} no segment files in ${paths.join(', ') || 'segments'}`);
    return 0;
  }
  const invalid = loaded.files.filter((f) => !f.segment).length;
  const summary = `${plural(loaded.segments.length, 'segment')} valid, ${invalid} invalid`;
  console.log(loaded.problems.length === 0 ? color.green(summary) : color.red(`${summary}: ${plural(loaded.problems.length, 'problem')}`));
  return loaded.problems.length === 0 ? 0 : 1;
}

function noJourneyEnters(workflows: string, audience: string): string {
  return `no journey in ${workflows} enters on audience "${audience}" (entry: {"detail-type": ["Audience Joined"], "detail": {"audience": ["${audience}"]}})`;
}

/** Whether some valid workflow enters on an audience; undefined when the workflows cannot be read. */
function audiencesEntered(directory: string): ((audience: string) => boolean) | undefined {
  let entries: Array<(event: unknown) => boolean>;
  try {
    entries = loadWorkflows([directory]).workflows.map((w) => compilePattern(w.entry.on));
  } catch {
    return undefined;
  }
  return (audience) => entries.some((match) => match(audienceJoined({ id: 'check', time: new Date(0).toISOString(), customerId: 'check', audience, profile: {} })));
}
