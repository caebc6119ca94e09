/** The `waymark` command line. Each command lives in its own module; this file only wires them. */
import { Command } from 'commander';
import { devCommand } from './dev-command';
import { runCommand } from './run-command';
import { testCommand } from './test-command';
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

program
  .command('test')
  .description('Run journey scenarios (workflows/**/*.test.json): given a customer and events, expect emails, stages and statuses')
  .argument('[paths...]', 'scenario files or directories', [])
  .option('--workflows <dir>', 'the workflows directory (default: the directory of each scenario file)')
  .option('--json', 'print the results as JSON')
  .addHelpText('after', '\nExamples:\n  $ waymark test\n  $ waymark test workflows/cold-traffic-nurture.test.json\n\nExit code 1 when any scenario fails.')
  .action(async (paths: string[], options: { json?: boolean; workflows?: string }) => {
    process.exitCode = await testCommand(paths, options);
  });

program
  .command('dev')
  .description('Run the whole engine on this machine (DynamoDB Local, a local SES server, the Lambda handlers) with a live journey map')
  .option('--workflows <dir>', 'the workflows directory', 'workflows')
  .option('--port <port>', 'journey map, API, PutEvents and unsubscribe endpoint (0: any free port)', '8787')
  .option('--ses-port <port>', 'the local SES server and its mail viewer', '8005')
  .option('--dynamo-port <port>', 'DynamoDB Local', '8000')
  .option('--host <host>', 'the interface to listen on', '127.0.0.1')
  .option('--data <dir>', 'where DynamoDB Local keeps its data (kept across restarts)', '.waymark')
  .option('--fresh', 'wipe the data directory first')
  .option('--speed <factor>', 'how much faster than real time the clock runs (3600: one simulated hour per second)', '1')
  .option('--start <iso-time>', 'where the clock starts (kept data resumes from where it stopped, never earlier)')
  .option('--demo', 'feed a realistic stream of leads and buyers')
  .option('--seed <n>', 'the demo\'s random seed')
  .option('--ready-file <path>', 'write the endpoints as JSON to this file once ready (for scripts and tests)')
  .addHelpText('after', '\nExamples:\n  $ npm start                       # = waymark dev --demo --speed 3600\n  $ waymark dev --fresh --speed 60  # a simulated minute per second, no demo')
  .action(async (options) => {
    process.exitCode = await devCommand(options);
  });

await program.parseAsync(process.argv);
