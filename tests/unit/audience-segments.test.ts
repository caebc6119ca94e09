/**
 * Segment files: validated like workflows (every problem, with its file and
 * JSON path), listed by `waymark audience segments`, run by `waymark audience
 * segment` (its usage errors here; a run against DynamoDB Local is in
 * tests/integration/segment-job.test.ts).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSegments, scheduleProblem, validateSegment } from '../../lib/audience/segment';
import { audienceSegmentCommand, audienceSegmentsCommand } from '../../lib/cli/audience-command';
import { formatProblem } from '../../lib/engine/validate';
import { createSegmentHandler, InvalidSegmentJobError } from '../../lib/runtime/handlers/segment';
import { silentLogger } from '../../lib/runtime/journey-service';

const valid = { id: 'trial-nudge', audience: 'trial-nudge', profile: { plan: ['trial'] }, schedule: 'rate(1 day)' };

describe('a segment file', () => {
  it('the sample in segments/examples is valid', () => {
    const loaded = loadSegments(['segments/examples']);
    expect(loaded.problems).toEqual([]);
    expect(loaded.segments.map((s) => [s.id, s.audience, s.schedule])).toEqual([['trial-nudge', 'trial-nudge', 'cron(0 8 * * ? *)']]);
  });

  it('reports every problem at once, each with its JSON path and what was expected', () => {
    const result = validateSegment({ id: 'Trial Nudge', audience: 'trial-nudge', profile: { plan: 'trial', seats: [{ numeric: ['>>', 2] }] }, schedule: 'rate(1 days)', rejoin: 'sometimes', when: 'daily' }, { file: 'segments/trial.json' });
    expect(result.problems.map(formatProblem)).toEqual([
      'segments/trial.json: $.id: lower-case letters, digits and single "-" between them (for example "trial-nudge")',
      'segments/trial.json: $.profile.plan: list the values to match in an array, e.g. "plan": ["trial"], or use an object to match nested fields; got the text "trial"',
      'segments/trial.json: $.profile.seats[0].numeric[0]: ">>" is not an operator; numeric expects pairs of an operator ("<", "<=", "=", ">=", ">") and a number, e.g. [">", 0, "<=", 5]',
      'segments/trial.json: $.schedule: write "rate(1 day)" (EventBridge wants the singular for 1, the plural otherwise)',
      'segments/trial.json: $.rejoin: expected "never" or {"after": "P30D"}',
      'segments/trial.json: $: unknown field "when" (a segment has "id", "audience", "profile", "schedule", and optionally "rejoin", "name", "description")',
    ]);
  });

  it('needs id, audience, profile and schedule', () => {
    expect(validateSegment({}, { file: 's.json' }).problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '$.id: required: expected a string',
      '$.audience: required: expected a string',
      '$.profile: required: expected an object',
      '$.schedule: required: expected a string',
    ]);
  });

  it('accepts "rejoin": {"after": "P30D"}', () => {
    expect(validateSegment({ ...valid, rejoin: { after: 'P30D' } }, { file: 's.json' }).ok).toBe(true);
  });

  it('may not share its id with another segment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-segments-'));
    writeFileSync(join(dir, 'a.json'), JSON.stringify(valid));
    writeFileSync(join(dir, 'b.json'), JSON.stringify({ ...valid, audience: 'other' }));
    expect(loadSegments([dir], dir).problems.map(formatProblem)).toEqual(['b.json: $.id: segment "trial-nudge" is also defined in a.json']);
  });
});

describe('a schedule', () => {
  it.each([
    ['rate(1 day)', undefined],
    ['rate(6 hours)', undefined],
    ['rate(60 minutes)', undefined],
    ['cron(0 8 * * ? *)', undefined],
    ['cron(30 7 ? * MON-FRI *)', undefined],
    ['rate(15 minutes)', 'at most once an hour: every run reads every stored profile (use "rate(1 hour)" or slower)'],
    ['rate(2 day)', 'write "rate(2 days)" (EventBridge wants the singular for 1, the plural otherwise)'],
    ['cron(*/5 * * * ? *)', 'the minutes field must be one minute (0-59): at most once an hour, since every run reads every stored profile'],
    ['cron(0 8 * * *)', 'a cron expression has six fields (minutes hours day-of-month month day-of-week year), e.g. "cron(0 8 * * ? *)"; this one has 5'],
    ['cron(0 8 * * MON *)', 'exactly one of day-of-month (3rd field) and day-of-week (5th field) must be "?", e.g. "cron(0 8 * * ? *)"'],
    ['daily', 'expected "rate(1 day)" (a value and minutes, hours or days) or "cron(0 8 * * ? *)" (six fields, UTC)'],
  ])('%s', (schedule, problem) => {
    expect(scheduleProblem(schedule)).toBe(problem);
  });
});

describe('waymark audience segments / segment', () => {
  let output: string[];
  beforeEach(() => {
    output = [];
    vi.spyOn(console, 'log').mockImplementation((...args) => void output.push(args.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...args) => void output.push(args.join(' ')));
  });
  afterEach(() => vi.restoreAllMocks());
  const printed = () => output.join('\n').replace(/\u001b\[[0-9;]*m/g, '');

  it('lists valid segments, and warns about an audience no journey enters on', () => {
    expect(audienceSegmentsCommand(['segments/examples'], {})).toBe(0);
    expect(printed()).toContain('✔ trial-nudge → trial-nudge  cron(0 8 * * ? *), once per customer  segments/examples/trial-nudge.json');
    expect(printed()).toContain('! no journey in workflows enters on audience "trial-nudge" (entry: {"detail-type": ["Audience Joined"], "detail": {"audience": ["trial-nudge"]}})');
  });

  it('exit code 1 and every problem for an invalid segment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'waymark-segments-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...valid, schedule: 'rate(1 minute)' }));
    expect(audienceSegmentsCommand([dir], {})).toBe(1);
    expect(printed()).toMatch(/bad\.json: \$\.schedule: at most once an hour/);
  });

  it('`segment` needs to know where the profiles are, and the segment must exist and be valid (exit code 2)', async () => {
    expect(await audienceSegmentCommand('trial-nudge', { segments: 'segments/examples' })).toBe(2);
    expect(printed()).toMatch(/which profiles\? --dev .* or --table NAME/);
    expect(await audienceSegmentCommand('trial-nudj', { segments: 'segments/examples', dev: true })).toBe(2);
    expect(printed()).toMatch(/no segment "trial-nudj" in segments\/examples \(segments are: "trial-nudge"\)/);
    expect(await audienceSegmentCommand('trial-nudge', { segments: 'segments/examples', table: 'waymark-prod' })).toBe(2);
    expect(printed()).toMatch(/where do the events go\? --bus NAME/);
  });
});

describe('the segment function', () => {
  it('refuses a schedule input without a segment and scan bounds, before any request', async () => {
    const handler = createSegmentHandler({ dynamo: new DynamoDBClient({ region: 'us-east-1' }), tableName: 't', events: new EventBridgeClient({ region: 'us-east-1' }), busName: 'b', now: Date.now, log: silentLogger });
    await expect(handler({})).rejects.toThrow(InvalidSegmentJobError);
    await expect(handler({ segment: { id: 's', audience: 'a', profile: {} } })).rejects.toThrow(/"scan": \{"readUnitsPerSecond"/);
  });
});
