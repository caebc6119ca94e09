/**
 * `waymark dev` (what `npm start` runs): the engine on local servers, with the
 * journey map, until Ctrl-C.
 */
import { writeFileSync } from 'node:fs';
import { type DevServer, startDev } from '../dev/dev-server';
import { isLoopbackHost } from '../dev/request-guard';
import { WorkflowLoadError } from '../runtime/workflow-files';
import { color, plural, shortTime, symbols } from './output';

export interface DevCommandOptions {
  workflows: string;
  port: string;
  sesPort: string;
  dynamoPort: string;
  host: string;
  data: string;
  fresh?: boolean;
  speed: string;
  start?: string;
  demo?: boolean;
  seed?: string;
  readyFile?: string;
}

function describeSpeed(speed: number): string {
  if (speed === 1) return 'real time';
  if (speed === 3600) return '×3600: one simulated hour per second';
  if (speed === 86_400) return '×86400: one simulated day per second';
  return `×${speed}`;
}

/** The "Send an event" hint: an entry event of the first workflow, with a profile carrying an email. */
function sendAnEvent(server: DevServer): string {
  if (!server.exampleEvent) return `\n  ${color.yellow('No workflows')} in the workflows directory: add one and restart.`;
  const entries = JSON.stringify([server.exampleEvent]).replaceAll("'", "'\\''");
  return `\n  Send an event:\n    ${color.dim(`aws events put-events --endpoint-url ${server.urls.events} --region us-east-1 \\\n      --entries '${entries}'`)}`;
}

export async function devCommand(options: DevCommandOptions): Promise<number> {
  const speed = Number(options.speed);
  if (!(speed > 0)) {
    console.error(`${symbols.fail} --speed must be a positive number, not "${options.speed}"`);
    return 2;
  }
  if (options.start !== undefined && Number.isNaN(Date.parse(options.start))) {
    console.error(`${symbols.fail} --start expects an ISO 8601 time such as 2026-11-02T14:00:00Z, not "${options.start}"`);
    return 2;
  }
  if (!isLoopbackHost(options.host)) {
    console.error(
      `${symbols.fail} --host must be 127.0.0.1, localhost or ::1, not "${options.host}": waymark dev takes events, moves its clock and unsubscribes customers without authentication, so it listens on this machine only`,
    );
    return 2;
  }
  const host = options.host;
  console.log(`${color.bold('Waymark dev')} ${color.dim('starting DynamoDB Local and the local SES server…')}`);
  let server: DevServer | undefined;
  try {
    server = await startDev({
      workflowsDirectory: options.workflows,
      port: Number(options.port),
      sesPort: Number(options.sesPort),
      dynamoPort: Number(options.dynamoPort),
      host,
      dataDirectory: options.data,
      fresh: options.fresh ?? false,
      speed,
      ...(options.start === undefined ? {} : { start: Date.parse(options.start) }),
      demo: options.demo ?? false,
      ...(options.seed === undefined ? {} : { seed: Number(options.seed) }),
      log: (line) => console.log(`${color.dim(`[${shortTime(server?.clock.now() ?? Date.now())}]`)} ${line}`),
    });
  } catch (error) {
    console.error(`${symbols.fail} ${error instanceof WorkflowLoadError ? error.message : `waymark dev could not start: ${(error as Error).message}`}`);
    return 1;
  }

  const running = server;
  const { urls } = running;
  console.log(`
  ${color.bold('Journey map')}    ${color.cyan(urls.map)}
  ${color.bold('Mail viewer')}    ${color.cyan(urls.mailViewer)}
  ${color.bold('Events')}         ${color.cyan(urls.events)}  ${color.dim('(EventBridge PutEvents: --endpoint-url for the AWS CLI and SDK)')}
  ${color.bold('DynamoDB Local')} ${color.cyan(urls.dynamo)}  ${color.dim(`(data in ${options.data}${options.fresh ? ', started fresh' : '; --fresh to wipe'})`)}
  ${color.bold('Clock')}          ${describeSpeed(speed)}, now ${shortTime(running.clock.now())} UTC
${options.demo ? `\n  ${color.green('Demo')}: customers arrive in every workflow on their own; watch them on the journey map.` : ''}${sendAnEvent(running)}

  Press Ctrl-C to stop.
`);
  if (options.readyFile) writeFileSync(options.readyFile, JSON.stringify(urls));

  // Progress: a line every few seconds while something happens.
  let last = '';
  const progress = setInterval(() => {
    const { counts, customerCount } = running.journal;
    const line = `${plural(customerCount, 'customer')} · ${plural(counts.eventsApplied, 'input')} applied · ${plural(counts.emailsSent, 'email')} sent${counts.rejected ? ` · ${counts.rejected} rejected` : ''}`;
    if (line !== last) console.log(`${color.dim(`[${shortTime(running.clock.now())}]`)} ${line}`);
    last = line;
  }, 5000);

  await new Promise<void>((resolve) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      resolve();
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  clearInterval(progress);
  console.log(`\n${color.dim('stopping: saving the clock, stopping the local servers…')}`);
  await running.stop();
  console.log(`${symbols.ok} stopped`);
  return 0;
}
