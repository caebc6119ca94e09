/**
 * Segments: `segments/*.json`, an audience defined by a pattern on the stored
 * profile, joined on a schedule.
 *
 * ```json
 * { "id": "trial-nudge", "audience": "trial-nudge", "profile": { "plan": ["trial"] }, "schedule": "rate(1 day)" }
 * ```
 *
 * A customer whose stored profile matches `profile` (an EventBridge pattern,
 * matched against the profile object) joins `audience` once (`"rejoin":
 * "never"`, the default), or again once `{"after": "P30D"}` has passed since
 * they last joined and they still match. Validated like a workflow: every
 * problem, each with the file and the JSON path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { Duration, EventPattern, segmentsToJsonPath } from '../engine/schema';
import type { ValidationProblem } from '../engine/validate';
import { AUDIENCE_NAME, MAX_AUDIENCE_NAME } from './audience-joined';

const Slug = (example: string) =>
  z
    .string()
    .regex(AUDIENCE_NAME, `lower-case letters, digits and single "-" between them (for example "${example}")`)
    .max(MAX_AUDIENCE_NAME, `at most ${MAX_AUDIENCE_NAME} characters`);

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

/** Problems with a schedule expression; EventBridge checks the rest when the stack deploys. */
export function scheduleProblem(schedule: string): string | undefined {
  const rate = RATE.exec(schedule);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!;
    if (value < 1) return 'a rate is at least 1';
    if ((value === 1) !== !unit.endsWith('s')) return `write "rate(${value} ${value === 1 ? unit.replace(/s$/, '') : `${unit.replace(/s$/, '')}s`})" (EventBridge wants the singular for 1, the plural otherwise)`;
    if (unit.startsWith('minute') && value < 60) return 'at most once an hour: every run reads every stored profile (use "rate(1 hour)" or slower)';
    return undefined;
  }
  const cron = CRON.exec(schedule);
  if (cron) {
    const fields = cron[1]!.trim().split(/\s+/);
    if (fields.length !== 6) return `a cron expression has six fields (minutes hours day-of-month month day-of-week year), e.g. "cron(0 8 * * ? *)"; this one has ${fields.length}`;
    if (!/^\d{1,2}$/.test(fields[0]!) || Number(fields[0]) > 59) return 'the minutes field must be one minute (0-59): at most once an hour, since every run reads every stored profile';
    if ((fields[2] === '?') === (fields[4] === '?')) return 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?", e.g. "cron(0 8 * * ? *)"';
    return undefined;
  }
  return 'expected "rate(1 day)" (a value and minutes, hours or days) or "cron(0 8 * * ? *)" (six fields, UTC)';
}

export const Schedule = z
  .string()
  .superRefine((schedule, ctx) => {
    const problem = scheduleProblem(schedule);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('When the segment runs (UTC): "rate(1 day)", "rate(6 hours)" or "cron(0 8 * * ? *)"; at most once an hour');

export const Rejoin = z.union([z.literal('never'), z.strictObject({ after: Duration })]);
export type Rejoin = z.infer<typeof Rejoin>;

export const Segment = z.strictObject({
  $schema: z.string().optional(),
  id: Slug('trial-nudge').describe('The segment id: `waymark audience segment <id>` runs it'),
  name: z.string().max(120).optional(),
  description: z.string().max(1000).optional(),
  audience: Slug('spring-webinar').describe('The audience customers who match join: journeys enter on {"detail": {"audience": [...]}}'),
  profile: EventPattern.describe('An EventBridge pattern matched against the stored profile, e.g. {"plan": ["trial"], "country": ["DE", "AT"]}'),
  schedule: Schedule,
  rejoin: Rejoin.optional().describe('"never" (default): a customer joins once; {"after": "P30D"}: again when still matching that long after joining'),
});
export type Segment = z.infer<typeof Segment>;

export type SegmentValidation = { ok: true; segment: Segment; problems: [] } | { ok: false; segment: undefined; problems: ValidationProblem[] };

export function validateSegment(raw: unknown, options: { file: string }): SegmentValidation {
  const parsed = Segment.safeParse(raw);
  if (parsed.success) return { ok: true, segment: parsed.data, problems: [] };
  return { ok: false, segment: undefined, problems: parsed.error.issues.map((issue) => ({ file: options.file, path: segmentsToJsonPath(issue.path), message: describeIssue(issue) })) };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => `unknown field "${key}" (a segment has "id", "audience", "profile", "schedule", and optionally "rejoin", "name", "description")`).join('; ');
    case 'invalid_type':
      return (issue as { input?: unknown }).input === undefined ? `required: expected ${issue.expected === 'record' ? 'an object' : `a ${issue.expected}`}` : issue.message;
    case 'invalid_union':
      return issue.path[issue.path.length - 1] === 'rejoin' ? 'expected "never" or {"after": "P30D"}' : issue.message;
    default:
      return issue.message;
  }
}

export interface SegmentFile {
  file: string;
  segment: Segment | undefined;
  problems: ValidationProblem[];
}

/**
 * Loads and validates segments: `paths` are segment files or directories (a
 * directory's `*.json`, not its subdirectories). Two segments may not share an id.
 */
export function loadSegments(paths: readonly string[], displayBase = process.cwd()): { files: SegmentFile[]; segments: Segment[]; problems: ValidationProblem[] } {
  const problems: ValidationProblem[] = [];
  const segmentPaths: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) problems.push({ file: path, path: '$', message: 'no such file or directory' });
    else if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (name.endsWith('.json') && !name.endsWith('.schema.json') && statSync(join(path, name)).isFile()) segmentPaths.push(join(path, name));
    } else segmentPaths.push(path);
  }
  const files: SegmentFile[] = [];
  const ids = new Map<string, string>();
  for (const path of segmentPaths) {
    const file = relative(displayBase, path) || path;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      files.push({ file, segment: undefined, problems: [{ file, path: '$', message: `not readable JSON: ${(error as Error).message}` }] });
      continue;
    }
    const result = validateSegment(raw, { file });
    const fileProblems = [...result.problems];
    if (result.ok) {
      const other = ids.get(result.segment.id);
      if (other !== undefined) fileProblems.push({ file, path: '$.id', message: `segment "${result.segment.id}" is also defined in ${other}` });
      else ids.set(result.segment.id, file);
    }
    files.push({ file, segment: fileProblems.length === 0 ? result.segment : undefined, problems: fileProblems });
  }
  return { files, segments: files.flatMap((f) => (f.segment ? [f.segment] : [])), problems: [...problems, ...files.flatMap((f) => f.problems)] };
}
