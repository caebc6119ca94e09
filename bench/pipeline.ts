/**
 * The whole pipeline, counted: a workload's events put on the bus, routed by
 * the compiled rules (one SQS message per matching rule), applied by the real
 * `advance` handler in SQS batches of a given fill, the table's stream read
 * with the real Streams API (DynamoDB Local), the real `send` handler fed
 * stream batches of a given size (suppression check, the customer's
 * partition, rendering, SES v2 against the local server, counters), a wake-up
 * for each journey at its timer's due time (what the sweep enqueues from the
 * due index, whose keys the stream shows), and SES events for the emails sent
 * (opens, clicks, in SES's own form, with the email's tags) coming back
 * through the work queue into `advance`. The real `sweep` handler is measured
 * apart (`measureSweep`): idle, it is the same every minute whatever the
 * volume; what it adds per wake-up is measured on a loaded due index.
 *
 * Counted: every DynamoDB request and its units (bench/local-aws.ts: index
 * units, failed conditions, empty-read minimums), by function and operation;
 * every SQS message and batch; each Lambda invocation and its measured
 * duration; PutEvents entries; emails; every journey item's size as the
 * stream shows it after each write.
 *
 * Time is virtual, and an SQS batch holds `advanceBatch` messages of
 * different customers: the next ones in time order, each applied at the time
 * it carries (its timer's, for a wake-up). Customers do not affect one
 * another, and one customer's inputs (and timers, and the SES events their
 * emails cause) are applied in their own time order, exactly: a customer
 * has at most one message in a batch, since what it causes may come before
 * that customer's next one. So a sparse workload fills batches as a busy
 * production queue does, without reordering anyone's journey. The send path runs afterwards over the stream
 * records the run wrote, in batches of `sendBatch`: what it does (reads,
 * renders, sends, adds counters up) does not change what advance decides,
 * and SES engagement is scheduled when the stream carries the email (its
 * decision), so the two can be batched independently.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { type AttributeValue, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, SQSEvent } from 'aws-lambda';
import { rulesFor } from '../lib/dev/bus';
import { CachedControls } from '../lib/runtime/controls';
import { BufferedCounters } from '../lib/runtime/counters';
import { DeliveryService } from '../lib/runtime/delivery';
import { DynamoStore } from '../lib/runtime/dynamo-store';
import { ADVANCE_CONCURRENCY, createAdvanceHandler, customerOf as laneCustomerOf } from '../lib/runtime/handlers/advance';
import { createSendHandler } from '../lib/runtime/handlers/send';
import { createSweepHandler } from '../lib/runtime/handlers/sweep';
import { itemSize } from '../lib/runtime/item-size';
import { MinHeap } from '../lib/runtime/min-heap';
import { JourneyService, type Logger, type ServiceInput } from '../lib/runtime/journey-service';
import { ensureTable, localDynamoClient } from '../lib/runtime/local-servers';
import { LocalStreamReader } from '../lib/runtime/local-stream';
import { jsonLogger } from '../lib/runtime/log';
import { decodeStreamRecord, isSendWork } from '../lib/runtime/outbox-stream';
import { encodeWorkMessage, MemoryDeadLetters, MemoryUnknownOutcomes, QueueSuppressedNotices, type WorkMessage } from '../lib/runtime/queue';
import { dueShardKey, dueSortKey } from '../lib/runtime/table';
import type { WorkflowRegistry } from '../lib/runtime/registry';
import { EmailRenderer } from '../lib/runtime/render';
import { emailTags } from '../lib/runtime/ses-events';
import { SesMailer } from '../lib/runtime/ses-mailer';
import type { OutboxEntry } from '../lib/runtime/store';
import { SignedUnsubscribeLinks } from '../lib/runtime/unsubscribe-token';
import { IN_REGION_LATENCY_MS, longestOf } from './cost';
import { addRequest, type BenchServers, type CountedRequest, countDynamoRequests, emptyTally, type RequestTally } from './local-aws';

export type FunctionName = 'advance' | 'send';

/** Something that happens at a time: a producer's event on the bus, or an SES event (open, click) of an email. */
export type Happening =
  | { at: number; kind: 'bus'; event: Record<string, unknown> }
  | { at: number; kind: 'ses'; customerId: string; event: Record<string, unknown> | ((emails: EmailLog) => Record<string, unknown> | undefined) };

/** The emails the run decided so far, by customer (in order): what a deferred SES event (a workload's click) refers to. */
export type EmailLog = ReadonlyMap<string, readonly OutboxEntry[]>;

export interface PipelineWorkload {
  name: string;
  registry: WorkflowRegistry;
  customers: number;
  /** What happens regardless of the emails (entries, page views, orders…), in any order. */
  happenings: Happening[];
  /** What an email decided at its time causes (opens, clicks, conversions on the bus). */
  onEmail?: (entry: OutboxEntry) => Happening[];
}

export interface FunctionFigures {
  invocations: number;
  /** Inputs (advance: SQS messages; send: stream records). */
  items: number;
  /** Wall time measured here (DynamoDB Local and the local SES server on this machine, at its load). */
  totalMs: number;
  /** Lambda bills each invocation's duration rounded up to the millisecond: the wall time measured here, so billed. */
  billedMs: number;
  msPerInvocation: number;
  /** CPU time of this process (the handler and the SDK; the servers run in other processes). */
  cpuMs: number;
  /** DynamoDB requests and SES calls the invocations made. */
  dynamoRequests: number;
  sesCalls: number;
  /**
   * Each invocation's duration deployed, modelled: its CPU time measured here, plus the DynamoDB
   * requests and SES calls it waits for at an in-region latency (cost.ts, IN_REGION_LATENCY_MS),
   * rounded up to the millisecond as Lambda bills it. `advance` applies different customers at once
   * (ADVANCE_CONCURRENCY): their requests are waited for as the longest customer's chain, not in
   * turn. What the cost uses: on a loaded machine the wall time is mostly waiting.
   */
  modelledBilledMs: number;
  /** Bytes the handler logged (its own JSON lines). */
  logBytes: number;
}

export interface DynamoFigures extends RequestTally {
  requests: number;
}

export interface PipelineRun {
  workload: string;
  customers: number;
  /** Workflows deployed (each with a control item the functions read through a 30 s cache: cost.ts models those reads). */
  workflows: number;
  advanceBatch: number;
  sendBatch: number;
  /** Producers' PutEvents entries (what EventBridge bills). */
  busEvents: number;
  /** Bus events that matched no rule (billed by EventBridge, never queued). */
  unrouted: number;
  /** SQS messages on the work queue, by where they came from. */
  messages: { ruleDeliveries: number; sesEvents: number; wakeups: number; notices: number; total: number };
  sesEvents: Record<string, number>;
  /** SQS requests the harness made or stands for, by API (the sweep's SendMessageBatch is modelled in cost.ts). */
  sqs: { sendMessage: number; receiveMessage: number; deleteMessageBatch: number; deadLetters: number };
  lambda: Record<FunctionName, FunctionFigures>;
  /** By function, then by operation. */
  dynamo: Record<FunctionName, Record<string, DynamoFigures>>;
  dynamoTotal: DynamoFigures;
  emails: number;
  /** Stream records the send function is invoked for (journey writes with counters). */
  streamRecords: number;
  /** Counter writes the send path makes over these records at other batch sizes (one per workflow and day in a batch). */
  counterWritesBySendBatch: Record<string, number>;
  /**
   * Distinct (workflow, day) counter items in a whole day's records, on average: what a batch as
   * large as a day would write (one, with one workflow).
   */
  counterGroupsPerDay: number;
  /** Every journey write's item size (as billed: names and values), and the largest item's bytes by attribute. */
  journeyItems: { writes: number; maxBytes: number; medianBytes: number; overOneKb: number; largest: Record<string, number> };
  virtualDays: number;
}

const HOUR = 3_600_000;

/** An SQS batch as Lambda's event source mapping hands it to advance. */
function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body, i) => ({
      messageId: `m${i}`,
      receiptHandle: 'bench',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'bench', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:waymark-work',
      awsRegion: 'us-east-1',
    })),
  };
}

/** The time of a journey write: its state's clock. */
function writeTimeOf(record: DynamoDBRecord): number {
  return Number((record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined)?.st?.M?.clock?.N ?? 0);
}

/** Records (in write order) in batches of `size`, none spanning two UTC days. */
export function sendBatchesOf(records: readonly DynamoDBRecord[], size: number): DynamoDBRecord[][] {
  const batches: DynamoDBRecord[][] = [];
  let current: DynamoDBRecord[] = [];
  let day = '';
  for (const record of records) {
    const recordDay = new Date(writeTimeOf(record)).toISOString().slice(0, 10);
    if (current.length === size || (current.length > 0 && recordDay !== day)) {
      batches.push(current);
      current = [];
    }
    day = recordDay;
    current.push(record);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Counter writes of the send path over `records` in batches of `size`: one per (workflow, day) of a batch, as DynamoStore.addCounters writes them. */
export function counterWritesFor(records: readonly DynamoDBRecord[], size: number): number {
  let writes = 0;
  for (const batch of sendBatchesOf(records, size)) {
    const groups = new Set<string>();
    for (const record of batch) for (const row of decodeStreamRecord(record).counters) if (row.value !== 0) groups.add(`${row.workflowId}\u0000${row.day}`);
    writes += groups.size;
  }
  return writes;
}

/** An item's billed bytes, by attribute (its keys together), and in all. */
function breakdownOf(image: Record<string, AttributeValue>, bytes: number): Record<string, number> {
  const parts: Record<string, number> = { bytes, keys: 0 };
  for (const [name, value] of Object.entries(image)) {
    const size = itemSize({ [name]: value });
    if (['pk', 'sk', 'dpk', 'dsk'].includes(name)) parts.keys! += size;
    else parts[name] = size;
  }
  // The state's largest fields: what grows.
  for (const [name, value] of Object.entries(image.st?.M ?? {})) {
    const size = itemSize({ [name]: value });
    if (size >= 40) parts[`st.${name}`] = size;
  }
  return parts;
}

/** What a DynamoDB request is, from its key (for the breakdown by operation). */
export function operationOf(request: Pick<CountedRequest, 'command' | 'input'>): string {
  const input = request.input as { IndexName?: string; Key?: Record<string, AttributeValue>; Item?: Record<string, AttributeValue>; ExpressionAttributeValues?: Record<string, AttributeValue>; ConsistentRead?: boolean };
  const key = input.Key ?? input.Item;
  const pk = key?.pk?.S ?? input.ExpressionAttributeValues?.[':pk']?.S ?? '';
  const sk = key?.sk?.S ?? '';
  switch (request.command) {
    case 'QueryCommand':
      return input.IndexName ? 'due index query' : pk.startsWith('M#') ? 'counters query' : 'customer partition query';
    case 'GetItemCommand':
      return pk.startsWith('S#') ? 'suppression check' : sk.startsWith('J#') ? 'journey re-read (conflict)' : 'get item';
    case 'PutItemCommand':
    case 'UpdateItemCommand':
      if (pk === 'SWEEP') return 'sweep cursor';
      if (pk.startsWith('M#')) return 'counters';
      if (pk.startsWith('S#')) return 'suppression write';
      if (sk === 'P') return 'profile write';
      if (sk.startsWith('J#')) return 'journey write';
      return 'other write';
    default:
      return request.command;
  }
}

type WorkItem = {
  at: number;
  /** Arrival order, the tie-break between items due at the same instant (set by `enqueue`). */
  order?: number;
  source: 'bus' | 'ses' | 'wake';
  /** Whom it is about: one input per customer per batch. */
  customerId?: string | undefined;
  /** A wake-up's journey (its timer, as the stream last showed it). */
  timer?: string;
  body: string | ((emails: EmailLog) => string | undefined);
};

const customerOf = (event: Record<string, unknown>): string | undefined => {
  const id = (event.detail as { customerId?: unknown } | undefined)?.customerId;
  return typeof id === 'string' ? id : undefined;
};

const figures = (): FunctionFigures => ({ invocations: 0, items: 0, totalMs: 0, billedMs: 0, msPerInvocation: 0, cpuMs: 0, dynamoRequests: 0, sesCalls: 0, modelledBilledMs: 0, logBytes: 0 });

/** A logger that writes nothing and counts the bytes the handler's JSON lines would take. */
function countingLogger(name: FunctionName, into: Record<FunctionName, FunctionFigures>): Logger {
  return jsonLogger({ handler: name }, (line) => void (into[name].logBytes += Buffer.byteLength(line) + 1));
}

/** What the advance phase counted, from which the send batch at a volume follows (cost.ts, scenarioFor). */
export interface AdvanceCounts {
  busEvents: number;
  messages: number;
  streamRecords: number;
  wakeups: number;
}

export interface PipelineOptions {
  advanceBatch: number;
  /** Stream records per send invocation, or how to choose it from what the advance phase counted. */
  sendBatch: number | ((counts: AdvanceCounts) => number);
  dueShards?: number;
}

/**
 * Runs the workload through the pipeline: the advance path at `advanceBatch`
 * inputs per invocation, then the send path at `sendBatch` records per invocation.
 */
export async function runPipeline(servers: BenchServers, workload: PipelineWorkload, options: PipelineOptions): Promise<PipelineRun> {
  const endpoint = servers.dynamo.endpoint;
  // The handlers' client is counted; the harness's own client (table, stream) is not.
  const counted: DynamoDBClient = localDynamoClient(endpoint);
  const harness: DynamoDBClient = localDynamoClient(endpoint);
  const tableName = `pipeline-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await ensureTable(harness, tableName);

  const lambda: Record<FunctionName, FunctionFigures> = { advance: figures(), send: figures() };
  const dynamo: Record<FunctionName, Record<string, DynamoFigures>> = { advance: {}, send: {} };
  let running: FunctionName | null = null;
  let requestsNow = 0;
  let sesCallsNow = 0;
  // The customer whose input a request serves (advance applies customers concurrently), and each one's requests.
  const lane = new AsyncLocalStorage<string>();
  const laneRequests = new Map<string, number>();
  countDynamoRequests(counted, (request) => {
    if (!running) throw new Error(`a DynamoDB request outside any function: ${request.command}`);
    requestsNow += 1;
    const customer = lane.getStore();
    if (customer !== undefined) laneRequests.set(customer, (laneRequests.get(customer) ?? 0) + 1);
    const operation = operationOf(request);
    const tally = (dynamo[running][operation] ??= { ...emptyTally(), requests: 0 });
    tally.requests += 1;
    addRequest(tally, request);
  });
  const invoke = async <T>(name: FunctionName, items: number, run: () => Promise<T>): Promise<T> => {
    running = name;
    requestsNow = 0;
    sesCallsNow = 0;
    laneRequests.clear();
    const cpu = process.cpuUsage();
    const began = performance.now();
    try {
      return await run();
    } finally {
      const ms = performance.now() - began;
      const used = process.cpuUsage(cpu);
      const cpuMs = (used.user + used.system) / 1000;
      running = null;
      const f = lambda[name];
      f.invocations += 1;
      f.items += items;
      f.totalMs += ms;
      f.billedMs += Math.ceil(ms);
      f.cpuMs += cpuMs;
      f.dynamoRequests += requestsNow;
      f.sesCalls += sesCallsNow;
      // Requests of no customer's lane (suppressions, the counters' write) in turn; the customers' as their chains run at once.
      const inLanes = [...laneRequests.values()];
      const inTurn = requestsNow - inLanes.reduce((a, b) => a + b, 0);
      const waitedRequests = inTurn + longestOf(inLanes, name === 'advance' ? ADVANCE_CONCURRENCY : 1);
      f.modelledBilledMs += Math.ceil(cpuMs + waitedRequests * IN_REGION_LATENCY_MS.dynamodb + sesCallsNow * IN_REGION_LATENCY_MS.ses);
    }
  };

  const dueShards = options.dueShards ?? 4;
  const store = new DynamoStore({ client: counted, tableName, dueShards });
  const registry = workload.registry;
  const rules = rulesFor(
    registry.all.map((c) => c.definition),
    [...registry.catalogue.items],
  );

  // The work queue: every message advance receives, in time order.
  const queue = new MinHeap<WorkItem>((a, b) => a.at < b.at || (a.at === b.at && a.order! < b.order!));
  let arrivals = 0;
  const enqueue = (item: WorkItem) => queue.push(Object.assign(item, { order: arrivals++ }));
  let clock = Number.NEGATIVE_INFINITY;
  const messages = { ruleDeliveries: 0, sesEvents: 0, wakeups: 0, notices: 0, total: 0 };
  const sesEvents: Record<string, number> = {};
  let busEvents = 0;
  let unrouted = 0;
  const happen = (h: Happening) => {
    if (h.kind === 'bus') {
      busEvents += 1;
      const matching = rules.filter((rule) => rule.matches(h.event)).length;
      if (matching === 0) unrouted += 1;
      for (let i = 0; i < matching; i++) enqueue({ at: h.at, source: 'bus', customerId: customerOf(h.event), body: JSON.stringify(h.event) });
      messages.ruleDeliveries += matching;
    } else {
      const { event } = h;
      enqueue({ at: h.at, source: 'ses', customerId: h.customerId, body: typeof event === 'function' ? (emails) => ((e) => (e ? JSON.stringify(e) : undefined))(event(emails)) : JSON.stringify(event) });
    }
  };
  for (const h of workload.happenings) happen(h);

  // Workflow controls, as production reads them (lambdas/advance.ts, send.ts), but through the harness's
  // client and a cache that never expires: on virtual time a 30 s cache means nothing. What the reads
  // cost deployed (one per warm function and workflow every 30 s at most) is modelled in cost.ts.
  const controls = new CachedControls(new DynamoStore({ client: harness, tableName, dueShards }), () => 0, Number.POSITIVE_INFINITY);

  // advance: each input applied at its own time (the time it carries; a wake-up, its timer's).
  const wakeAt = new Map<string, number>();
  const counters = new BufferedCounters(store);
  const service = new JourneyService({ registry, store, counters, controls, log: countingLogger('advance', lambda), sleep: async () => {} });
  const timeOf = (input: ServiceInput): number => {
    if (input.kind === 'wake') return wakeAt.get(input.customerId) ?? clock;
    if (input.kind === 'event') {
      const at = Date.parse(String((input.event as { time?: unknown }).time));
      if (Number.isFinite(at)) return at;
    }
    return clock;
  };
  const timedService = { apply: (input: ServiceInput) => lane.run(laneCustomerOf(input), () => service.apply(input, timeOf(input))) } as unknown as JourneyService;
  const deadLetters = new MemoryDeadLetters();
  const advance = createAdvanceHandler({ service: timedService, store, deadLetters, counters, now: () => clock, log: countingLogger('advance', lambda) });

  // The stream: each journey write's timer (a wake-up at its due time, as the sweep enqueues it), its
  // size, and the records the send function is invoked for.
  const timers = new Map<string, number>();
  const sendRecords: DynamoDBRecord[] = [];
  const emailLog = new Map<string, OutboxEntry[]>();
  const sizes: number[] = [];
  let largest: Record<string, number> = {};
  const stream = new LocalStreamReader({
    dynamo: harness,
    endpoint,
    tableName,
    batchSize: 10_000,
    handler: async (event) => {
      for (const record of event.Records) {
        const keys = record.dynamodb?.Keys as Record<string, AttributeValue> | undefined;
        if (!(keys?.sk?.S ?? '').startsWith('J#')) continue;
        const customerId = keys!.pk!.S!.slice(2);
        const id = `${customerId}\u0000${keys!.sk!.S}`;
        const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
        const dpk = image?.dpk?.S;
        const dsk = image?.dsk?.S;
        if (image && dpk?.startsWith('due#') && dsk) {
          const due = Date.parse(dsk.slice(dsk.indexOf('|') + 1));
          if (timers.get(id) !== due) {
            timers.set(id, due);
            enqueue({ at: due, source: 'wake', customerId, timer: id, body: encodeWorkMessage({ kind: 'wake', customerId }) });
          }
        } else timers.delete(id);
        if (!image) continue;
        const size = itemSize(image);
        sizes.push(size);
        if (size > (largest.bytes ?? 0)) largest = breakdownOf(image, size);
        if (!isSendWork(record)) continue;
        sendRecords.push(record);
        for (const entry of decodeStreamRecord(record).entries) {
          const log = emailLog.get(entry.customerId) ?? [];
          log.push(entry);
          emailLog.set(entry.customerId, log);
          for (const h of workload.onEmail?.(entry) ?? []) happen(h);
        }
      }
      return { batchItemFailures: [] };
    },
  });

  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  while (queue.size > 0) {
    // One SQS batch: the next messages in time order, at most one per customer (what one input of a
    // customer causes, a timer or an SES event, may come before that customer's next input).
    const bodies: string[] = [];
    const inBatch = new Set<string>();
    const deferred: WorkItem[] = [];
    wakeAt.clear();
    while (bodies.length < options.advanceBatch && queue.size > 0) {
      const item = queue.pop()!;
      if (item.customerId !== undefined && inBatch.has(item.customerId)) {
        deferred.push(item);
        continue;
      }
      if (item.source === 'wake') {
        // A timer the journey has moved or dropped since: the sweep would not find it.
        if (timers.get(item.timer!) !== item.at) continue;
        timers.delete(item.timer!);
        wakeAt.set(item.customerId!, item.at);
        messages.wakeups += 1;
      }
      const body = typeof item.body === 'function' ? item.body(emailLog) : item.body;
      if (body === undefined) continue;
      if (item.customerId !== undefined) inBatch.add(item.customerId);
      clock = item.at;
      first = Math.min(first, item.at);
      last = Math.max(last, item.at);
      if (item.source === 'ses') {
        messages.sesEvents += 1;
        const type = String((JSON.parse(body) as { 'detail-type'?: unknown })['detail-type']);
        sesEvents[type] = (sesEvents[type] ?? 0) + 1;
      }
      bodies.push(body);
    }
    for (const item of deferred) enqueue(item);
    if (bodies.length === 0) continue;
    const response = await invoke('advance', bodies.length, () => advance(sqsEvent(bodies)));
    if (response.batchItemFailures.length > 0) throw new Error(`advance failed ${response.batchItemFailures.length} inputs of a batch`);
    await stream.poll();
  }
  clock = last;

  // The send path, over the stream records the run wrote, in batches of `sendBatch`. Busy enough to
  // fill a batch, production's batches hold writes of the same few seconds: the records are taken in
  // the order of their writes' times (each customer's stay in order), and a batch never spans two
  // days (in this sparse workload a batch of a hundred would span days, and count each day apart).
  sendRecords.sort((a, b) => writeTimeOf(a) - writeTimeOf(b));
  const sendBatch =
    typeof options.sendBatch === 'number'
      ? options.sendBatch
      : options.sendBatch({ busEvents, messages: messages.ruleDeliveries + messages.sesEvents + messages.wakeups, streamRecords: sendRecords.length, wakeups: messages.wakeups });
  const notices: WorkMessage[] = [];
  const delivery = new DeliveryService({
    registry,
    store,
    mailer: new SesMailer(servers.ses.client, { configurationSetName: 'waymark-bench' }),
    links: new SignedUnsubscribeLinks({ baseUrl: 'https://unsubscribe.example/u', key: 'bench-signing-key-0000000001' }),
    renderer: new EmailRenderer(),
    controls,
    notices: new QueueSuppressedNotices({ send: async (m) => void notices.push(...m) }),
    unknown: new MemoryUnknownOutcomes(),
    log: countingLogger('send', lambda),
  });
  let emails = 0;
  const send = createSendHandler({
    delivery: { deliver: async (...args: Parameters<DeliveryService['deliver']>) => {
      const outcome = await delivery.deliver(...args);
      if (outcome.status === 'sent') emails += 1;
      if (outcome.status !== 'suppressed' && outcome.status !== 'duplicate') sesCallsNow += 1;
      return outcome;
    } } as DeliveryService,
    store,
    now: () => last,
    log: countingLogger('send', lambda),
  });
  for (const batch of sendBatchesOf(sendRecords, sendBatch)) {
    const response = await invoke('send', batch.length, () => send({ Records: batch }));
    if (response.batchItemFailures.length > 0) throw new Error('send failed a stream record');
  }
  messages.notices += notices.length;
  messages.total = messages.ruleDeliveries + messages.sesEvents + messages.wakeups + messages.notices;

  stream.stop();
  counted.destroy();
  harness.destroy();

  for (const f of Object.values(lambda)) f.msPerInvocation = f.invocations ? f.totalMs / f.invocations : 0;
  const dynamoTotal: DynamoFigures = { ...emptyTally(), requests: 0 };
  for (const byOperation of Object.values(dynamo)) {
    for (const t of Object.values(byOperation)) {
      dynamoTotal.requests += t.requests;
      dynamoTotal.reads += t.reads;
      dynamoTotal.writes += t.writes;
      dynamoTotal.rcu += t.rcu;
      dynamoTotal.tableWcu += t.tableWcu;
      dynamoTotal.indexWcu += t.indexWcu;
      dynamoTotal.failedConditions += t.failedConditions;
      dynamoTotal.added.rcu += t.added.rcu;
      dynamoTotal.added.wcu += t.added.wcu;
      for (const [command, n] of Object.entries(t.byCommand)) dynamoTotal.byCommand[command] = (dynamoTotal.byCommand[command] ?? 0) + n;
    }
  }
  sizes.sort((a, b) => a - b);
  const advanceBatches = lambda.advance.invocations;
  return {
    workload: workload.name,
    customers: workload.customers,
    workflows: registry.latest().length,
    advanceBatch: options.advanceBatch,
    sendBatch,
    busEvents,
    unrouted,
    messages,
    sesEvents,
    // EventBridge's rule deliveries, SES's rule deliveries and the send path's notices are one SendMessage each;
    // Lambda's poller receives each batch and deletes it in one request.
    sqs: { sendMessage: messages.ruleDeliveries + messages.sesEvents + notices.length, receiveMessage: advanceBatches, deleteMessageBatch: advanceBatches, deadLetters: deadLetters.entries.length },
    lambda,
    dynamo,
    dynamoTotal,
    emails,
    streamRecords: sendRecords.length,
    counterWritesBySendBatch: Object.fromEntries([1, 10, sendBatch].map((size) => [String(size), counterWritesFor(sendRecords, size)])),
    counterGroupsPerDay: counterWritesFor(sendRecords, Number.MAX_SAFE_INTEGER) / Math.max(1, sendBatchesOf(sendRecords, Number.MAX_SAFE_INTEGER).length),
    journeyItems: { writes: sizes.length, maxBytes: sizes.at(-1) ?? 0, medianBytes: sizes[Math.floor(sizes.length / 2)] ?? 0, overOneKb: sizes.filter((s) => s > 1024).length, largest },
    virtualDays: Number.isFinite(first) ? (last - first) / (24 * HOUR) : 0,
  };
}

export interface SweepFigures {
  /**
   * An idle run (lease, one due-index query per shard finding nothing, release): what every minute
   * costs. `billedMsPerRun` is modelled as the handlers' are (CPU time here, plus each request at
   * an in-region latency); `wallMsPerRun` is what this machine took.
   */
  idle: { runs: number; requestsPerRun: number; cpuMsPerRun: number; billedMsPerRun: number; wallMsPerRun: number; rcuPerRun: number; wcuPerRun: number };
  /** What a wake-up adds to a run (one run over `dueJourneys` due journeys of as many customers, beyond an idle run). */
  perWakeup: { dueJourneys: number; ms: number; rcu: number; wcu: number };
}

/**
 * The sweep handler's cost, measured on its own: idle runs on an empty due index (what each of the
 * 43,200 runs a month costs, whatever the volume), then one run over `dueJourneys` due journeys
 * (what a wake-up adds: the index entries read, the cursor's recent entries, the time).
 */
export async function measureSweep(servers: BenchServers, idleRuns = 20, dueJourneys = 1000, dueShards = 4): Promise<SweepFigures> {
  const client = localDynamoClient(servers.dynamo.endpoint);
  const tableName = `sweep-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await ensureTable(client, tableName);
  let tally = emptyTally();
  let requests = 0;
  let counting = false;
  countDynamoRequests(client, (request) => {
    if (!counting) return;
    requests += 1;
    addRequest(tally, request);
  });
  const store = new DynamoStore({ client, tableName, dueShards });
  let now = Date.parse('2026-11-02T00:00:00Z');
  let enqueued = 0;
  const sweep = createSweepHandler({ store, queue: { send: async (m) => void (enqueued += m.length) }, now: () => now, log: jsonLogger({}, () => {}), shards: dueShards, batchLimit: 100_000, unparkEveryMs: Number.POSITIVE_INFINITY });
  for (let i = 0; i < 3; i++) await sweep(); // warm-up: JIT, connections
  const timed = async () => {
    now += 60_000;
    const before = requests;
    const cpu = process.cpuUsage();
    const began = performance.now();
    await sweep();
    const wall = performance.now() - began;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    return { wall, cpuMs, billed: Math.ceil(cpuMs + (requests - before) * IN_REGION_LATENCY_MS.dynamodb) };
  };
  counting = true;
  let wall = 0;
  let cpu = 0;
  let billed = 0;
  for (let i = 0; i < idleRuns; i++) {
    const run = await timed();
    wall += run.wall;
    cpu += run.cpuMs;
    billed += run.billed;
  }
  const idle = { runs: idleRuns, requestsPerRun: requests / idleRuns, cpuMsPerRun: cpu / idleRuns, billedMsPerRun: billed / idleRuns, wallMsPerRun: wall / idleRuns, rcuPerRun: tally.rcu / idleRuns, wcuPerRun: (tally.tableWcu + tally.indexWcu) / idleRuns };

  // Due journeys in the last minute, spread over the shards as the store spreads them.
  counting = false;
  for (let c = 0; c < dueJourneys; c++) {
    const customerId = `due-${c}`;
    const due = now + 1 + Math.floor((c / dueJourneys) * 59_000);
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `C#${customerId}` }, sk: { S: 'J#bench' }, v: { N: '1' }, dpk: { S: dueShardKey(store.shardOf(customerId)) }, dsk: { S: dueSortKey(due) } },
      }),
    );
  }
  tally = emptyTally();
  requests = 0;
  counting = true;
  enqueued = 0;
  const loaded = await timed();
  client.destroy();
  if (enqueued !== dueJourneys) throw new Error(`the sweep enqueued ${enqueued} of ${dueJourneys} due journeys`);
  return {
    idle,
    perWakeup: {
      dueJourneys,
      ms: Math.max(0, loaded.billed - idle.billedMsPerRun) / dueJourneys,
      rcu: Math.max(0, tally.rcu - idle.rcuPerRun) / dueJourneys,
      wcu: Math.max(0, tally.tableWcu + tally.indexWcu - idle.wcuPerRun) / dueJourneys,
    },
  };
}
