/**
 * workflows/settings.json: what holds across workflows (the send budget). Validated with the
 * workflows, every problem with its file and JSON path; `waymark validate` and `cdk synth` fail on it
 * alike; it travels in the deployment bundle.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { bundleOf } from '../../lib/runtime/workflow-bundle';
import { allProblems, loadWorkflows } from '../../lib/runtime/workflow-files';

function samplesWithSettings(settings: string): string {
  const directory = mkdtempSync(join(tmpdir(), 'waymark-settings-'));
  cpSync('workflows', directory, { recursive: true });
  writeFileSync(join(directory, 'settings.json'), settings);
  return directory;
}

describe('workflows/settings.json', () => {
  it('the sample sets a budget of four emails a week across journeys, and it reaches the registry and the bundle', () => {
    const loaded = loadWorkflows(['workflows']);
    expect(allProblems(loaded)).toEqual([]);
    expect(loaded.settings.budget).toEqual({ max: 4, per: 'P7D' });
    expect(WorkflowRegistry.fromLoaded(loaded).budget).toEqual({ max: 4, perMs: 7 * 86_400_000 });
    expect(bundleOf(loaded).settings).toEqual(loaded.settings);
    // It is not a workflow.
    expect(loaded.files.map((f) => f.file)).not.toContain('workflows/settings.json');
  });

  it('a wrong budget is reported with its file and JSON path, by `waymark validate` too', () => {
    const directory = samplesWithSettings('{ "budget": { "max": 0, "per": "7 days" }, "budgte": 1 }');
    const problems = allProblems(loadWorkflows([directory], { displayBase: directory })).map((p) => `${p.file}: ${p.path}: ${p.message}`);
    expect(problems).toEqual([
      'settings.json: $.budget.max: at least 1',
      expect.stringMatching(/^settings\.json: \$\.budget\.per: an ISO 8601 duration/),
      'settings.json: $: unknown field "budgte" (did you mean "budget"?)',
    ]);
    let output = '';
    try {
      execFileSync(process.execPath, ['bin/waymark.js', 'validate', directory], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      output = (error as { stdout: string }).stdout;
    }
    expect(output).toContain('$.budget.max: at least 1');
  });

  it('invalid JSON is reported with its line and column', () => {
    const directory = samplesWithSettings('{\n  "budget": { "max": 3 "per": "P7D" }\n}');
    const [problem] = allProblems(loadWorkflows([directory], { displayBase: directory }));
    expect(problem).toMatchObject({ file: 'settings.json', path: '$', message: expect.stringMatching(/^invalid JSON at line 2, column \d+/) });
  });
});
