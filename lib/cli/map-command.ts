/**
 * `waymark map --table NAME [--region R]`: the journey map, read-only, on a
 * deployed stack's table (default AWS credentials), or `--endpoint [URL]` on
 * a running `waymark dev`'s DynamoDB Local.
 */
import { isLoopbackHost } from '../dev/request-guard';
import { LOCAL_STACK } from '../report/sources';
import { loadValidWorkflows, WorkflowLoadError } from '../runtime/workflow-files';
import type { Workflow } from '../engine/schema';
import { symbols } from './output';

export interface MapCommandOptions {
  workflows: string;
  table?: string;
  region?: string;
  endpoint?: string | boolean;
  port: string;
  host: string;
}

function latest(workflows: readonly Workflow[]): Workflow[] {
  const byId = new Map<string, Workflow>();
  for (const w of workflows) if ((byId.get(w.id)?.version ?? -1) < w.version) byId.set(w.id, w);
  return [...byId.values()];
}

export async function mapCommand(options: MapCommandOptions, signal?: AbortSignal): Promise<number> {
  if (!isLoopbackHost(options.host)) {
    console.error(`${symbols.fail} --host must be 127.0.0.1, localhost or ::1: the map shows customer data and has no login`);
    return 1;
  }
  if (options.table === undefined && options.endpoint === undefined) {
    console.error(`${symbols.fail} which table? Pass --table NAME [--region R] (a deployed stack's table, default AWS credentials) or --endpoint [URL] (a running waymark dev)`);
    return 1;
  }
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${symbols.fail} --port must be a port number, not "${options.port}"`);
    return 1;
  }
  let workflows: Workflow[];
  try {
    workflows = latest(loadValidWorkflows([options.workflows]).workflows);
  } catch (error) {
    if (error instanceof WorkflowLoadError) {
      console.error(`${symbols.fail} ${error.message}`);
      return 1;
    }
    throw error;
  }
  const [{ DynamoDBClient }, { startMapServer }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('../dev/map-server')]);
  let client: InstanceType<typeof DynamoDBClient>;
  let tableName: string;
  let source: string;
  if (options.endpoint !== undefined) {
    const { localDynamoClient } = await import('../runtime/local-servers');
    const endpoint = typeof options.endpoint === 'string' ? options.endpoint : LOCAL_STACK.endpoint;
    client = localDynamoClient(endpoint);
    tableName = options.table ?? LOCAL_STACK.table;
    source = `DynamoDB Local ${endpoint}, table ${tableName}`;
  } else {
    client = new DynamoDBClient(options.region ? { region: options.region } : {});
    tableName = options.table!;
    let region: string;
    try {
      region = await client.config.region();
    } catch {
      console.error(`${symbols.fail} no AWS region for table ${tableName}: pass --region or set AWS_REGION`);
      client.destroy();
      return 1;
    }
    source = `table ${tableName} (${region})`;
  }
  const map = await startMapServer({ client, tableName, workflows, source, host: options.host, port });
  console.log(`  Journey map    ${map.url}  (read-only: ${source})`);
  console.log('  Ctrl-C to stop');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop);
  });
  await map.stop();
  client.destroy();
  return 0;
}
