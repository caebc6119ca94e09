/**
 * `waymark journeys list|pause|resume|stop`: a live journey's lifecycle, against a running
 * `waymark dev` (its API, on its clock) or a deployed table (the control item the functions read
 * through a 30-second cache). No deploy is needed: a pause reaches every function within a minute.
 */
import type { JourneyListing, LifecycleAction, LifecycleChange } from '../runtime/journey-lifecycle';
import { loadValidWorkflows, WorkflowLoadError } from '../runtime/workflow-files';
import { color, symbols, table } from './output';

export const DEV_API = 'http://127.0.0.1:8787';

export interface JourneysOptions {
  /** A running `waymark dev`; true when given without a value. */
  endpoint?: string | boolean;
  table?: string;
  region?: string;
  workflows: string;
  json?: boolean;
  dropHeld?: boolean;
  yes?: boolean;
}

export class JourneysInputError extends Error {
  override readonly name = 'JourneysInputError';
}

/** What `list` read, and the time "now" was where it read it (the ages in the listing are counted from it). */
export interface JourneysSnapshot {
  journeys: JourneyListing[];
  /**
   * `waymark dev`'s clock (it runs faster than real time, and from wherever it was started), or the
   * wall clock for a deployed table. Undefined from a dev server too old to tell its clock: no ages then.
   */
  now: number | undefined;
}

/** Where the journeys live: a running `waymark dev`, or a deployed table. */
interface JourneysBackend {
  describe: string;
  /** When a change reaches every function: the dev server clears its cache, a deployed function's cache lives 30 seconds. */
  takesEffect: 'from now on' | 'within a minute';
  list(): Promise<JourneysSnapshot>;
  change(workflowId: string, action: LifecycleAction, options: { dropHeld: boolean; onProgress: (message: string) => void }): Promise<LifecycleChange>;
  close(): void;
}

/** What the command may be handed instead of the real thing (tests): where it writes, and how it waits. */
export interface JourneysIo {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The stop's wait for every function's cache to see it (35 seconds on a deployed table). */
  sleep?: (ms: number) => Promise<void>;
  /** A deployed table's clock: what a change is stamped with and ages are counted from (default the wall clock, the functions' clock). */
  clock?: () => number;
}

function devBackend(endpoint: string): JourneysBackend {
  const call = async (path: string, init?: RequestInit) => {
    let response: Response;
    try {
      response = await fetch(new URL(path, endpoint), init);
    } catch (error) {
      throw new JourneysInputError(`cannot reach \`waymark dev\` at ${endpoint}: is it running? (${(error as Error).message})`);
    }
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    if (!response.ok) throw new JourneysInputError(body.message ?? `${endpoint} answered ${response.status}`);
    return body;
  };
  return {
    describe: `waymark dev at ${endpoint}`,
    takesEffect: 'from now on',
    list: async () => {
      const answer = (await call('/api/journeys')) as { journeys: JourneyListing[]; now?: string };
      // Never the wall clock here: at --speed 3600 a pause an hour ago on dev's clock is a second ago on ours.
      const now = answer.now === undefined ? Number.NaN : Date.parse(answer.now);
      return { journeys: answer.journeys, now: Number.isNaN(now) ? undefined : now };
    },
    change: async (workflowId, action, options) =>
      (await call(`/api/journeys/${encodeURIComponent(workflowId)}/${action}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Origin: new URL(endpoint).origin },
        body: JSON.stringify({ dropHeld: options.dropHeld }),
      })) as LifecycleChange,
    close() {},
  };
}

async function tableBackend(tableName: string, region: string | undefined, workflowsDirectory: string, io: Pick<JourneysIo, 'sleep' | 'clock'>): Promise<JourneysBackend> {
  const clock = io.clock ?? Date.now;
  const [{ DynamoDBClient }, { DynamoStore }, lifecycle] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('../runtime/dynamo-store'), import('../runtime/journey-lifecycle')]);
  let loaded;
  try {
    loaded = loadValidWorkflows([workflowsDirectory]);
  } catch (error) {
    if (error instanceof WorkflowLoadError) throw new JourneysInputError(`${workflowsDirectory} does not load (run \`waymark validate\`):\n${error.message}`);
    throw error;
  }
  const latest = new Map<string, { id: string; name: string; version: number }>();
  for (const w of loaded.workflows) if ((latest.get(w.id)?.version ?? 0) < w.version) latest.set(w.id, { id: w.id, name: w.name, version: w.version });
  // The default credential chain; never credentials of our own. The SDK also honours
  // AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local, say) like every AWS tool.
  const client = new DynamoDBClient(region ? { region } : {});
  const store = new DynamoStore({ client, tableName });
  const workflowOf = (id: string) => {
    const workflow = latest.get(id);
    if (!workflow) throw new JourneysInputError(`no workflow "${id}" in ${workflowsDirectory} (workflows: ${[...latest.keys()].join(', ')})`);
    return workflow;
  };
  const wrap = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof lifecycle.LifecycleError || error instanceof JourneysInputError) throw error;
      const name = (error as { name?: string }).name ?? '';
      const message = (error as Error).message;
      if (name === 'ResourceNotFoundException') throw new JourneysInputError(`no table "${tableName}"${region ? ` in ${region}` : ''}: pass the TableName output of the stack`);
      if (name === 'CredentialsProviderError' || /credential/i.test(message)) throw new JourneysInputError(`no AWS credentials: configure them the usual way (AWS_PROFILE, environment, SSO) (${message})`);
      if (/region/i.test(message)) throw new JourneysInputError(`no AWS region for table ${tableName}: pass --region or set AWS_REGION (${message})`);
      throw error;
    }
  };
  return {
    describe: `table ${tableName}${region ? ` (${region})` : ''}`,
    takesEffect: 'within a minute',
    // The deployed functions and this command both stamp the table with the wall clock: ages are counted from it.
    list: () => wrap(async () => ({ journeys: await lifecycle.listJourneys(store, [...latest.values()]), now: clock() })),
    change: (id, action, options) =>
      wrap(() => lifecycle.changeLifecycle(store, workflowOf(id), action, { clock, dropHeld: options.dropHeld, onProgress: options.onProgress, ...(io.sleep ? { sleep: io.sleep } : {}) })),
    close: () => client.destroy(),
  };
}

async function backendOf(options: JourneysOptions, io: JourneysIo): Promise<JourneysBackend> {
  const endpoint = options.endpoint === undefined || options.endpoint === false ? undefined : options.endpoint === true ? DEV_API : options.endpoint;
  if (endpoint !== undefined && options.table !== undefined) throw new JourneysInputError('--endpoint (a running `waymark dev`) and --table (a deployed table) cannot be used together: pick one');
  if (endpoint !== undefined) {
    if (options.region !== undefined) throw new JourneysInputError('--region applies to a deployed table (--table) only');
    if (!/^https?:\/\/[^\s/]+/.test(endpoint)) throw new JourneysInputError(`--endpoint expects the URL of \`waymark dev\`, such as ${DEV_API}, not "${endpoint}"`);
    return devBackend(endpoint);
  }
  if (options.table !== undefined) return tableBackend(options.table, options.region, options.workflows, io);
  throw new JourneysInputError(`where are the journeys? Pass --endpoint [URL] (a running \`waymark dev\`, default ${DEV_API}) or --table NAME [--region REGION] (a deployed stack's table)`);
}

function ago(at: number, now: number): string {
  const minutes = Math.round((now - at) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 90) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.round(hours / 24)} days ago`;
}

const STATUS_COLOR = { active: color.green, paused: color.yellow, stopped: color.red } as const;

/** The table `waymark journeys list` prints; `now` is the clock of the place the listing was read from. */
export function formatListing(journeys: readonly JourneyListing[], now: number | undefined): string {
  if (journeys.length === 0) return 'no workflows';
  const rows = journeys.map((j) => {
    const since = j.since === null || now === undefined ? '' : ` (${ago(j.since, now)})`;
    const status = STATUS_COLOR[j.status](`${j.status}${since}`);
    const customers = j.activeByVersion.length === 0 ? '0' : j.activeByVersion.map((v) => `v${v.version}: ${v.customers.toLocaleString('en-US')}`).join(' · ');
    const moved = j.migrated.length === 0 ? '' : j.migrated.map((m) => `${m.customers.toLocaleString('en-US')} from v${m.from}`).join(' · ');
    const notes = [j.status === 'paused' && j.held > 0 ? `${j.held.toLocaleString('en-US')} ${j.held === 1 ? 'email' : 'emails'} held` : '', j.status === 'stopped' && j.stoppedVersion !== undefined ? `deploy v${j.stoppedVersion + 1} or resume to let customers in` : ''].filter(Boolean).join('; ');
    return [j.id, `v${j.version}`, status, customers, moved, notes];
  });
  return table([['JOURNEY', 'LATEST', 'STATUS', 'ACTIVE CUSTOMERS', 'MOVED TO A NEWER VERSION', ''], ...rows]);
}

export async function journeysCommand(action: 'list' | LifecycleAction, workflowId: string | undefined, options: JourneysOptions, io: JourneysIo = { out: (l) => console.log(l), err: (l) => console.error(l) }): Promise<number> {
  let backend: JourneysBackend;
  try {
    if (options.dropHeld && action !== 'resume') throw new JourneysInputError('--drop-held goes with `resume` only');
    if (action !== 'list' && workflowId === undefined) throw new JourneysInputError(`which journey? \`waymark journeys ${action} <workflow id>\``);
    if (action === 'stop' && !options.yes) {
      throw new JourneysInputError(`stopping ends every active customer of ${workflowId} ("exited"), drops the emails on their way, and lets no one enter until a newer version is deployed (or it is resumed): add --yes to do it`);
    }
    backend = await backendOf(options, io);
  } catch (error) {
    if (error instanceof JourneysInputError) {
      io.err(`${symbols.fail} ${error.message}`);
      return 2;
    }
    throw error;
  }
  try {
    if (action === 'list') {
      const { journeys, now } = await backend.list();
      if (options.json) io.out(JSON.stringify({ now, journeys }, null, 2));
      else io.out(`${color.bold('Journeys')} in ${backend.describe}\n${formatListing(journeys, now)}`);
      return 0;
    }
    const change = await backend.change(workflowId!, action, { dropHeld: options.dropHeld ?? false, onProgress: (message) => io.err(color.dim(message)) });
    if (options.json) {
      io.out(JSON.stringify(change, null, 2));
      return 0;
    }
    const what = {
      pause: `${symbols.ok} ${workflowId} paused: ${backend.takesEffect} no email of it reaches SES; customers hold at their email step, events still apply. \`waymark journeys resume ${workflowId}\` sends what was held (or --drop-held drops it).`,
      resume: `${symbols.ok} ${workflowId} resumed: ${options.dropHeld ? 'emails held by the pause are dropped' : 'emails held by the pause go within the next minutes, in each send window, under the caps and the budget'}.`,
      stop: `${symbols.ok} ${workflowId} stopped: ${change.ended.toLocaleString('en-US')} active customers ended ("exited"), and no one enters until a newer version is deployed (or \`waymark journeys resume ${workflowId}\`).`,
    } as const;
    io.out(what[action]);
    return 0;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (error instanceof JourneysInputError || name === 'LifecycleError') {
      io.err(`${symbols.fail} ${workflowId ? `${workflowId}: ` : ''}${(error as Error).message}`);
      return 1;
    }
    throw error;
  } finally {
    backend.close();
  }
}
