/**
 * Reading `workflows/` from disk: workflow files, the content catalogue and
 * archived versions, validated together. Synchronous on purpose: `cdk synth`
 * and Lambda cold starts are synchronous moments.
 *
 * Layout:
 *   workflows/*.json              current workflows (one per file)
 *   workflows/archive/**\/*.json   earlier versions still running for customers who entered them
 *   workflows/content/*.json      the content catalogue (arrays of items, read in name order)
 *   workflows/settings.json       what holds across workflows (the send budget), optional
 *   workflows/examples/, *.test.json, *.schema.json   not workflows
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { type ContentCatalogue, createCatalogue } from '../engine/content';
import { ContentItem, ProjectSettings, segmentsToJsonPath, type Workflow } from '../engine/schema';
import { quote } from '../engine/suggest';
import { describeIssue, formatProblem, type ValidationProblem, validateWorkflow } from '../engine/validate';
import { lineAndColumn, locateJsonError } from './json-error';
import { templateProblems } from './template-check';

export interface WorkflowFile {
  file: string;
  workflow: Workflow | undefined;
  problems: ValidationProblem[];
}

export interface LoadedWorkflows {
  /** Every valid workflow, all versions. */
  workflows: Workflow[];
  catalogue: ContentCatalogue;
  /** workflows/settings.json ({} when there is none, or when it is invalid: see problems). */
  settings: ProjectSettings;
  files: WorkflowFile[];
  /** Problems in content files and across files (duplicate ids, versions). */
  problems: ValidationProblem[];
}

export class WorkflowLoadError extends Error {
  override readonly name = 'WorkflowLoadError';
  constructor(readonly problems: ValidationProblem[]) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in workflows:\n${problems.map(formatProblem).join('\n')}`);
  }
}

/** Every problem found, content and workflows. */
export function allProblems(loaded: LoadedWorkflows): ValidationProblem[] {
  return [...loaded.problems, ...loaded.files.flatMap((f) => f.problems)];
}

export const PROJECT_SETTINGS_FILE = 'settings.json';

const isWorkflowFileName = (name: string) => name.endsWith('.json') && !name.endsWith('.test.json') && !name.endsWith('.schema.json') && name !== PROJECT_SETTINGS_FILE;

/** The content directory that belongs to a workflow file or directory. */
export function contentDirectoryFor(path: string): string {
  const absolute = resolve(path);
  const directory = existsSync(absolute) && statSync(absolute).isDirectory() ? absolute : resolve(absolute, '..');
  // archive/… files share the catalogue of the workflows directory above them
  const parts = directory.split(/[\\/]/);
  const archiveAt = parts.lastIndexOf('archive');
  return join(archiveAt >= 0 ? parts.slice(0, archiveAt).join('/') || '/' : directory, 'content');
}

/** Workflow files under a directory: its *.json, and archive/ recursively. */
export function listWorkflowFiles(directory: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(directory).sort()) {
    const path = join(directory, name);
    if (isWorkflowFileName(name) && statSync(path).isFile()) files.push(path);
  }
  const archive = join(directory, 'archive');
  if (existsSync(archive)) {
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (isWorkflowFileName(name)) files.push(path);
      }
    };
    walk(archive);
  }
  return files;
}

export function loadContent(contentDirectory: string, displayBase = process.cwd()): { items: ContentItem[]; problems: ValidationProblem[] } {
  const items: ContentItem[] = [];
  const problems: ValidationProblem[] = [];
  if (!existsSync(contentDirectory)) return { items, problems };
  const seen = new Map<string, string>();
  for (const name of readdirSync(contentDirectory).filter((n) => n.endsWith('.json')).sort()) {
    const path = join(contentDirectory, name);
    const file = relative(displayBase, path) || path;
    const json = readJson(path, file);
    if (!json.ok) {
      problems.push(json.problem);
      continue;
    }
    if (!Array.isArray(json.value)) {
      problems.push({ file, path: '$', message: `expected an array of content items, got ${json.value === null ? 'null' : typeof json.value === 'object' ? 'an object' : quote(json.value)}` });
      continue;
    }
    // Item by item: one bad item is reported with its index and id, and the others are still read.
    json.value.forEach((raw: unknown, index) => {
      const parsed = ContentItem.safeParse(raw);
      if (!parsed.success) {
        const id = (raw as { id?: unknown } | null)?.id;
        const label = typeof id === 'string' && id !== '' ? `content item ${quote(id)}` : `content item ${index + 1} of the file`;
        for (const issue of parsed.error.issues) problems.push({ file, path: segmentsToJsonPath([index, ...issue.path]), message: `${label}: ${describeIssue(issue, raw)}` });
        return;
      }
      const item = parsed.data;
      const firstFile = seen.get(item.id);
      if (firstFile !== undefined) {
        problems.push({ file, path: `$[${index}].id`, message: `content id "${item.id}" is already used in ${firstFile}` });
        return;
      }
      seen.set(item.id, file);
      for (const field of ['subject', 'html', 'text'] as const) {
        const template = item[field];
        if (template === undefined) continue;
        for (const message of templateProblems(template)) problems.push({ file, path: `$[${index}].${field}`, message });
      }
      items.push(item);
    });
  }
  return { items, problems };
}

/**
 * Loads and validates workflows. `paths` are workflow files or directories
 * (default: the `workflows` directory); content comes from the `content/`
 * directory beside them unless `contentDirectory` is given.
 */
export function loadWorkflows(paths: string[] = ['workflows'], options: { contentDirectory?: string; displayBase?: string } = {}): LoadedWorkflows {
  const displayBase = options.displayBase ?? process.cwd();
  const problems: ValidationProblem[] = [];
  const workflowPaths: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) {
      problems.push({ file: path, path: '$', message: 'no such file or directory' });
    } else if (statSync(path).isDirectory()) {
      workflowPaths.push(...listWorkflowFiles(path));
    } else {
      workflowPaths.push(path);
    }
  }
  const contentDirectory = options.contentDirectory ?? contentDirectoryFor(paths[0] ?? 'workflows');
  const content = loadContent(contentDirectory, displayBase);
  problems.push(...content.problems);
  const settings = loadProjectSettings(join(contentDirectory, '..', PROJECT_SETTINGS_FILE), displayBase);
  problems.push(...settings.problems);
  const catalogue = createCatalogue(content.items);

  const files: WorkflowFile[] = [];
  const versions = new Map<string, string>();
  for (const path of workflowPaths) {
    const file = relative(displayBase, path) || path;
    const json = readJson(path, file);
    if (!json.ok) {
      files.push({ file, workflow: undefined, problems: [json.problem] });
      continue;
    }
    const result = validateWorkflow(json.value, { file, catalogue });
    const fileProblems = [...result.problems];
    if (result.ok) {
      const key = `${result.workflow.id}@${result.workflow.version}`;
      const other = versions.get(key);
      if (other !== undefined) {
        fileProblems.push({ file, path: '$.version', message: `${result.workflow.id} version ${result.workflow.version} is also defined in ${other}: give this one a new version` });
      } else {
        versions.set(key, file);
      }
    }
    files.push({ file, workflow: fileProblems.length === 0 ? result.workflow : undefined, problems: fileProblems });
  }
  migrationProblems(files);
  const workflows = files.flatMap((f) => (f.workflow ? [f.workflow] : []));
  return { workflows, catalogue, settings: settings.settings, files, problems };
}

/**
 * A `migrate` names steps of older versions: where an older version's file is loaded (workflows/archive/),
 * each mapped old step must be one of its steps, or customers resting there would never move.
 */
function migrationProblems(files: WorkflowFile[]): void {
  const byVersion = new Map<string, Workflow>();
  for (const f of files) if (f.workflow) byVersion.set(`${f.workflow.id}@${f.workflow.version}`, f.workflow);
  for (const f of files) {
    const migrate = f.workflow?.migrate;
    if (!f.workflow || !migrate) continue;
    for (const from of migrate.from) {
      const older = byVersion.get(`${f.workflow.id}@${from}`);
      if (!older) continue;
      for (const oldStep of Object.keys(migrate.steps)) {
        if (!(oldStep in older.steps)) {
          f.problems.push({ file: f.file, path: segmentsToJsonPath(['migrate', 'steps', oldStep]), message: `version ${from} of ${f.workflow.id} has no step "${oldStep}" (its steps are: ${Object.keys(older.steps).map((id) => `"${id}"`).join(', ')})` });
        }
      }
    }
  }
  for (const f of files) if (f.problems.length > 0) f.workflow = undefined;
}

/** workflows/settings.json, validated like a workflow: every problem with its JSON path. */
export function loadProjectSettings(path: string, displayBase = process.cwd()): { settings: ProjectSettings; problems: ValidationProblem[] } {
  if (!existsSync(path)) return { settings: {}, problems: [] };
  const file = relative(displayBase, path) || path;
  const json = readJson(path, file);
  if (!json.ok) return { settings: {}, problems: [json.problem] };
  const parsed = ProjectSettings.safeParse(json.value);
  if (parsed.success) return { settings: parsed.data, problems: [] };
  return { settings: {}, problems: parsed.error.issues.map((issue) => ({ file, path: segmentsToJsonPath(issue.path), message: describeIssue(issue, json.value) })) };
}

/** Loads workflows and throws a WorkflowLoadError listing every problem, if any. */
export function loadValidWorkflows(paths?: string[], options?: { contentDirectory?: string; displayBase?: string }): LoadedWorkflows {
  const loaded = loadWorkflows(paths, options);
  const problems = allProblems(loaded);
  if (problems.length > 0) throw new WorkflowLoadError(problems);
  return loaded;
}

type JsonRead = { ok: true; value: unknown } | { ok: false; problem: ValidationProblem };

function readJson(path: string, file: string): JsonRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, problem: { file, path: '$', message: `cannot read the file: ${(error as Error).message}` } };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, problem: { file, path: '$', message: describeJsonError(text, error as Error) } };
  }
}

/**
 * "invalid JSON at line 3, column 7: missing "," before "b"": where the text stops being JSON,
 * found by scanning it (Node's own messages differ by version, and some carry no position);
 * Node's message, with its position when it gives one, if the scan finds nothing.
 */
export function describeJsonError(text: string, error: Error): string {
  const located = locateJsonError(text);
  if (located) return `invalid JSON at line ${located.line}, column ${located.column}: ${located.message}`;
  const message = error.message.replace(/ in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
  const position = /at position (\d+)/.exec(error.message);
  if (!position) return `invalid JSON: ${message}`;
  const { line, column } = lineAndColumn(text, Number(position[1]));
  return `invalid JSON at line ${line}, column ${column}: ${message}`;
}

export const workflowFileName = (path: string) => basename(path);
