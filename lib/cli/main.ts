/** The `waymark` command line. Each command lives in its own module; this file only wires them. */
import { Command, Option } from 'commander';
import { devCommand } from './dev-command';
import type { ImportPinpointOptions } from './import-command';
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
  .command('replay')
  .description('Run the same events through two workflow sets (the deployed baseline and a candidate change) on the virtual clock, and print what changes: journeys whose emails or final status differ, emails per step, conversions, deferrals')
  .option('--events <files...>', 'EventBridge events, one per line (JSON Lines; .gz allowed); several files are merged by time')
  .option('--from <source...>', 'an event archive: a directory (`waymark dev` keeps one in .waymark/events) or s3://bucket/prefix (the deployed archive, -c archiveEvents=true)')
  .option('--since <period>', 'with --from: only events received in the last P30D (a duration) or since a date (2026-11-01)')
  .option('--until <iso-time>', 'stop the clocks here (default: until no timer remains)')
  .requiredOption('--baseline <dir>', 'the workflows directory as deployed')
  .requiredOption('--candidate <dir>', 'the workflows directory with the change')
  .option('--window <duration>', 'events this far out of time order are still applied in order; later ones are applied late', 'PT15M')
  .option('--limit <n>', 'changed journeys printed (--json prints all)', '20')
  .option('--region <region>', "the archive bucket's region (default: from the environment)")
  .option('--render', 'render every email as the send function would (slower; shows content that fails to render)')
  .option('--json', 'print {customers, changed, emails, conversions, differences, ...} as JSON')
  .addHelpText(
    'after',
    '\nExamples:\n  $ waymark replay --events workflows/examples/cold-traffic.jsonl --baseline workflows --candidate ../change/workflows\n  $ waymark replay --from .waymark/events --baseline workflows --candidate ../change/workflows\n  $ waymark replay --from s3://waymark-eventarchive-1a2b3c/events --since P30D --baseline workflows --candidate ../change/workflows --json\n\nExit code 2 on a usage error, invalid workflows or an unreadable source.',
  )
  // A usage error exits with 2, as the command's own checks do (0 and 1 are left for outcomes).
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .action(async (options) => {
    const { replayCommand } = await import('./replay-command');
    process.exitCode = await replayCommand(options);
  });

program
  .command('dev')
  .description('Run the whole engine on this machine (DynamoDB Local, a local SES server, the Lambda handlers) with a live journey map')
  .option('--workflows <dir>', 'the workflows directory', 'workflows')
  .option('--port <port>', 'journey map, API, PutEvents and unsubscribe endpoint (0: any free port)', '8787')
  .option('--ses-port <port>', 'the local SES server and its mail viewer', '8005')
  .option('--dynamo-port <port>', 'DynamoDB Local', '8000')
  .option('--host <host>', 'the loopback address to listen on: 127.0.0.1, localhost or ::1 (never a network interface)', '127.0.0.1')
  .option('--data <dir>', 'where DynamoDB Local keeps its data (kept across restarts), and the event archive (DIR/events, for waymark replay)', '.waymark')
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

program
  .command('simulate')
  .description('Forecast a journey before launch: synthetic customers (your audience mix) through the real engine on a virtual clock (emails per day, SES peaks, reach per step and stage, each branch case and split variant, engagement per content kind, conversion and revenue per kind of customer)')
  .argument('<workflow>', 'a workflow file (validated with its directory and content) or a workflow id')
  .requiredOption('--customers <n>', 'how many synthetic customers enter')
  .option('--days <d>', 'days simulated', '30')
  .option('--seed <s>', 'random seed: the same seed gives the same forecast', '1')
  .option('--entry-days <e>', 'customers enter spread over this many days from the start (default: a third of --days, rounded up)')
  .option('--start <iso-time>', 'when the period starts (default 2026-11-02T00:00:00Z, a Monday)')
  .option('--ses-rate <r>', "the account's SES maximum send rate, emails per second (default 14)")
  .option('--config <file>', 'JSON: profiles (the audience mix), engagement by content kind, conversionPerClick, baseConversion, goalValue, waitedEvents, sesMaxSendRate, timeZones')
  .option('--workflows <dir>', 'where to look up a workflow given by id', 'workflows')
  .option('--workers <n>', 'worker threads (default: one per CPU core, at most 4, from 10,000 customers; the forecast is the same)')
  .option('--json', 'print the SimulationOutput (forecast, parameters and counters) as JSON, for `waymark report`')
  .addHelpText(
    'after',
    '\nExamples:\n  $ waymark simulate workflows/cold-traffic-nurture.json --customers 100000 --days 30 --seed 1\n  $ waymark simulate post-purchase --customers 5000 --config sim.json --json > forecast.json\n\nConfig (every field optional):\n  {"profiles": [{"weight": 3, "profile": {"plan": "trial", "timezone": "Europe/Berlin"}},\n                {"weight": 1, "name": "free plan", "profile": {"plan": "free"}, "engagement": {"*": {"open": 0.2, "click": 0.02}}}],\n   "engagement": {"article": {"open": 0.45, "click": 0.12}, "*": {"open": 0.3, "click": 0.05}},\n   "conversionPerClick": 0.08, "baseConversion": 0.03, "goalValue": {"min": 20, "max": 200},\n   "waitedEvents": {"survey.answered": 0.4}, "sesMaxSendRate": 14, "timeZones": ["America/New_York", "Europe/Berlin"]}\n\nExit code 1 when the workflow or the options are invalid.',
  )
  .action(async (workflow: string, options: Record<string, string | boolean | undefined>) => {
    const { simulateCommand } = await import('./simulate-command');
    process.exitCode = await simulateCommand(workflow, options);
  });

program
  .command('report')
  .description('Write one self-contained HTML report of journey analytics (funnel by stage, email performance, time to convert, statuses, channels, the journey map) from a simulation, a local stack or a deployed table')
  .option('--workflows <dir>', 'the workflows directory', 'workflows')
  .option('--workflow <id>', 'report on this workflow only (default: every workflow that has counters)')
  .option('--from <file>', 'a `waymark simulate --json` output file')
  .option('--endpoint [url]', 'DynamoDB Local of a running `waymark dev` (default http://127.0.0.1:8000, table waymark)')
  .option('--table <name>', 'the counters table: of the local stack with --endpoint, else a deployed table (default AWS credentials)')
  .option('--region <region>', 'the deployed table\'s AWS region (default: from the environment)')
  .option('--days <n>', 'only the last N days (UTC, up to today; for a simulation, up to its last day)')
  .option('--since <yyyy-mm-dd>', 'only counters from this day on (UTC)')
  .option('--out <file>', 'the HTML file to write (default waymark-report.html; with --json, only when given)')
  .option('--json', 'print the figures as JSON (metrics, daily series, experiments with their intervals, revenue) instead of the summary')
  .addHelpText(
    'after',
    '\nExamples:\n  $ waymark simulate cold-traffic-nurture --customers 5000 --json > sim.json\n  $ waymark report --from sim.json --out sim-report.html\n  $ waymark report --from sim.json --json          # experiments, revenue and daily series as JSON\n  $ waymark report --endpoint                       # the local stack of `waymark dev`\n  $ waymark report --table waymark-JourneyTable --region eu-west-1 --days 30 --out november.html\n\nExit code 1 on an unknown workflow, a file that is not simulate output, or when no counters are found.',
  )
  .action(async (options: { workflows: string; workflow?: string; from?: string; endpoint?: string | boolean; table?: string; region?: string; days?: string; since?: string; out?: string; json?: boolean }) => {
    const { reportCommand } = await import('./report-command');
    process.exitCode = await reportCommand(options);
  });

program
  .command('map')
  .description('Serve the journey map, read-only, on a deployed stack\'s table (default AWS credentials) or a running waymark dev: counters, funnel, experiments, trends, customers by id or email, the customers at a step')
  .option('--table <name>', 'the stack\'s table (the JourneysTable output of cdk deploy); with --endpoint, the local table (default waymark)')
  .option('--region <region>', 'the table\'s AWS region (default: from the environment)')
  .option('--endpoint [url]', 'DynamoDB Local of a running `waymark dev` (default http://127.0.0.1:8000)')
  .option('--workflows <dir>', 'the workflows directory (the graphs to draw)', 'workflows')
  .option('--port <port>', 'the map\'s port (0: any free port)', '8788')
  .option('--host <host>', 'listen on this loopback address: 127.0.0.1, localhost or ::1', '127.0.0.1')
  .addHelpText('after', '\nExamples:\n  $ waymark map --table Waymark-JourneysTable1234 --region eu-west-1\n  $ waymark map --endpoint            # the table of a running waymark dev\n\nIt needs dynamodb:Query, dynamodb:Scan and dynamodb:GetItem on the table and its email index (see the README).')
  .action(async (options: { table?: string; region?: string; endpoint?: string | boolean; workflows: string; port: string; host: string }) => {
    const { mapCommand } = await import('./map-command');
    process.exitCode = await mapCommand(options);
  });

const collect = (value: string, previous: string[] = []) => [...previous, value];
const audience = program.command('audience').description('Lists and segments: customers join an audience as "Audience Joined" events, and journeys enter on it');
/** `waymark audience` commands exit with 2 on a usage error (0 and 1 say whether every row or customer made it). */
const usageExit = (error: { exitCode: number }) => process.exit(error.exitCode === 0 ? 0 : 2);

audience
  .command('import')
  .description('Import a list (CSV or JSON Lines): one "Audience Joined" event per row, sent to `waymark dev` or a deployed bus, or written to a file')
  .argument('<file>', 'CSV (a header row; "," or ";"; UTF-8) or JSON Lines (*.jsonl): an email column, customerId or id (else derived from the email), other columns become profile attributes')
  .option('--audience <name>', 'required: the audience the customers join (journeys enter on it)')
  .option('--endpoint <url>', 'send to a running `waymark dev` (its events endpoint, e.g. http://127.0.0.1:8787)')
  .option('--bus <name>', 'send to a deployed EventBridge bus (default AWS credentials)')
  .option('--region <region>', "the deployed bus's region (default: from the environment)")
  .option('--out <file.jsonl>', 'write the events to a file instead (for `waymark run --events`, `simulate` and review)')
  .option('--dry-run', 'check the file only: report every row that would be rejected, send nothing')
  .option('--rate <n>', 'events per second at most', '100')
  .option('--number <column>', 'a column whose values are numbers (repeat, or separate with commas); other values stay text', collect)
  .option('--format <format>', 'csv or jsonl (default: by the file extension)')
  .option('--delimiter <char>', '"," or ";" (default: the one the header row uses)')
  .option('--time <iso-time>', "the events' time (default: now; sent to a bus only when given)")
  .option('--workflows <dir>', 'warn when no journey here enters on the audience', 'workflows')
  .addHelpText(
    'after',
    '\nExamples:\n  $ waymark audience import leads.csv --audience spring-webinar --out events.jsonl && waymark run --events events.jsonl\n  $ waymark audience import leads.csv --audience spring-webinar --endpoint http://127.0.0.1:8787\n  $ waymark audience import leads.csv --audience spring-webinar --bus waymark-1a2b3c4d --number score --rate 500\n\nRejected rows (bad email, missing id, duplicate in the file, profile too large, ...) are listed with their line\nin FILE.rejected.csv beside the list. Exit code 0: every row imported; 1: some rows rejected or not sent (the\nothers were); 2: a usage error, or nothing could be imported.',
  )
  .exitOverride(usageExit)
  .action(async (file: string, options) => {
    const { audienceImportCommand } = await import('./audience-command');
    process.exitCode = await audienceImportCommand(file, options);
  });

audience
  .command('segment')
  .description('Run one segment now: customers whose stored profile newly matches join its audience')
  .argument('<id>', 'a segment id (in --segments) or a segment file')
  .option('--segments <dir>', 'the segments directory', 'segments')
  .option('--dev', 'against a running `waymark dev` (DynamoDB Local at http://127.0.0.1:8000, table waymark; events to http://127.0.0.1:8787)')
  .option('--endpoint <url>', "`waymark dev`'s events endpoint (implies --dev)")
  .option('--dynamo-endpoint <url>', "`waymark dev`'s DynamoDB Local (implies --dev)")
  .option('--table <name>', 'the table: a deployed one (default AWS credentials), or the local one with --dev')
  .option('--bus <name>', 'the deployed bus to send to')
  .option('--region <region>', "the deployed table's and bus's region")
  .option('--out <file.jsonl>', 'write the events to a file instead (records no member)')
  .option('--dry-run', 'count who would join; write and send nothing')
  .option('--rate <n>', 'events per second at most', '100')
  .option('--read-rate <n>', 'read units per second the scan may use at most', '1000')
  .option('--parallel <n>', 'parts scanned in parallel', '4')
  .addHelpText('after', '\nExamples:\n  $ waymark audience segment trial-nudge --dev\n  $ waymark audience segment trial-nudge --table Waymark-JourneysTable1234 --bus waymark-1a2b3c4d --region eu-west-1\n\nExit code 1 when some events could not be sent; 2 on a usage error or an invalid segment.')
  .exitOverride(usageExit)
  .action(async (id: string, options) => {
    const { audienceSegmentCommand } = await import('./audience-command');
    process.exitCode = await audienceSegmentCommand(id, options);
  });

audience
  .command('segments')
  .description('Validate and list segments (default segments/): every problem with its file and JSON path')
  .argument('[paths...]', 'segment files or directories', [])
  .option('--workflows <dir>', 'warn about audiences no journey here enters on', 'workflows')
  .option('--json', 'print a machine-readable report')
  .addHelpText('after', '\nExit code 1 when any problem is found.')
  .exitOverride(usageExit)
  .action(async (paths: string[], options) => {
    const { audienceSegmentsCommand } = await import('./audience-command');
    process.exitCode = audienceSegmentsCommand(paths, options);
  });

const journeys = program.command('journeys').description('Live journeys: list them, pause, resume or stop one (no deploy needed), against `waymark dev` or a deployed table');
const journeysTarget = (command: Command) =>
  command
    .option('--endpoint [url]', 'a running `waymark dev` (default http://127.0.0.1:8787)')
    .option('--table <name>', 'a deployed stack\'s table (its TableName output; default AWS credentials)')
    .option('--region <region>', 'the table\'s AWS region (default: from the environment)')
    .option('--workflows <dir>', 'the workflows directory that was deployed (with --table)', 'workflows')
    .option('--json', 'print the outcome as JSON')
    .exitOverride(usageExit);
journeysTarget(journeys.command('list').description('Each journey: active, paused or stopped; its customers by version; those moved by a newer version\'s migrate'))
  .addHelpText('after', '\nExamples:\n  $ waymark journeys list --endpoint\n  $ waymark journeys list --table Waymark-JourneyTable1234 --region eu-west-1')
  .action(async (options) => {
    const { journeysCommand } = await import('./journeys-command');
    process.exitCode = await journeysCommand('list', undefined, options);
  });
journeysTarget(journeys.command('pause').description('Stop sending a journey\'s emails within a minute: customers hold at their email step, events still apply').argument('<workflow>', 'the workflow id'))
  .action(async (workflow: string, options) => {
    const { journeysCommand } = await import('./journeys-command');
    process.exitCode = await journeysCommand('pause', workflow, options);
  });
journeysTarget(journeys.command('resume').description('Resume a paused (or stopped) journey: held emails go in their send window, under the caps and the budget').argument('<workflow>', 'the workflow id'))
  .option('--drop-held', 'drop the emails held by the pause instead of sending them')
  .action(async (workflow: string, options) => {
    const { journeysCommand } = await import('./journeys-command');
    process.exitCode = await journeysCommand('resume', workflow, options);
  });
journeysTarget(journeys.command('stop').description('End every active customer of a journey ("exited", counted) and let no one enter until a newer version is deployed').argument('<workflow>', 'the workflow id'))
  .option('--yes', 'really stop it')
  .addHelpText('after', '\nOn a deployed table, waits 35 s for every function to see the stop before ending its customers.')
  .action(async (workflow: string, options) => {
    const { journeysCommand } = await import('./journeys-command');
    process.exitCode = await journeysCommand('stop', workflow, options);
  });

program
  .command('import')
  .description('Import journeys from another tool')
  .command('pinpoint')
  .description('Turn Amazon Pinpoint journey exports (aws pinpoint get-journey) into Waymark workflows and content, and report what was carried over, approximated or left out')
  .requiredOption('--journey <files...>', 'output of `aws pinpoint get-journey` ({"JourneyResponse": ...}) or a bare journey object; several allowed')
  .option('--templates <paths...>', 'directories or files with outputs of `aws pinpoint get-email-template`, one template per file')
  .option('--settings <file>', 'output of `aws pinpoint get-application-settings`: application-wide journey limits and quiet time')
  .requiredOption('--out <dir>', 'the workflows directory to write into (DIR/<id>.json, DIR/content/pinpoint-<id>.json)')
  .option('--id <id>', 'the workflow id (default: the journey\'s Name, slugified)')
  .option('--from <sender>', 'the sender, e.g. "Acme <hello@acme.example>" (default: the EMAIL activities\' FromAddress)')
  .addOption(new Option('--customer <id>', 'which Pinpoint id your events send as detail.customerId').choices(['user', 'endpoint']).default('user'))
  .option('--force', 'replace DIR/<id>.json if it exists (a previous import)')
  .option('--json', 'print the outcome and report as JSON')
  .addHelpText(
    'after',
    '\nExample:\n  $ aws pinpoint get-journey --application-id $APP --journey-id $JOURNEY > welcome.json\n  $ aws pinpoint get-email-template --template-name Welcome > templates/Welcome.json\n  $ waymark import pinpoint --journey welcome.json --templates templates --out workflows\n\nExit code 0 when every workflow written is valid (warnings allowed), 1 otherwise.',
  )
  .action(async (options: ImportPinpointOptions) => {
    const { importPinpointCommand } = await import('./import-command');
    process.exitCode = importPinpointCommand(options);
  });

await program.parseAsync(process.argv);
