/** The `waymark` command line. Each command lives in its own module; this file only wires them. */
import { Command } from 'commander';
import { runCommand } from './run-command';
import { validateCommand } from './validate-command';

const program = new Command('waymark')
  .description('Customer journeys as code: validate, run, test and simulate Waymark workflows, and run the engine locally.')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)');

program
  .command('validate')
  .description('Check workflows and their content against the workflow language; every problem is printed with its file and JSON path')
  .argument('[paths...]', 'workflow files or directories', [])
  .option('--json', 'print a machine-readable report')
  .addHelpText('after', '\nExamples:\n  $ waymark validate\n  $ waymark validate workflows/cold-traffic-nurture.json\n\nExit code 1 when any problem is found.')
  .action((paths: string[], options: { json?: boolean }) => {
    process.exitCode = validateCommand(paths, options);
  });

program
  .command('run')
  .description('Run events through the workflows in process, on a virtual clock, and print the emails sent and where each customer ends up')
  .option('--workflows <dir>', 'the workflows directory', 'workflows')
  .requiredOption('--events <file>', 'EventBridge events, one JSON object per line (JSON Lines)')
  .option('--until <iso-time>', 'keep firing timers until this time (default: until none remain)')
  .option('--json', 'print {emails, customers, rejected} as JSON')
  .addHelpText('after', '\nExample:\n  $ waymark run --events workflows/examples/cold-traffic.jsonl --json')
  .action(async (options: { workflows: string; events: string; until?: string; json?: boolean }) => {
    process.exitCode = await runCommand(options);
  });

await program.parseAsync(process.argv);
