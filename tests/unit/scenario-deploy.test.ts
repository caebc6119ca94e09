/**
 * Scenarios that deploy a newer version part-way (`"deploy": [{"at": "+1d", "version": 2}]`): the
 * sample in workflows/examples/new-version moves customers of v1 onto v2 at mapped steps, and a
 * wait keeps its start (WORKFLOWS.md, "Moving customers to a new version"). Deploys that name a
 * version the directory lacks, or go backwards, are errors with their JSON path; expectations may
 * name the steps of either version.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFileResult } from '../../lib/cli/test-command';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { runScenarioFile, type ScenarioFileResult } from '../../lib/scenarios/run-scenario';

const SAMPLE = 'workflows/examples/new-version';
const registry = WorkflowRegistry.fromLoaded(loadValidWorkflows([SAMPLE]));

type Json = any;

/** Runs scenarios of the sample welcome series (v1 in archive/: 3 days to settle in, 4 to click; v2: 2 days, then 6). */
async function runWelcome(scenarios: Json[]): Promise<ScenarioFileResult> {
  const path = join(mkdtempSync(join(tmpdir(), 'waymark-scenario-')), 'welcome.test.json');
  writeFileSync(path, JSON.stringify({ workflow: 'welcome-series', start: '2026-11-02T09:00:00Z', customer: { id: 'lee', profile: { email: 'lee@example.com' } }, scenarios }));
  return runScenarioFile(path, { registry });
}

const text = (result: ScenarioFileResult) => formatFileResult(result).join('\n').replace(/\u001b\[[0-9;]*m/g, '');
const emailsOf = (result: ScenarioFileResult, index = 0) => result.scenarios[index]!.emails.map((e) => `${new Date(e.at).toISOString().slice(5, 16)} ${e.stepId}`);

describe(`the sample ${SAMPLE}`, () => {
  it('every scenario passes', async () => {
    const result = await runScenarioFile(`${SAMPLE}/welcome-series.test.json`);
    expect(result.problems).toEqual([]);
    expect(result.scenarios.filter((s) => !s.passed).map((s) => s.name), text(result)).toEqual([]);
  });
});

describe('a scenario that deploys v2 part-way', () => {
  const signUp = { at: '+0', type: 'signup.completed' };

  it('before the deploy the customer is on v1 (archive/), after it new customers start on v2', async () => {
    const result = await runWelcome([
      { name: 'v1 until +10d', events: [signUp], deploy: [{ at: '+10d', version: 2 }], expect: { version: 1, status: 'completed' } },
      { name: 'v2 from +12h', events: [{ ...signUp, at: '+1d' }], deploy: [{ at: '+12h', version: 2 }], expect: { version: 2 } },
    ]);
    expect(result.scenarios.map((s) => s.passed), text(result)).toEqual([true, true]);
    // v1 throughout: three days to settle in, tips, four days to click, the last call.
    expect(emailsOf(result, 0)).toEqual(['11-02T09:00 welcome', '11-05T09:00 tips', '11-09T09:00 last-call']);
    expect(emailsOf(result, 1)).toEqual(['11-03T09:00 welcome', '11-05T09:00 demo', '11-11T09:00 last-call']);
  });

  it('a customer mid-wait moves at their next wake-up to the mapped wait, which keeps its start: the wait for a click ends 6 days after it began, not 6 days after the move', async () => {
    const result = await runWelcome([
      {
        name: 'moved from the 4-day wait for a click to the 6-day one',
        events: [signUp],
        // Lee has waited for a click since Thursday 09:00 (+3d); v1 would give up on Monday (+7d).
        deploy: [{ at: '+4d', version: 2 }],
        expect: {
          checkpoints: [
            { at: '+6d', version: 1, step: 'clicked?' },
            // Woken by v1's timeout at +7d: moved, not timed out, and the wait still counts from +3d.
            { at: '+7d', version: 2, step: 'clicked?', status: 'active' },
          ],
          version: 2,
        },
      },
    ]);
    expect(result.scenarios[0]!.passed, text(result)).toBe(true);
    expect(emailsOf(result)).toEqual(['11-02T09:00 welcome', '11-05T09:00 tips', '11-11T09:00 last-call']);
    // The steps it went through: v1's up to the wait, then v2's way out of it.
    expect(result.scenarios[0]!.path.at(-1)).toBe('last-call');
  });

  it('a customer moved at an input (an open) keeps the start of the shorter wait: the demo goes two days after sign-up', async () => {
    const result = await runWelcome([
      { name: 'moved at an open', events: [signUp, { at: '+1d12h', type: 'Email Opened' }], deploy: [{ at: '+1d', version: 2 }], expect: { checkpoints: [{ at: '+1d12h', version: 2, step: 'settle-in' }] } },
    ]);
    expect(result.scenarios[0]!.passed, text(result)).toBe(true);
    expect(emailsOf(result)).toEqual(['11-02T09:00 welcome', '11-04T09:00 demo', '11-10T09:00 last-call']);
  });

  it('a version expectation that does not hold fails with the expected and the actual version', async () => {
    const result = await runWelcome([{ name: 'still on v1?', events: [signUp], deploy: [{ at: '+4d', version: 2 }], expect: { checkpoints: [{ at: '+8d', version: 1 }] } }]);
    expect(result.scenarios[0]!.failures).toEqual([{ kind: 'value', message: 'version at +8d', expected: 1, actual: 2 }]);
  });

  it('a deploy of a version the directory lacks, or one that goes backwards, is an error with its JSON path', async () => {
    const result = await runWelcome([
      { name: 'no v3', events: [signUp], deploy: [{ at: '+1d', version: 3 }], expect: {} },
      { name: 'backwards', events: [signUp], deploy: [{ at: '+1d', version: 2 }, { at: '+2d', version: 1 }], expect: {} },
      { name: 'another workflow', events: [signUp], deploy: [{ at: '+1d', version: 2, workflow: 'welcome-serie' }], expect: {} },
    ]);
    expect(result.scenarios.map((s) => s.failures.map((f) => f.message))).toEqual([
      ['$.scenarios[0].deploy[0].version: welcome-series has no version 3 (its versions: 1, 2; keep older ones in workflows/archive/)'],
      ['$.scenarios[1].deploy[1]: welcome-series v1 at +2d comes after v2 at +1d: deploys of a workflow go forward, in time and in version'],
      ['$.scenarios[2].deploy[0].workflow: no workflow "welcome-serie" (did you mean "welcome-series"?)'],
    ]);
  });

  it('expectations may name the steps of any version the scenario runs, and no others', async () => {
    const result = await runWelcome([
      // "tips" is v1's only, "demo" v2's only.
      { name: 'both versions', events: [signUp], deploy: [{ at: '+4d', version: 2 }], expect: { emails: [{ step: 'welcome' }, { step: 'tips' }, { step: 'last-call' }], checkpoints: [{ at: '+1d', step: 'settle-in' }] } },
      { name: 'v2 only', events: [signUp], expect: { emails: [{ step: 'welcome' }, { step: 'tips' }] } },
    ]);
    expect(result.scenarios[0]!.passed, text(result)).toBe(true);
    expect(result.scenarios[1]!.failures.map((f) => f.message)).toEqual([expect.stringMatching(/^\$\.scenarios\[1\]\.expect\.emails\[1\]\.step: no step "tips" in welcome-series/)]);
  });
});
