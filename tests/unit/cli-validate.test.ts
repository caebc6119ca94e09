/**
 * `waymark validate` end to end: copies of the sample workflows, broken the ways a marketer
 * might break them, and what the command prints for each (file, JSON path, what was expected).
 *
 * Each CLI call costs about half a second (tsx), so each broken directory holds several files,
 * one problem each, and the assertions name the file.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SAMPLES = join(REPO, 'workflows');
const NURTURE = 'cold-traffic-nurture.json';
const POST_PURCHASE = 'post-purchase.json';

type Json = any;

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

/** A fresh copy of the two samples and their content/ in a temp directory. */
function copyOfSamples(): string {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-validate-'));
  directories.push(directory);
  for (const name of [NURTURE, POST_PURCHASE]) cpSync(join(SAMPLES, name), join(directory, name));
  cpSync(join(SAMPLES, 'content'), join(directory, 'content'), { recursive: true });
  return directory;
}

const sample = (name: string): Json => JSON.parse(readFileSync(join(SAMPLES, name), 'utf8'));

/** Writes `<directory>/<name>` as the sample `from`, changed by `breakIt`. */
function writeBroken(directory: string, name: string, from: string, breakIt: (workflow: Json) => void): void {
  const workflow = sample(from);
  breakIt(workflow);
  writeFileSync(join(directory, name), `${JSON.stringify(workflow, null, 2)}\n`);
}

/** The file name as the CLI prints it: relative to the directory it runs in. */
const shown = (directory: string, name: string) => relative(REPO, join(directory, name));

/** Runs `waymark validate ...args` from the repository root; a non-zero exit is returned, not thrown. */
function validate(...args: string[]): { code: number; stdout: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.FORCE_COLOR;
  try {
    const stdout = execFileSync(process.execPath, ['bin/waymark.js', 'validate', ...args], { cwd: REPO, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { status: number | null; stdout: string; stderr: string };
    if (failed.status === null) throw error;
    return { code: failed.status, stdout: failed.stdout };
  }
}

describe('waymark validate: the samples', () => {
  const directory = copyOfSamples();

  it('prints each workflow id and version and exits 0', () => {
    const { code, stdout } = validate(directory);
    expect(code).toBe(0);
    expect(stdout).toContain(`cold-traffic-nurture v1  ${shown(directory, NURTURE)}`);
    expect(stdout).toContain(`post-purchase v1  ${shown(directory, POST_PURCHASE)}`);
    expect(stdout).toMatch(/2 workflows valid, 0 invalid; \d+ content items/);
  });

  it('--json prints a parseable report', () => {
    const { code, stdout } = validate('--json', directory);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as Json;
    expect(report.valid).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.contentItems).toBeGreaterThan(0);
    expect(report.workflows.map((w: Json) => [w.file, w.id, w.version, w.problems])).toEqual([
      [shown(directory, NURTURE), 'cold-traffic-nurture', 1, []],
      [shown(directory, POST_PURCHASE), 'post-purchase', 1, []],
    ]);
  });
});

describe('waymark validate: graph rules', () => {
  // One broken copy per file, beside the two intact samples.
  const directory = copyOfSamples();
  writeBroken(directory, 'dangling-next.json', NURTURE, (w) => (w.steps['pause-2'].next = 'trail?'));
  writeBroken(directory, 'unreachable.json', POST_PURCHASE, (w) => (w.steps['old-tip'] = { type: 'email', content: { kind: 'onboarding' } }));
  writeBroken(directory, 'loop.json', NURTURE, (w) => (w.steps.offer.next = 'trial?'));
  writeBroken(directory, 'zero-weights.json', NURTURE, (w) => {
    for (const path of w.steps['demo-or-offer'].paths) path.weight = 0;
  });
  let run: { code: number; stdout: string };
  beforeAll(() => {
    run = validate(directory);
  });

  it('exits 1 and still lists the valid workflows', () => {
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`post-purchase v1  ${shown(directory, POST_PURCHASE)}`);
    expect(run.stdout).toContain(`cold-traffic-nurture v1  ${shown(directory, NURTURE)}`);
    expect(run.stdout).toContain('2 workflows valid, 4 invalid');
  });

  it('a next that names no step', () => {
    expect(run.stdout).toContain(`${shown(directory, 'dangling-next.json')}: $.steps.pause-2.next: no step named "trail?"`);
  });

  it('a step that cannot be reached', () => {
    expect(run.stdout).toContain(`${shown(directory, 'unreachable.json')}: $.steps.old-tip: step "old-tip" can never be reached from "start" ("welcome")`);
  });

  it('a loop without a wait', () => {
    expect(run.stdout).toContain(`${shown(directory, 'loop.json')}: $.steps["trial?"]: loop without a wait: "trial?" → "demo-or-offer" → "offer" → "trial?"`);
  });

  it('split weights summing to 0', () => {
    expect(run.stdout).toContain(`${shown(directory, 'zero-weights.json')}: $.steps.demo-or-offer.paths: the weights must sum to more than 0`);
  });
});

describe('waymark validate: content and stages', () => {
  const directory = copyOfSamples();
  writeBroken(directory, 'unknown-template.json', NURTURE, (w) => (w.steps.demo.template = 'book-a-demo-2'));
  writeBroken(directory, 'unknown-kind.json', POST_PURCHASE, (w) => (w.steps.survey.content = { kind: 'questionnaire' }));
  writeBroken(directory, 'unknown-tags.json', POST_PURCHASE, (w) => (w.steps['tip-1'].content.tags = ['tricks']));
  writeBroken(directory, 'stage.json', POST_PURCHASE, (w) => (w.steps.welcome.stage = 'awareness'));
  writeBroken(directory, 'goal-stage.json', NURTURE, (w) => (w.goal.stage = 'converted'));
  let run: { code: number; stdout: string };
  beforeAll(() => {
    run = validate(directory);
  });

  it('exits 1', () => {
    expect(run.code).toBe(1);
  });

  it('a template that names no content', () => {
    expect(run.stdout).toContain(`${shown(directory, 'unknown-template.json')}: $.steps.demo.template: no content item with id "book-a-demo-2"`);
  });

  it('a content kind with no item, and a kind whose items lack the tags', () => {
    expect(run.stdout).toContain(`${shown(directory, 'unknown-kind.json')}: $.steps.survey.content: no content item of kind "questionnaire"`);
    expect(run.stdout).toContain(`${shown(directory, 'unknown-tags.json')}: $.steps.tip-1.content: no content item of kind "onboarding" carrying the tags "tricks"`);
  });

  it('a stage not in the workflow\'s stages, on a step and on the goal', () => {
    expect(run.stdout).toContain(
      `${shown(directory, 'stage.json')}: $.steps.welcome.stage: "awareness" is not one of this workflow's stages ("purchase", "retention", "advocacy")`,
    );
    expect(run.stdout).toContain(`${shown(directory, 'goal-stage.json')}: $.goal.stage: "converted" is not one of this workflow's stages`);
  });
});

describe('waymark validate: shapes, patterns and JSON', () => {
  const directory = copyOfSamples();
  writeBroken(directory, 'entry-pattern.json', NURTURE, (w) => (w.entry.on = { 'detail-type': 'lead.captured' }));
  writeBroken(directory, 'branch-pattern.json', POST_PURCHASE, (w) => (w.steps['nps?'].cases[0].if.event.detail.score = [{ numeric: ['>=', 'nine'] }]));
  writeBroken(directory, 'branch-key.json', NURTURE, (w) => (w.steps['trial?'].cases[0].if = { plan: ['trial'] }));
  writeBroken(directory, 'wrong-type.json', NURTURE, (w) => (w.steps.holdout.percent = '5'));
  writeBroken(directory, 'typo.json', POST_PURCHASE, (w) => {
    w.steps['settle-in'].durtion = w.steps['settle-in'].duration;
    delete w.steps['settle-in'].duration;
  });
  writeFileSync(join(directory, 'invalid-json.json'), readFileSync(join(SAMPLES, POST_PURCHASE), 'utf8').replace('"version": 1,', '"version": 1'));
  let run: { code: number; stdout: string };
  beforeAll(() => {
    run = validate(directory);
  });

  it('exits 1', () => {
    expect(run.code).toBe(1);
  });

  it('an invalid EventBridge pattern, at its path inside the pattern', () => {
    expect(run.stdout).toContain(`${shown(directory, 'entry-pattern.json')}: $.entry.on.detail-type: list the values to match in an array`);
    expect(run.stdout).toContain(
      `${shown(directory, 'branch-pattern.json')}: $.steps["nps?"].cases[0].if.event.detail.score[0].numeric[1]: ">=" must be followed by a number`,
    );
  });

  it('a branch condition on something other than profile, event or journey', () => {
    expect(run.stdout).toContain(`${shown(directory, 'branch-key.json')}: $.steps["trial?"].cases[0].if.plan: a branch condition is matched against {"profile", "event", "journey"}`);
  });

  it('a field of the wrong type, and a misspelt field', () => {
    expect(run.stdout).toContain(`${shown(directory, 'wrong-type.json')}: $.steps.holdout.percent: expected a number, got the string "5"`);
    expect(run.stdout).toContain(`${shown(directory, 'typo.json')}: $.steps.settle-in: unknown field "durtion" (did you mean "duration"?)`);
    expect(run.stdout).toContain(`${shown(directory, 'typo.json')}: $.steps.settle-in: a wait step needs exactly one of "duration"`);
  });

  it('invalid JSON, with its line and column', () => {
    expect(run.stdout).toContain(`${shown(directory, 'invalid-json.json')}: $: invalid JSON at line 5, column 3`);
  });
});

describe('waymark validate: content files and versions', () => {
  const directory = copyOfSamples();
  // The same id and version in two files; a content file with a Liquid error and a duplicate id.
  writeFileSync(join(directory, 'post-purchase-copy.json'), readFileSync(join(SAMPLES, POST_PURCHASE), 'utf8'));
  mkdirSync(join(directory, 'content'), { recursive: true });
  writeFileSync(
    join(directory, 'content', '99-broken.json'),
    JSON.stringify([
      { id: 'broken-liquid', kind: 'article', subject: 'Hi {{ profile.firstName', html: '<p>Hi</p>' },
      { id: 'book-a-demo', kind: 'demo', subject: 'Again', html: '<p>Again</p>' },
    ]),
  );
  let run: { code: number; stdout: string };
  beforeAll(() => {
    run = validate(directory);
  });

  it('exits 1', () => {
    expect(run.code).toBe(1);
  });

  it('the same workflow id and version in two files', () => {
    expect(run.stdout).toContain(`${shown(directory, 'post-purchase.json')}: $.version: post-purchase version 1 is also defined in ${shown(directory, 'post-purchase-copy.json')}`);
  });

  it('content: a Liquid syntax error and a duplicate id', () => {
    const file = shown(directory, join('content', '99-broken.json'));
    expect(run.stdout).toContain(`${file}: $[0].subject: Liquid syntax error`);
    expect(run.stdout).toContain(`${file}: $[1].id: content id "book-a-demo" is already used in ${shown(directory, join('content', '30-decision.json'))}`);
  });
});

describe('waymark validate: one file, --json', () => {
  const directory = copyOfSamples();
  writeBroken(directory, NURTURE, NURTURE, (w) => {
    w.settings.timezone = 'America/New York';
    w.settings.frequencyCap.max = 0;
  });

  it('validates only the files named, with every problem in the --json report', () => {
    const { code, stdout } = validate('--json', join(directory, NURTURE));
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as Json;
    expect(report.valid).toBe(false);
    expect(report.workflows).toHaveLength(1);
    expect(report.workflows[0]).toMatchObject({ file: shown(directory, NURTURE), id: null, version: null });
    expect(report.problems).toEqual([
      { file: shown(directory, NURTURE), path: '$.settings.timezone', message: 'an IANA time zone name such as "Europe/Paris", "America/New_York" or "UTC", got "America/New York" (did you mean "America/New_York"?)' },
      { file: shown(directory, NURTURE), path: '$.settings.frequencyCap.max', message: 'at least 1, got 0' },
    ]);
    expect(report.workflows[0].problems).toEqual(report.problems);
  });
});
