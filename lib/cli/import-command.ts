/**
 * `waymark import pinpoint --journey FILE.json... [--templates DIR] [--settings FILE.json] --out DIR [--id ID]`:
 * Pinpoint journey exports in, Waymark workflows and content out, then the
 * project's own validation of what was written. Prints what was carried over,
 * approximated or left out, with the Pinpoint path and the manual step.
 * Exit code 0 when every workflow written is valid (warnings allowed), 1 otherwise.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ContentFile, type ContentItem } from '../engine/schema';
import { formatProblem, type ValidationProblem } from '../engine/validate';
import { formatReport, ImportReport, importPinpointJourney, type PinpointImport, type ReportEntry } from '../import/pinpoint';
import { type JourneyExport, readJourneyExport, readJsonFile, readSettingsExport, readTemplateExport, type SettingsExport, type TemplateExport, templateFiles } from '../import/pinpoint/read-exports';
import type { CustomerIdentity } from '../import/pinpoint/templates';
import { listWorkflowFiles, loadWorkflows } from '../runtime/workflow-files';
import { color, plural, symbols } from './output';

export interface ImportPinpointOptions {
  journey: string[];
  templates?: string[];
  settings?: string;
  out: string;
  id?: string;
  from?: string;
  customer?: CustomerIdentity;
  force?: boolean;
  json?: boolean;
}

interface JourneyOutcome {
  file: string;
  id: string;
  workflowFile?: string;
  contentFile?: string;
  settingsFile?: string;
  report: ReportEntry[];
  problems: ValidationProblem[];
  valid: boolean;
}

export function importPinpointCommand(options: ImportPinpointOptions): number {
  const identity: CustomerIdentity = options.customer ?? 'user';
  const inputs = new ImportReport();
  const out = options.out;
  const display = (path: string) => relative(process.cwd(), path) || path;

  // Application settings and templates are shared by every journey of the run.
  let settings: SettingsExport | undefined;
  if (options.settings !== undefined) {
    const json = readJsonFile(options.settings);
    if (json.ok) settings = readSettingsExport(json.value, display(options.settings), inputs);
    else inputs.error(display(options.settings), json.message);
  }
  const templates: TemplateExport[] = [];
  for (const file of (options.templates ?? []).flatMap(templateFiles)) {
    const json = readJsonFile(file);
    if (!json.ok) {
      inputs.error(display(file), json.message);
      continue;
    }
    const template = readTemplateExport(json.value, display(file), inputs);
    if (template) templates.push(template);
  }
  if (options.id !== undefined && options.journey.length > 1) {
    inputs.error('--id', `one id for ${options.journey.length} journeys: import them one at a time, or let each take its name`);
  }

  const outcomes: JourneyOutcome[] = [];
  const existing = readExistingContent(join(out, 'content'));
  for (const journeyFile of options.journey) {
    const report = new ImportReport();
    const json = readJsonFile(journeyFile);
    let exported: JourneyExport | undefined;
    if (json.ok) exported = readJourneyExport(json.value, display(journeyFile), report);
    else report.error(display(journeyFile), json.message);
    if (!exported || inputs.errors.length > 0) {
      outcomes.push({ file: display(journeyFile), id: '', report: [...inputs.entries, ...report.entries], problems: [], valid: false });
      continue;
    }
    const contentFileName = (id: string) => `pinpoint-${id}.json`;
    const result = importPinpointJourney({
      journey: exported,
      templates,
      ...(settings ? { settings } : {}),
      ...(options.id === undefined ? {} : { id: options.id }),
      ...(options.from === undefined ? {} : { from: options.from }),
      identity,
      existingContent: existing,
      // The loader reads workflows/settings.json: Pinpoint's cross-journey limits become its budget.
      budgetSupported: true,
      schemaRef: existsSync(join(out, 'workflow.schema.json')),
    });
    // Which activity an entry is about is the importer's bookkeeping, not the reader's.
    const entries = [...inputs.entries, ...result.report.entries].map(({ activity: _activity, ...entry }) => entry);
    const outcome: JourneyOutcome = { file: display(journeyFile), id: result.id, report: entries, problems: [], valid: false };
    outcomes.push(outcome);
    if (!result.workflow) continue;

    const target = refuseToOverwrite(out, result, options.force === true);
    if (target.problem) {
      outcome.report = [...entries, { outcome: 'error', pinpoint: display(join(out, `${result.id}.json`)), note: target.problem.note, manual: target.problem.manual }];
      continue;
    }
    mkdirSync(join(out, 'content'), { recursive: true });
    const workflowPath = join(out, `${result.id}.json`);
    writeFileSync(workflowPath, prettyJson(result.workflow));
    outcome.workflowFile = display(workflowPath);
    if (result.content.length > 0) {
      const contentPath = join(out, 'content', contentFileName(result.id));
      writeFileSync(contentPath, prettyJson(result.content));
      outcome.contentFile = display(contentPath);
      for (const item of result.content) existing.push({ item, file: `content/${contentFileName(result.id)}` });
    }
    if (result.budget) {
      const settingsPath = join(out, 'settings.json');
      if (existsSync(settingsPath)) {
        outcome.report.push({ outcome: 'left-out', pinpoint: 'Limits', note: `${display(settingsPath)} exists already; the suggested budget was not written`, manual: `check it holds ${JSON.stringify({ budget: result.budget })}` });
      } else {
        writeFileSync(settingsPath, prettyJson({ budget: result.budget }));
        outcome.settingsFile = display(settingsPath);
      }
    }
  }

  // The project's own loader and validator, on what was written.
  const writtenFiles = outcomes.filter((o) => o.workflowFile !== undefined);
  if (writtenFiles.length > 0) {
    const loaded = loadWorkflows([out]);
    for (const outcome of writtenFiles) {
      const file = loaded.files.find((f) => f.file === outcome.workflowFile);
      outcome.problems = [...(file?.problems ?? [{ file: outcome.workflowFile!, path: '$', message: 'was not read back' }]), ...loaded.problems.filter((p) => p.file === outcome.contentFile)];
      outcome.valid = outcome.problems.length === 0;
    }
  }

  if (options.json) {
    process.stdout.write(`${JSON.stringify({ valid: outcomes.every((o) => o.valid), journeys: outcomes }, null, 2)}\n`);
  } else {
    printOutcomes(outcomes, out);
  }
  return outcomes.length > 0 && outcomes.every((o) => o.valid) ? 0 : 1;
}

/**
 * JSON indented by 2 spaces, with any object or array that fits on its line
 * written on one line, as the workflows in this repository are (one step per line).
 */
export function prettyJson(value: unknown): string {
  const width = 120;
  const flat = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map(flat).join(', ')}]`;
    if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      return entries.length === 0 ? '{}' : `{ ${entries.map(([key, item]) => `${JSON.stringify(key)}: ${flat(item)}`).join(', ')} }`;
    }
    return JSON.stringify(v) ?? 'null';
  };
  const write = (v: unknown, indent: string, used: number): string => {
    const line = flat(v);
    if (v === null || typeof v !== 'object' || used + line.length <= width) return line;
    const inner = `${indent}  `;
    if (Array.isArray(v)) return `[\n${v.map((item) => `${inner}${write(item, inner, inner.length)}`).join(',\n')}\n${indent}]`;
    const entries = Object.entries(v).filter(([, item]) => item !== undefined);
    return `{\n${entries.map(([key, item]) => `${inner}${JSON.stringify(key)}: ${write(item, inner, inner.length + JSON.stringify(key).length + 2)}`).join(',\n')}\n${indent}}`;
  };
  return `${write(value, '', 0)}\n`;
}

/** Content items in the catalogue, with the file each is in ("content/<name>.json"). */
function readExistingContent(directory: string): Array<{ item: ContentItem; file: string }> {
  if (!existsSync(directory)) return [];
  const items: Array<{ item: ContentItem; file: string }> = [];
  for (const name of readdirSync(directory).filter((n) => n.endsWith('.json')).sort()) {
    const json = readJsonFile(join(directory, name));
    const parsed = json.ok ? ContentFile.safeParse(json.value) : undefined;
    if (parsed?.success) for (const item of parsed.data) items.push({ item, file: `content/${name}` });
  }
  return items;
}

/** Never replace a file by accident: the same file needs --force, and another workflow with this id needs --id. */
function refuseToOverwrite(out: string, result: PinpointImport, force: boolean): { problem?: { note: string; manual: string } } {
  const target = join(out, `${result.id}.json`);
  if (existsSync(out)) {
    for (const file of listWorkflowFiles(out)) {
      if (file === target || file.includes(`${'/'}archive${'/'}`)) continue;
      const json = readJsonFile(file);
      if (json.ok && typeof json.value === 'object' && json.value !== null && (json.value as { id?: unknown }).id === result.id) {
        return { problem: { note: `the workflow id "${result.id}" is already used by ${relative(process.cwd(), file)}`, manual: 'pass --id with another id' } };
      }
    }
  }
  if (existsSync(target) && !force) {
    return { problem: { note: `${relative(process.cwd(), target)} exists; nothing was written`, manual: 'pass --force to replace it (a previous import, say), or --id for a new workflow' } };
  }
  return {};
}

function printOutcomes(outcomes: JourneyOutcome[], out: string): void {
  const palette = { bold: color.bold, dim: color.dim, green: color.green, yellow: color.yellow, red: color.red };
  for (const outcome of outcomes) {
    const wrote = outcome.workflowFile !== undefined;
    console.log(`${color.bold('Pinpoint journey')} ${outcome.file}${outcome.id ? ` ${color.dim('→')} ${color.bold(outcome.id)}` : ''}`);
    console.log('');
    console.log(formatReport(outcome.report, palette, { errorsWritten: wrote }));
    if (!wrote) {
      console.log(`${symbols.fail} ${color.red('nothing written')}\n`);
      continue;
    }
    console.log(color.bold('Written'));
    for (const file of [outcome.workflowFile, outcome.contentFile, outcome.settingsFile]) if (file) console.log(`  ${file}`);
    console.log('');
    if (outcome.valid) {
      console.log(`${symbols.ok} ${color.green(`${outcome.workflowFile} is valid`)} ${color.dim(`(waymark validate ${out})`)}`);
    } else {
      console.log(`${symbols.fail} ${color.red(`${outcome.workflowFile} is not valid:`)}`);
      for (const problem of outcome.problems) console.log(`    ${color.red(formatProblem(problem))}`);
    }
    const counts = (['carried', 'approximated', 'left-out'] as const).map((o) => `${outcome.report.filter((e) => e.outcome === o).length} ${o === 'left-out' ? 'left out' : o}`);
    console.log(color.dim(`  ${counts.join(', ')}; ${plural(outcome.report.filter((e) => e.manual !== undefined).length, 'manual step')}`));
    console.log('');
  }
}
