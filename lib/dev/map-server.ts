/**
 * `waymark map`: the journey map of `waymark dev`, read-only, on a table: a
 * deployed stack's (default AWS credentials) or a running `waymark dev`'s
 * DynamoDB Local. It reads counters (one Query per workflow and poll), a
 * customer's partition, the email index, and pages of journey items for the
 * customers at a step; it writes nothing, and serves GET only, on a loopback
 * address.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Workflow } from '../engine/schema';
import { customerIdsByEmail } from '../runtime/customer-lookup';
import { DynamoStore } from '../runtime/dynamo-store';
import type { CustomerPage, Overview } from './api-types';
import { answerMapApi, customerSummary, customerViewFromTable, type MapBackend, stepCustomersFromTable } from './map-api';
import { workflowView } from './overview';
import { guardRequest, type LoopbackHost, loopbackListenAddress, urlHost } from './request-guard';
import { webAsset } from './web-assets';

export interface MapServerOptions {
  client: DynamoDBClient;
  tableName: string;
  /** The latest version of each workflow: the graphs to draw. */
  workflows: Workflow[];
  /** Where the data comes from, in words ("table waymark-Journeys (eu-west-1)"). */
  source: string;
  host: LoopbackHost;
  /** 0: any free port. */
  port: number;
  now?: () => number;
}

export interface MapServer {
  url: string;
  server: Server;
  stop(): Promise<void>;
}

/** The read-only backend on a table (exported for tests). */
export function tableMapBackend(options: Pick<MapServerOptions, 'client' | 'tableName' | 'workflows' | 'source' | 'now'>): MapBackend {
  const store = new DynamoStore({ client: options.client, tableName: options.tableName });
  const now = options.now ?? Date.now;
  const startedAt = now();
  const byId = new Map(options.workflows.map((w) => [w.id, w]));
  return {
    async overview(): Promise<Overview> {
      const workflows = await Promise.all(options.workflows.map(async (w) => workflowView(w, await store.readCounters(w.id), (await store.loadControl(w.id))?.status ?? 'active')));
      return {
        mode: 'table',
        source: options.source,
        clock: { now: new Date(now()).toISOString(), speed: 1, startedAt: new Date(startedAt).toISOString() },
        links: null,
        totals: null,
        workflows,
        activity: [],
      };
    },
    async customers(query, offset, limit): Promise<CustomerPage> {
      // No listing of a whole table: a customer is looked up by id (their partition) or email (the index).
      if (query === '') return { customers: [], offset, limit, total: 0, hint: 'Type a customer id or an email address (or click a step to list the customers there).' };
      const ids = query.includes('@') ? await customerIdsByEmail(options.client, options.tableName, query, 100) : [query];
      const rows = (await Promise.all(ids.map((id) => customerSummary(store, id, null)))).filter((r) => r !== undefined);
      return { customers: rows.slice(offset, offset + limit), offset, limit, total: rows.length, hint: null };
    },
    // The table keeps where a customer is, not every step they passed.
    customer: (customerId) => customerViewFromTable(store, customerId),
    stepCustomers: (workflowId, stepId, cursor) => stepCustomersFromTable(options.client, options.tableName, (w, s) => byId.get(w)?.steps[s] !== undefined, workflowId, stepId, cursor),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-store' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export async function startMapServer(options: MapServerOptions): Promise<MapServer> {
  const backend = tableMapBackend(options);
  const address = loopbackListenAddress(options.host);
  let port = options.port;
  const server = createServer((request, response) => {
    void (async () => {
      const url = new URL(request.url ?? '/', `http://${urlHost(options.host)}:${port}`);
      const verdict = guardRequest({ method: request.method ?? 'GET', path: url.pathname, host: request.headers.host, origin: request.headers.origin, amzTarget: undefined }, port);
      if (!verdict.allowed) return send(response, verdict.status, verdict.reason);
      if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'waymark map is read-only');
      const answer = await answerMapApi(backend, 'GET', url);
      if (answer) return send(response, answer.status, answer.body);
      const asset = await webAsset(url.pathname);
      if (asset) {
        response.writeHead(200, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' });
        return void response.end(asset.body);
      }
      send(response, 404, { message: `nothing at ${url.pathname}` });
    })().catch((error: Error) => {
      if (!response.headersSent) send(response, 500, { message: error.message });
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, address, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${urlHost(options.host)}:${port}/`,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
