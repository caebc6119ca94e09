/**
 * `waymark dev`: the whole engine on one machine, no AWS account, no Docker.
 *
 * - AWS's DynamoDB Local (data kept in `.waymark/`) with the table created from
 *   the same definition as the CDK stack, and the local SES v2 server;
 * - the Lambda handlers (advance, sweep, ses-events, unsubscribe) in process,
 *   fed by an in-process bus (rules compiled from the workflows, as deployed)
 *   and an in-process work queue;
 * - a clock that can run faster than real time;
 * - one HTTP server: the journey map, its JSON API, an EventBridge-compatible
 *   PutEvents endpoint, and the one-click unsubscribe endpoint.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { CachedControls } from '../runtime/controls';
import { BufferedCounters } from '../runtime/counters';
import { DynamoStore } from '../runtime/dynamo-store';
import { DeliveryService } from '../runtime/delivery';
import { createAdvanceHandler } from '../runtime/handlers/advance';
import { createSendHandler } from '../runtime/handlers/send';
import { createSweepHandler } from '../runtime/handlers/sweep';
import { createUnsubscribeHandler } from '../runtime/handlers/unsubscribe';
import { changeLifecycle, type JourneyListing, type LifecycleAction, LifecycleError, listJourneys } from '../runtime/journey-lifecycle';
import { type AppliedStep, JourneyService, type Logger } from '../runtime/journey-service';
import { ensureTable, freePort, type LocalDynamo, type LocalSes, startDynamoDbLocal, startSesLocal } from '../runtime/local-servers';
import { LocalStreamReader } from '../runtime/local-stream';
import { isSendWork } from '../runtime/outbox-stream';
import type { Mailer, OutgoingEmail } from '../runtime/mailer';
import { MemoryUnknownOutcomes, QueueSuppressedNotices } from '../runtime/queue';
import { WorkflowRegistry } from '../runtime/registry';
import { EmailRenderer } from '../runtime/render';
import { SesMailer } from '../runtime/ses-mailer';
import { SignedUnsubscribeLinks } from '../runtime/unsubscribe-token';
import { loadValidWorkflows } from '../runtime/workflow-files';
import type { CustomerView, MessageView, Overview } from './api-types';
import { LocalBus, type PutEventsEntry, rulesFor } from './bus';
import { DevClock } from './clock';
import { DemoAudience } from './demo';
import { demoStories, entryExample } from './demo-plan';
import { DevEventArchive } from './event-archive';
import { DevJournal } from './journal';
import { answerMapApi, customerPageFromJournal, customerViewFromTable, type MapBackend, stepCustomersFromTable } from './map-api';
import { workflowView } from './overview';
import { webAsset } from './web-assets';
import { customerIdsByEmail } from '../runtime/customer-lookup';
import { guardRequest, isLoopbackHost, type LoopbackHost, loopbackListenAddress, urlHost } from './request-guard';
import { InProcessWorkQueue } from './work-queue';

export interface DevOptions {
  workflowsDirectory: string;
  /** The journey map, API, events and unsubscribe endpoint (0: any free port). */
  port: number;
  sesPort: number;
  dynamoPort: number;
  /** Where the map and the SES server listen: a loopback name only (DynamoDB Local is always on 127.0.0.1). */
  host: LoopbackHost;
  /** Where DynamoDB Local keeps its data, the clock and the signing key. */
  dataDirectory: string;
  fresh: boolean;
  speed: number;
  /** Where the clock starts (epoch ms) on a fresh data directory; default now. */
  start?: number;
  demo: boolean;
  seed?: number;
  log: (line: string) => void;
}

export interface DevServer {
  urls: { map: string; events: string; mailViewer: string; dynamo: string; unsubscribe: string };
  clock: DevClock;
  journal: DevJournal;
  /** A PutEvents entry that makes a customer enter the first workflow (undefined without workflows): the "Send an event" hint. */
  exampleEvent: { Source: string; DetailType: string; Detail: string } | undefined;
  /** Moves the clock forward and processes everything that falls due (the demo audience's events too), then resolves. */
  advance(ms: number): Promise<number>;
  /** Resolves when the work queue is empty and nothing is due. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

const TABLE = 'waymark';

async function portOrFree(preferred: number, host: string): Promise<number> {
  if (preferred === 0) return freePort();
  const free = await new Promise<boolean>((resolvePort) => {
    const probe = createServer();
    probe.once('error', () => resolvePort(false));
    probe.listen(preferred, host, () => probe.close(() => resolvePort(true)));
  });
  return free ? preferred : freePort();
}

function readBody(request: IncomingMessage, limit = 1_048_576): Promise<string> {
  return new Promise((resolveBody, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('request body too large'));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'Content-Type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json', 'Cache-Control': 'no-store', ...headers });
  response.end(text);
}

export async function startDev(options: DevOptions): Promise<DevServer> {
  const log = options.log;
  // Never on a network interface: the endpoints take events and unsubscribes without authentication.
  if (!isLoopbackHost(options.host)) throw new Error(`host must be 127.0.0.1, localhost or ::1, not "${String(options.host)}": waymark dev serves this machine only`);
  const listenAddress = loopbackListenAddress(options.host);
  const loaded = loadValidWorkflows([options.workflowsDirectory]);
  const registry = WorkflowRegistry.fromLoaded(loaded);

  const dataDirectory = resolve(options.dataDirectory);
  if (options.fresh) rmSync(dataDirectory, { recursive: true, force: true });
  mkdirSync(dataDirectory, { recursive: true });
  const statePath = join(dataDirectory, 'dev-state.json');
  const saved = existsSync(statePath) ? (JSON.parse(readFileSync(statePath, 'utf8')) as { clock?: number; unsubscribeKey?: string; stream?: Record<string, string> }) : {};
  const unsubscribeKey = saved.unsubscribeKey ?? randomBytes(24).toString('base64url');

  const [dynamoPort, sesPort, port] = [await portOrFree(options.dynamoPort, '127.0.0.1'), await portOrFree(options.sesPort, listenAddress), await portOrFree(options.port, listenAddress)];
  const baseUrl = `http://${urlHost(options.host)}:${port}`;
  let dynamo: LocalDynamo | undefined;
  let ses: LocalSes | undefined;
  try {
    [dynamo, ses] = await Promise.all([
      startDynamoDbLocal({ port: dynamoPort, dataDirectory: join(dataDirectory, 'dynamodb'), corsOrigin: baseUrl }),
      startSesLocal({ port: sesPort, host: listenAddress }),
    ]);
  } catch (error) {
    await Promise.allSettled([dynamo?.stop(), ses?.stop()]);
    throw error;
  }
  if (dynamo.notice) log(`warning: ${dynamo.notice}`);
  await ensureTable(dynamo.client, TABLE);

  // The clock starts once the servers are up. A kept table has customers on the clock it stopped at:
  // carry on from there, never backwards.
  const clock = new DevClock(options.speed, Math.max(options.start ?? Date.now(), saved.clock ?? 0));
  const startedAt = clock.now();
  // The stream position is kept too: a restart sends what was decided before it, and nothing twice.
  let streamCheckpoints: Record<string, string> = saved.stream ?? {};
  const saveState = () => writeFileSync(statePath, JSON.stringify({ clock: clock.now(), unsubscribeKey, stream: streamCheckpoints }));
  saveState();

  const urls = { map: `${baseUrl}/`, events: baseUrl, mailViewer: `${ses.endpoint}/`, dynamo: dynamo.endpoint, unsubscribe: `${baseUrl}/unsubscribe` };
  const now = () => clock.now();
  const quiet: Logger = {
    info() {},
    warn: (message, data) => log(`warning: ${message}${data?.reason ? `: ${String(data.reason)}` : ''}`),
    error: (message, data) => log(`error: ${message}${data?.error ? `: ${String(data.error)}` : data?.reason ? `: ${String(data.reason)}` : ''}`),
  };

  const store = new DynamoStore({ client: dynamo.client, tableName: TABLE, dueShards: 1 });
  let stopped = false;
  const journal = new DevJournal();
  const counters = new BufferedCounters(store);
  let demo: DemoAudience | undefined;
  const sesMailer = new SesMailer(ses.client, { configurationSetName: 'waymark-dev' });
  const mailer: Mailer = {
    async send(email: OutgoingEmail) {
      const outcome = await sesMailer.send(email);
      journal.onSent(email, outcome, now());
      demo?.onEmailSent(email, outcome);
      return outcome;
    },
  };
  // Pause, resume and stop through the map or `waymark journeys --endpoint`: the cache is cleared on each change here.
  const controls = new CachedControls(store);
  const observer = (applied: AppliedStep) => {
    journal.onApplied(applied);
    demo?.onApplied(applied);
  };
  const service = new JourneyService({ registry, store, counters, controls, observer, log: quiet });
  const advanceHandler = createAdvanceHandler({
    service,
    store,
    deadLetters: {
      send: async (body, reason) => {
        queue.deadLetters.push({ body, reason });
        journal.counts.rejected += 1;
        journal.record('rejected', now(), null, null, `rejected an input: ${reason}`);
      },
    },
    counters,
    now,
    log: quiet,
    onReport: journal.onReport,
  });
  const queue: InProcessWorkQueue = new InProcessWorkQueue(
    async (event) => {
      const response = await advanceHandler(event);
      journal.counts.eventsApplied += event.Records.length - response.batchItemFailures.length;
      return response;
    },
    { visibilityTimeoutMs: 2000, onError: (error) => log(`error: ${error.message}`) },
  );
  const unknownOutcomes = new MemoryUnknownOutcomes();
  const delivery = new DeliveryService({
    registry,
    store,
    controls,
    mailer,
    links: new SignedUnsubscribeLinks({ baseUrl: urls.unsubscribe, key: unsubscribeKey, mailto: 'unsubscribe@waymark.localhost' }),
    renderer: new EmailRenderer(),
    notices: new QueueSuppressedNotices(queue),
    unknown: unknownOutcomes,
    log: quiet,
  });
  // The send function, fed by DynamoDB Local's stream through the real Streams API, as Lambda feeds it.
  const stream = new LocalStreamReader({
    dynamo: dynamo.client,
    endpoint: dynamo.endpoint,
    tableName: TABLE,
    handler: createSendHandler({ delivery, store, now, log: quiet }),
    filter: isSendWork,
    checkpoints: streamCheckpoints,
    onFailure: (records, reason) => log(`error: send gave up on ${records.length} stream record(s): ${reason}`),
  });
  streamCheckpoints = stream.checkpoints;
  // A timer read by the sweep a moment before an input's write lands is caught by reading again a little behind
  // the cursor: at a fast clock that "little" is the real time a batch takes, in simulated time.
  const sweep = createSweepHandler({
    store,
    controls,
    // Every control change goes through this process, which clears the cache: nothing to wait for.
    controlSettleMs: 0,
    queue,
    now,
    log: quiet,
    shards: 1,
    batchLimit: 5000,
    marginMs: Math.max(120_000, options.speed * 10_000),
    deployed: registry.all.map((c) => ({ id: c.id, version: c.version })),
    unparkEveryMs: 60_000,
  });
  const unsubscribe = createUnsubscribeHandler({ store, keys: async () => [unsubscribeKey], now, log: quiet, brand: 'Waymark demo' });
  const bus = new LocalBus(rulesFor(registry.all.map((c) => c.definition), [...registry.catalogue.items], loaded.settings.profileAttributes ?? []), (json) => queue.enqueue(json), now);
  // Every customer event received, for `waymark replay --from <data>/events`.
  const archive = (bus.archive = new DevEventArchive(join(dataDirectory, 'events'), { onError: (error) => log(`error: event archive: ${error.message}`) }));
  queue.start();

  // The sweep runs every simulated minute (at most four times a real second); the stream is read every 200 ms.
  let sweeping = false;
  const runSweep = async (): Promise<number> => {
    if (sweeping || stopped) return 0;
    sweeping = true;
    try {
      return (await sweep()).enqueued;
    } catch (error) {
      log(`error: sweep: ${(error as Error).message}`);
      return 0;
    } finally {
      sweeping = false;
    }
  };
  let pumping: Promise<number> | undefined;
  const pumpStream = async (): Promise<number> => {
    if (pumping) return pumping;
    if (stopped) return 0;
    pumping = stream.poll().catch((error: Error) => {
      if (!stopped) log(`error: stream: ${error.message}`);
      return 0;
    });
    try {
      return await pumping;
    } finally {
      pumping = undefined;
    }
  };
  const sweepTimer = setInterval(() => void runSweep(), Math.max(250, clock.realDelay(60_000)));
  const streamTimer = setInterval(() => void pumpStream(), 200);
  const stateTimer = setInterval(saveState, 5000);

  /** Until the queue, the stream and the sweep have nothing left to do at the current time. */
  const settle = async () => {
    for (let round = 0; round < 10_000 && !stopped; round++) {
      await queue.drained();
      while (sweeping) await new Promise((r) => setTimeout(r, 10));
      const streamed = await pumpStream();
      const swept = await runSweep();
      if (swept === 0 && streamed === 0 && queue.depth === 0) {
        await queue.drained();
        if ((await pumpStream()) === 0 && queue.depth === 0) return;
      }
    }
  };

  // Requests being handled: stopping waits for them (a POST /api/clock settles the work), then closes the connections.
  const handling = new Set<Promise<void>>();
  const server: Server = createServer((request, response) => {
    const handled = handle(request, response)
      .catch((error: Error) => {
        log(`error: ${request.method} ${request.url}: ${error.message}`);
        if (!response.headersSent) send(response, 500, { message: error.message });
      })
      .finally(() => handling.delete(handled));
    handling.add(handled);
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', baseUrl);
    const path = url.pathname;
    const target = request.headers['x-amz-target'];
    const verdict = guardRequest({ method: request.method ?? 'GET', path, host: request.headers.host, origin: request.headers.origin, amzTarget: typeof target === 'string' ? target : undefined }, port);
    if (!verdict.allowed) return send(response, verdict.status, verdict.reason);

    // EventBridge PutEvents (the SDK and the AWS CLI post here with --endpoint-url).
    if (request.method === 'POST' && typeof target === 'string') {
      if (target !== 'AWSEvents.PutEvents') return send(response, 400, { __type: 'UnknownOperationException', message: `${target} is not supported locally: only PutEvents` }, { 'Content-Type': 'application/x-amz-json-1.1' });
      let body: { Entries?: PutEventsEntry[] };
      try {
        body = JSON.parse(await readBody(request)) as { Entries?: PutEventsEntry[] };
      } catch {
        return send(response, 400, { __type: 'SerializationException', message: 'the request body is not JSON' }, { 'Content-Type': 'application/x-amz-json-1.1' });
      }
      if (!Array.isArray(body.Entries) || body.Entries.length === 0 || body.Entries.length > 10) {
        return send(response, 400, { __type: 'ValidationException', message: 'Entries must hold 1 to 10 events' }, { 'Content-Type': 'application/x-amz-json-1.1' });
      }
      return send(response, 200, bus.putEvents(body.Entries), { 'Content-Type': 'application/x-amz-json-1.1' });
    }

    if (path === '/unsubscribe') {
      const body = request.method === 'POST' ? await readBody(request) : undefined;
      const event = {
        version: '2.0',
        rawPath: path,
        rawQueryString: url.search.slice(1),
        queryStringParameters: Object.fromEntries(url.searchParams),
        headers: request.headers as Record<string, string>,
        requestContext: { http: { method: request.method ?? 'GET', path, protocol: 'HTTP/1.1', sourceIp: request.socket.remoteAddress ?? '', userAgent: String(request.headers['user-agent'] ?? '') } },
        isBase64Encoded: false,
        ...(body === undefined ? {} : { body }),
      } as unknown as LambdaFunctionURLEvent;
      const result = (await unsubscribe(event)) as { statusCode: number; headers: Record<string, string>; body: string };
      response.writeHead(result.statusCode, result.headers);
      return void response.end(result.body);
    }

    const answer = await answerMapApi(backend, request.method ?? 'GET', url);
    if (answer) return send(response, answer.status, answer.body);
    if (path === '/api/journeys' && request.method === 'GET') return send(response, 200, await journeys());
    const lifecycleMatch = /^\/api\/journeys\/([^/]+)\/(pause|resume|stop)$/.exec(path);
    if (lifecycleMatch && request.method === 'POST') {
      const workflow = registry.latestOf(decodeURIComponent(lifecycleMatch[1]!));
      if (!workflow) return send(response, 404, { message: `no workflow "${decodeURIComponent(lifecycleMatch[1]!)}" is deployed (deployed: ${registry.latest().map((c) => c.id).join(', ')})` });
      let body: { dropHeld?: unknown };
      try {
        body = JSON.parse((await readBody(request)) || '{}') as { dropHeld?: unknown };
      } catch {
        return send(response, 400, { message: 'the request body is not JSON' });
      }
      try {
        const change = await changeLifecycle(store, workflow, lifecycleMatch[2] as LifecycleAction, { clock: now, settleMs: 0, dropHeld: body.dropHeld === true });
        controls.clear();
        journal.record('lifecycle', now(), null, workflow.id, `${workflow.id} ${change.control.status}${change.ended > 0 ? `: ${change.ended} customers ending` : ''}`);
        await settle();
        return send(response, 200, { ...change, journey: (await journeys()).journeys.find((j) => j.id === workflow.id) });
      } catch (error) {
        if (error instanceof LifecycleError) return send(response, 409, { message: `${workflow.id}: ${error.message}` });
        throw error;
      }
    }
    if (path === '/api/health') return send(response, 200, { ok: true, now: new Date(now()).toISOString(), queue: queue.depth });
    const messageMatch = /^\/api\/messages\/(.+)$/.exec(path);
    if (messageMatch && request.method === 'GET') {
      const messageId = decodeURIComponent(messageMatch[1]!);
      const message = (await ses!.messages()).find((m) => m.messageId === messageId);
      if (!message) return send(response, 404, { message: 'no such message' });
      const view: MessageView = { messageId, from: message.from, to: message.destination.to, subject: message.subject, html: message.body.html ?? null, text: message.body.text ?? null, headers: message.headers ?? [] };
      return send(response, 200, view);
    }
    if (path === '/api/clock' && request.method === 'POST') {
      const body = JSON.parse((await readBody(request)) || '{}') as { advanceByMs?: number };
      const advanced = await advance(Number(body.advanceByMs ?? 0));
      return send(response, 200, { now: new Date(advanced).toISOString() });
    }
    if (path === '/api/settle' && request.method === 'POST') {
      await settle();
      return send(response, 200, { now: new Date(now()).toISOString() });
    }

    if (request.method === 'GET') {
      const asset = await webAsset(path);
      if (asset) {
        response.writeHead(200, { 'Content-Type': asset.contentType, 'Cache-Control': 'no-cache' });
        return void response.end(asset.body);
      }
    }
    send(response, 404, { message: `nothing at ${path}` });
  }

  /** GET /api/journeys: the listing, and dev's clock (`waymark journeys list` counts "paused 3 h ago" from it, not from the wall clock). */
  async function journeys(): Promise<{ now: string; journeys: JourneyListing[] }> {
    return { now: new Date(now()).toISOString(), journeys: await listJourneys(store, registry.latest().map((c) => ({ id: c.id, name: c.definition.name, version: c.version }))) };
  }

  async function overview(): Promise<Overview> {
    const workflows = await Promise.all(registry.latest().map(async (c) => workflowView(c.definition, await store.readCounters(c.id), (await store.loadControl(c.id))?.status ?? 'active')));
    return {
      mode: 'dev',
      source: 'waymark dev',
      clock: { now: new Date(now()).toISOString(), speed: clock.speed, startedAt: new Date(startedAt).toISOString() },
      links: { mailViewer: urls.mailViewer, eventsEndpoint: urls.events },
      totals: { customers: journal.customerCount, eventsApplied: journal.counts.eventsApplied, emailsSent: journal.counts.emailsSent, rejected: journal.counts.rejected },
      workflows,
      // Inputs apply at their own (event) time, not in arrival order: newest first by that time.
      activity: [...journal.activity].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)),
    };
  }

  function customerView(customerId: string): Promise<CustomerView | undefined> {
    const iso = (at: number) => new Date(at).toISOString();
    return customerViewFromTable(store, customerId, {
      path: (workflowId) => journal.pathOf(customerId, workflowId).map((p) => ({ stepId: p.stepId, at: iso(p.at) })),
      emails: () =>
        journal.emailsOf(customerId).map((e) => ({
          at: iso(e.at),
          workflowId: e.workflowId,
          stepId: e.stepId,
          contentId: e.contentId,
          subject: e.subject,
          to: e.to,
          messageId: e.messageId,
          previewUrl: e.messageId ? `/api/messages/${encodeURIComponent(e.messageId)}` : null,
        })),
    });
  }

  const backend: MapBackend = {
    overview,
    customer: customerView,
    // An exact address the journal has not seen (a customer from before this run): the email index.
    customers: (query, offset, limit) => customerPageFromJournal(journal, store, (email) => customerIdsByEmail(dynamo!.client, TABLE, email), query, offset, limit),
    stepCustomers: (workflowId, stepId, cursor) => stepCustomersFromTable(dynamo!.client, TABLE, (w, s) => registry.latestOf(w)?.definition.steps[s] !== undefined, workflowId, stepId, cursor),
  };

  async function advance(ms: number): Promise<number> {
    clock.advance(ms);
    await settle();
    // The demo audience sends what fell due meanwhile (at its own times); what that leads to may fall due too.
    while (demo?.hasDue && !stopped) {
      await demo.runDue();
      await settle();
    }
    return now();
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, listenAddress, () => resolveListen());
  });
  const actualPort = (server.address() as AddressInfo).port;
  if (actualPort !== port) throw new Error(`listening on ${actualPort}, not ${port}`);

  if (options.demo) {
    demo = new DemoAudience({
      clock,
      eventsEndpoint: urls.events,
      // SES events reach the work queue as in AWS (the configuration set's rule targets the queue).
      sesEvents: async (event) => queue.enqueue(JSON.stringify(event)),
      catalogue: registry.catalogue.byId,
      stories: demoStories(registry.latest().map((c) => c.definition)),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      log,
    });
    demo.start();
  }

  return {
    urls,
    clock,
    journal,
    exampleEvent: registry.latest()[0] && entryExample(registry.latest()[0]!.definition),
    advance,
    settle,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Stop the work before the servers it talks to, so that nothing is left calling DynamoDB Local
      // (or this server) as they go: the demo first (it posts to this server), then requests being
      // handled (a settle in progress returns at its next round), the timers, the queue's batch in
      // flight, a sweep and a stream read in progress, and the counters they left to write.
      await demo?.stop();
      clearInterval(sweepTimer);
      clearInterval(streamTimer);
      clearInterval(stateTimer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await Promise.allSettled([...handling]);
      server.closeAllConnections();
      await closed;
      await queue.stop();
      while (sweeping) await new Promise((r) => setTimeout(r, 10));
      await pumping;
      await counters.flush(quiet);
      archive.close();
      saveState();
      stream.stop();
      await Promise.allSettled([ses!.stop(), dynamo!.stop()]);
    },
  };
}
