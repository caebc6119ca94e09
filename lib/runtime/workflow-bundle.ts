/**
 * Workflows and content travel with the deployment as one JSON file beside
 * each function's code: every version of every workflow (so a customer can
 * finish the version they entered) and the content catalogue.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { ContentItem, Workflow } from '../engine/schema';
import { WorkflowRegistry } from './registry';
import type { LoadedWorkflows } from './workflow-files';

export interface WorkflowBundle {
  workflows: Workflow[];
  content: ContentItem[];
}

export function bundleOf(loaded: LoadedWorkflows): WorkflowBundle {
  return { workflows: loaded.workflows, content: [...loaded.catalogue.items] };
}

/** Reads the bundle (relative paths from the Lambda task root, or the working directory). */
export function registryFromBundleFile(path: string): WorkflowRegistry {
  const absolute = isAbsolute(path) ? path : join(process.env.LAMBDA_TASK_ROOT ?? process.cwd(), path);
  const bundle = JSON.parse(readFileSync(absolute, 'utf8')) as { workflows: unknown[]; content: ContentItem[] };
  return WorkflowRegistry.fromBundle(bundle);
}
