/** `waymark validate [paths...]`: every workflow valid, or every problem with its file and JSON path. */
import { formatProblem } from '../engine/validate';
import { loadWorkflows } from '../runtime/workflow-files';
import { color, plural, symbols } from './output';

export interface ValidateOptions {
  json?: boolean;
}

export function validateCommand(paths: string[], options: ValidateOptions): number {
  const loaded = loadWorkflows(paths.length > 0 ? paths : ['workflows']);
  const invalid = loaded.files.filter((f) => f.problems.length > 0);
  const problems = [...loaded.problems, ...invalid.flatMap((f) => f.problems)];

  if (options.json) {
    const report = {
      valid: problems.length === 0,
      workflows: loaded.files.map((f) => ({ file: f.file, id: f.workflow?.id ?? null, version: f.workflow?.version ?? null, problems: f.problems })),
      contentItems: loaded.catalogue.items.length,
      problems,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return problems.length === 0 ? 0 : 1;
  }

  for (const file of loaded.files) {
    if (file.workflow) {
      console.log(`${symbols.ok} ${color.bold(file.workflow.id)} ${color.dim(`v${file.workflow.version}`)}  ${color.dim(file.file)}`);
    } else {
      console.log(`${symbols.fail} ${color.bold(file.file)}`);
      for (const problem of file.problems) console.log(`    ${color.red(formatProblem(problem))}`);
    }
  }
  if (loaded.problems.length > 0) {
    console.log(`${symbols.fail} ${color.bold('content and files')}`);
    for (const problem of loaded.problems) console.log(`    ${color.red(formatProblem(problem))}`);
  }
  const valid = loaded.files.length - invalid.length;
  const summary = `${plural(valid, 'workflow')} valid, ${invalid.length} invalid; ${plural(loaded.catalogue.items.length, 'content item')}`;
  if (problems.length === 0) {
    if (loaded.files.length === 0) {
      console.log(`${symbols.warn} no workflow files found in ${paths.join(', ') || 'workflows'}`);
      return 1;
    }
    console.log(color.green(summary));
    return 0;
  }
  console.log(color.red(`${summary}: ${plural(problems.length, 'problem')}`));
  return 1;
}
