/**
 * The sample journeys' scenarios (workflows/**\/*.test.json: the sample
 * journeys and the examples) run as part of `npm test`, one test each, and
 * together they take every path through each journey: every edge of the
 * latest version's graph is followed by some scenario.
 */
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { journeyGraph } from '../../lib/engine/graph';
import { findScenarioFiles, runScenarioFile } from '../../lib/scenarios/run-scenario';
import { formatFileResult } from '../../lib/cli/test-command';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';

const files = findScenarioFiles(['workflows']);
/** The latest version of a workflow in the scenario file's directory (older ones may be in its archive/). */
const latestBeside = (file: string, id: string) =>
  loadValidWorkflows([dirname(file)])
    .workflows.filter((w) => w.id === id)
    .sort((a, b) => b.version - a.version)[0]!;

describe.each(files)('%s', (file) => {
  it('every scenario passes', async () => {
    const result = await runScenarioFile(file);
    expect(result.problems).toEqual([]);
    const failed = result.scenarios.filter((s) => !s.passed);
    expect(failed.map((s) => s.name), formatFileResult(result).join('\n')).toEqual([]);
    expect(result.scenarios.length).toBeGreaterThan(5);
  });

  it('together, the scenarios follow every edge of the journey', async () => {
    const result = await runScenarioFile(file);
    const workflow = latestBeside(file, result.workflow);
    const followed = new Set(result.scenarios.flatMap((s) => s.path.slice(1).map((to, i) => `${s.path[i]} → ${to}`)));
    const edges = [...new Set(journeyGraph(workflow).edges.map((e) => `${e.from} → ${e.to}`))];
    expect(edges.filter((edge) => !followed.has(edge))).toEqual([]);
  });
});
