/**
 * The round trip of a migration: `waymark import pinpoint` on a sample
 * Pinpoint journey, `waymark validate` on what it wrote, `waymark run` on
 * events shaped as the mapping says (the Pinpoint user id in detail.customerId,
 * event attributes in detail.attributes, user attributes in detail.profile).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prettyJson } from '../../lib/cli/import-command';

const FIXTURES = 'tests/fixtures/pinpoint';
const directories: string[] = [];

function workflowsDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-import-'));
  directories.push(directory);
  copyFileSync('workflows/workflow.schema.json', join(directory, 'workflow.schema.json'));
  return directory;
}

function waymark(...args: string[]): { status: number; stdout: string } {
  try {
    return { status: 0, stdout: execFileSync(process.execPath, ['bin/waymark.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }) };
  } catch (error) {
    const failure = error as { status: number; stdout: string };
    return { status: failure.status, stdout: failure.stdout };
  }
}

const importSample = (out: string, ...extra: string[]) =>
  waymark('import', 'pinpoint', '--journey', join(FIXTURES, 'welcome-journey.json'), '--templates', join(FIXTURES, 'templates'), '--settings', join(FIXTURES, 'application-settings.json'), '--out', out, ...extra);

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('waymark import pinpoint: round trip', () => {
  it('imports the sample journey, validates it, and runs the emails a Pinpoint user would have had', () => {
    // Prepare
    const out = workflowsDirectory();

    // Act: import, validate, run
    const imported = importSample(out);
    const validated = waymark('validate', out);
    const run = waymark('run', '--workflows', out, '--events', join(FIXTURES, 'welcome-events.jsonl'), '--json');

    // Assess
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain('trial-welcome-2026.json is valid');
    expect(imported.stdout).toMatch(/Left out \(no equivalent in Waymark\) \(\d+\)/);
    expect(imported.stdout).toContain('JourneyResponse.Activities.SmsReminder.SMS');
    expect(validated.status).toBe(0);
    expect(validated.stdout).toContain('trial-welcome-2026 v1');

    const workflow = JSON.parse(readFileSync(join(out, 'trial-welcome-2026.json'), 'utf8'));
    expect(workflow.$schema).toBe('./workflow.schema.json');
    expect(existsSync(join(out, 'content', 'pinpoint-trial-welcome-2026.json'))).toBe(true);
    // The application's limit on messages across journeys becomes the send budget, which validate and run honour.
    expect(JSON.parse(readFileSync(join(out, 'settings.json'), 'utf8'))).toEqual({ budget: { max: 5, per: 'P7D' } });

    const { emails, customers, rejected } = JSON.parse(run.stdout);
    expect(rejected).toEqual([]);
    expect(emails.map((e: { at: string; customerId: string; stepId: string; contentId: string; subject: string }) => [e.at, e.customerId, e.stepId, e.contentId, e.subject])).toEqual([
      // Ana signs up at 10:00 (UTC-05), inside the quiet-time window.
      ['2026-11-02T15:00:00.000Z', 'u-ana', 'welcome', 'welcome-email', 'Welcome to Ledgerly, Ana!'],
      ['2026-11-02T15:30:00.000Z', 'u-ben', 'welcome', 'welcome-email', 'Welcome to Ledgerly, Ben!'],
      // Cy signs up at 22:00 local, in quiet time (21:00–08:00) with WaitForQuietTime: the welcome waits for 08:00; no FirstName, so the default.
      ['2026-11-03T13:00:00.000Z', 'u-cy', 'welcome', 'welcome-email', 'Welcome to Ledgerly, friend!'],
      // Ana clicks the welcome email: the yes/no split's "yes" at once, and the plan split sends Pro tips.
      ['2026-11-03T16:00:00.000Z', 'u-ana', 'protips', 'pro-tips-email', 'Three Pro features to try first'],
      // Ben never clicks: after the 3-day evaluation wait, the nudge; trial plan, so the A/B split; his path passes the SMS step to the offer.
      ['2026-11-05T15:30:00.000Z', 'u-ben', 'nudge', 'nudge-email', 'Still there, Ben?'],
      ['2026-11-05T15:30:00.000Z', 'u-ben', 'offer', 'offer-email', '20% off your first year'],
      ['2026-11-06T13:00:00.000Z', 'u-cy', 'nudge', 'nudge-email', 'Still there, ?'],
    ]);
    // Dee's plan is not in the entry filter; Ana's second sign-up does not re-enter (EndpointReentryCap 1); Cy falls in the 20% holdout.
    expect(customers.map((c: { customerId: string; status: string }) => [c.customerId, c.status])).toEqual([
      ['u-ana', 'completed'],
      ['u-ben', 'completed'],
      ['u-cy', 'holdout'],
    ]);
  });

  it('never replaces a workflow without --force, and writes nothing when the journey cannot be imported', () => {
    const out = workflowsDirectory();
    expect(importSample(out).status).toBe(0);
    const path = join(out, 'trial-welcome-2026.json');
    writeFileSync(path, readFileSync(path, 'utf8').replace('"version": 1', '"version": 2'));

    const again = importSample(out);
    expect(again.status).toBe(1);
    expect(again.stdout).toContain('trial-welcome-2026.json exists; nothing was written');
    expect(readFileSync(path, 'utf8')).toContain('"version": 2');

    const forced = importSample(out, '--force', '--json');
    expect(forced.status).toBe(0);
    const outcome = JSON.parse(forced.stdout);
    expect(outcome.valid).toBe(true);
    expect(outcome.journeys[0]).toMatchObject({ id: 'trial-welcome-2026', valid: true, problems: [] });
    expect(readFileSync(path, 'utf8')).toContain('"version": 1');

    // Two journeys at once: the template they share is written once, with the first.
    const both = workflowsDirectory();
    const two = waymark('import', 'pinpoint', '--journey', join(FIXTURES, 'welcome-journey.json'), join(FIXTURES, 'segment-start.json'), '--templates', join(FIXTURES, 'templates'), '--out', both);
    expect(two.status).toBe(0);
    expect(two.stdout).toContain('the content item "welcome-email" in content/pinpoint-trial-welcome-2026.json is this template already; reused');
    expect(existsSync(join(both, 'winback-lapsed.json'))).toBe(true);
    expect(existsSync(join(both, 'content', 'pinpoint-winback-lapsed.json'))).toBe(false);

    const broken = workflowsDirectory();
    const failed = waymark('import', 'pinpoint', '--journey', join(FIXTURES, 'welcome-journey.json'), join(FIXTURES, 'dangling-next-activity.json'), '--out', broken);
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain('JourneyResponse.Activities.Welcome.EMAIL.TemplateName');
    expect(failed.stdout).toContain('aws pinpoint get-email-template --template-name WelcomeEmail');
    expect(failed.stdout).toContain('JourneyResponse.Activities.Pause.Wait.NextActivity\n');
    expect(failed.stdout).toContain('"FollowUp" names no activity');
    expect(existsSync(join(broken, 'trial-welcome-2026.json'))).toBe(false);
    expect(existsSync(join(broken, 'dangling.json'))).toBe(false);
  });
});

describe('prettyJson', () => {
  it('writes what fits on one line on one line, and indents the rest by 2 spaces', () => {
    const text = prettyJson({ id: 'x', steps: { a: { type: 'wait', duration: 'P1D', next: 'b' }, b: { type: 'email', template: 'y'.repeat(120) } } });

    expect(text).toBe(
      `{\n  "id": "x",\n  "steps": {\n    "a": { "type": "wait", "duration": "P1D", "next": "b" },\n    "b": {\n      "type": "email",\n      "template": "${'y'.repeat(120)}"\n    }\n  }\n}\n`,
    );
    expect(JSON.parse(text)).toEqual({ id: 'x', steps: { a: { type: 'wait', duration: 'P1D', next: 'b' }, b: { type: 'email', template: 'y'.repeat(120) } } });
  });
});
