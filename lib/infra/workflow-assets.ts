/**
 * Workflows at synth time: loaded and validated exactly as `waymark validate`
 * does (an invalid workflow fails `cdk synth` with the same messages), then
 * written as the bundle that travels beside the advance function's code.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Workflow } from '../engine/schema';
import { formatProblem } from '../engine/validate';
import { bundleOf } from '../runtime/workflow-bundle';
import { allProblems, loadWorkflows } from '../runtime/workflow-files';
import { profileAttributePaths } from '../engine/routing';

export class InvalidWorkflowsError extends Error {
  override readonly name = 'InvalidWorkflowsError';
}

export interface WorkflowAssets {
  workflows: Workflow[];
  /** Leaf paths of the profile attributes the project reads (the profile rule routes events setting them). */
  profileAttributes: string[][];
  /** The JSON file to copy beside the function code. */
  bundlePath: string;
  senders: string[];
}

export function prepareWorkflowAssets(directory: string): WorkflowAssets {
  const loaded = loadWorkflows([directory]);
  const problems = allProblems(loaded);
  if (problems.length > 0) {
    throw new InvalidWorkflowsError(`Waymark cannot deploy: ${problems.length} problem${problems.length === 1 ? '' : 's'} in ${directory} (the same as \`waymark validate\` reports):\n${problems.map(formatProblem).join('\n')}`);
  }
  if (loaded.workflows.length === 0) throw new InvalidWorkflowsError(`Waymark cannot deploy: no workflow files in ${directory}`);
  const bundlePath = join(mkdtempSync(join(tmpdir(), 'waymark-workflows-')), 'workflows.json');
  writeFileSync(bundlePath, JSON.stringify(bundleOf(loaded)));
  return {
    workflows: loaded.workflows,
    profileAttributes: profileAttributePaths(loaded.workflows, [...loaded.catalogue.items], loaded.settings.profileAttributes ?? []),
    bundlePath,
    senders: [...new Set(loaded.workflows.map((w) => w.settings.from))],
  };
}
