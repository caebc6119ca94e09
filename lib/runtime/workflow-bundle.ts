/**
 * Workflows and content travel with the deployment as one JSON file beside
 * each function's code: every version of every workflow (so a customer can
 * finish the version they entered) and the content catalogue.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ContentItem, ProjectSettings, Workflow } from '../engine/schema';
import { WorkflowRegistry } from './registry';
import type { LoadedWorkflows } from './workflow-files';

export interface WorkflowBundle {
  workflows: Workflow[];
  content: ContentItem[];
  /** workflows/settings.json (the send budget). */
  settings: ProjectSettings;
}

export function bundleOf(loaded: LoadedWorkflows): WorkflowBundle {
  return { workflows: loaded.workflows, content: [...loaded.catalogue.items], settings: loaded.settings };
}

function readBundle(path: string): { workflows: unknown[]; content: ContentItem[]; settings?: unknown } {
  // Relative paths from the Lambda task root, or the working directory.
  const absolute = isAbsolute(path) ? path : join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  return JSON.parse(readFileSync(absolute, 'utf8')) as { workflows: unknown[]; content: ContentItem[]; settings?: unknown };
}

/** The deployed registry, from the bundle beside the function's code. */
export function registryFromBundleFile(path: string): WorkflowRegistry {
  return WorkflowRegistry.fromBundle(readBundle(path));
}

/** Only which workflow versions are deployed (the sweep needs no more, and compiles nothing). */
export function deployedVersionsFromBundleFile(path: string): Array<{ id: string; version: number }> {
  return readBundle(path).workflows.flatMap((w) => {
    const { id, version } = w as { id?: unknown; version?: unknown };
    return typeof id === 'string' && typeof version === 'number' ? [{ id, version }] : [];
  });
}
