/**
 * What Waymark costs, in dollars at list prices (us-east-1, on demand, arm64),
 * from requests counted on the whole pipeline (pipeline.ts): per million bus
 * events (producers' PutEvents entries) and per million customers of a
 * journey, by service, line by line.
 *
 * What is counted, and what is modelled (bench/README.md, "What it costs"):
 * - Counted: PutEvents entries; SQS messages (one SendMessage per event per
 *   matching rule, per SES event, per notice); advance invocations (one per
 *   SQS batch, each received and deleted in one request) and send
 *   invocations (one per stream batch); every DynamoDB request's units.
 * - Modelled, from the stack's settings and Lambda's documented behaviour:
 *   how full batches are at a volume (`scenarioFor`), the sweep's
 *   SendMessageBatch (ten wake-ups a request at most, what one minute holds),
 *   the fixed monthly part (43,200 sweeps, idle long polls, the workflow
 *   controls' reads through their 30 s cache, the alarms, the secret), and
 *   durations deployed (CPU time measured here plus in-region latencies per
 *   request).
 * - Free, and shown at $0 so that nobody adds them: the stream's GetRecords
 *   made by Lambda for the send trigger (DynamoDB developer guide, "Evaluate
 *   your DynamoDB streams usage": read requests of Lambda-based consumers are
 *   free), SES events on the default bus (events of AWS services), and
 *   EventBridge's deliveries to its SQS targets (the SendMessage is SQS's).
 * CloudWatch (the functions' log lines and Lambda's own, the alarms) is in
 * the total. SES's own price ($0.10 per 1,000 emails) is shown apart: it is
 * the price of the email, whatever sends it.
 */

export const LIST_PRICES = {
  region: 'us-east-1',
  /** When these list prices were read off the AWS pricing pages (on demand, arm64, no free tier). */
  asOf: '2026-11-30',
  eventBridgeCustomEventPerMillion: 1.0,
  sqsRequestPerMillion: 0.4,
  lambdaRequestPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dynamoWriteRequestUnitPerMillion: 0.625,
  dynamoReadRequestUnitPerMillion: 0.125,
  sesEmailPerThousand: 0.1,
  cloudWatchLogsIngestionPerGb: 0.5,
  /** A standard-resolution metric alarm, per month. */
  cloudWatchAlarmPerMonth: 0.1,
  secretsManagerSecretPerMonth: 0.4,
  /** Streams read requests of a Lambda trigger, and SES events on the default bus: free. */
  lambdaTriggerStreamReads: 0,
} as const;

/**
 * The stack's alarms (lib/infra/operational-alarms.ts): dead letters, send failures, scheduled-run
 * failures, parked journeys, the work backlog, errors of each of the four functions, SES bounce and
 * complaint rates.
 */
export const STACK_ALARMS = 11;

/** The memory the stack gives each function (lib/infra/waymark-stack.ts). */
export const FUNCTION_MEMORY_MB = { advance: 1024, send: 512, sweep: 256 } as const;

/**
 * In-region latencies for the modelled durations: a deployed invocation waits on each request it
 * makes (sequentially, as the handlers make them). DynamoDB answers small-item requests in
 * single-digit milliseconds; SES SendEmail in tens.
 */
export const IN_REGION_LATENCY_MS = { dynamodb: 5, ses: 30, sqs: 10 } as const;

/**
 * How long `slots` workers take over chains of these lengths (each chain in turn on one worker, the
 * next chain taken by the first worker free, as the advance handler's pool takes customers).
 */
export function longestOf(chains: readonly number[], slots: number): number {
  const busyUntil = new Array<number>(Math.max(1, Math.min(slots, chains.length))).fill(0);
  for (const chain of chains) {
    let first = 0;
    for (let i = 1; i < busyUntil.length; i++) if (busyUntil[i]! < busyUntil[first]!) first = i;
    busyUntil[first]! += chain;
  }
  return Math.max(0, ...busyUntil);
}

/** How the event sources batch: the stack's settings, and Lambda's and DynamoDB's documented behaviour. */
export const BATCHING = {
  /** Lambda polls a standard queue with five long polls at once to begin with. */
  sqsPollers: 5,
  /** advance's event source: batches of 10, a 1 s batching window. */
  sqsBatchSize: 10,
  sqsWindowSeconds: 1,
  /** An idle poller's long poll returns empty after 20 s: an empty receive. */
  idleLongPollSeconds: 20,
  /** send's event source: batches of 100, a 2 s window, per stream shard. */
  streamBatchSize: 100,
  streamWindowSeconds: 2,
  /** One stream shard per table partition; a new on-demand table has four (4,000 writes a second). */
  streamShards: 4,
  sweepsPerMonth: 43_200,
  secondsPerMonth: 2_592_000,
  /** Bytes of Lambda's own log lines per invocation (platform start and report, JSON format). */
  platformLogBytesPerInvocation: 600,
  /** Lambda polls each stream shard four times a second (GetRecords: free for a Lambda trigger). */
  streamPollsPerSecondPerShard: 4,
  /** Warm functions that each read a workflow's control every 30 s at most: advance (one per poller), send (one per shard). */
  warmAdvanceFunctions: 5,
  warmSendFunctions: 4,
  /** The control cache's life (lib/runtime/controls.ts, CONTROL_CACHE_MS). */
  controlCacheSeconds: 30,
} as const;

/** A workload at a volume: how full each batch is. */
export interface Scenario {
  /** advance's inputs per invocation. */
  fill: number;
  /** Bus events a month at which batches hold `fill` inputs. */
  monthlyEvents: number;
  /** Stream records per send invocation at that volume. */
  sendBatch: number;
  /** Wake-ups the sweep finds in a minute at that volume, and SendMessageBatch requests per wake-up. */
  wakeupsPerSweep: number;
  sweepRequestsPerWakeup: number;
}

/** What one pipeline run counted (a plain record, so the model can be checked by hand). */
export interface CountedRun {
  busEvents: number;
  customers: number;
  /** Deployed workflows: each has a control item that advance, send and the sweep read through a 30 s cache. */
  workflows: number;
  /** Messages advance received: rule deliveries, SES events, wake-ups, notices. */
  messages: number;
  /** SendMessage requests: each rule delivery, SES event, notice and dead letter. */
  sendMessage: number;
  wakeups: number;
  /** Journey writes the send function is invoked for. */
  streamRecords: number;
  advance: { invocations: number; billedMs: number; logBytes: number };
  send: { invocations: number; billedMs: number; logBytes: number };
  /** Read and write units of advance and send: table and index, failed conditions, empty-read minimums. */
  readUnits: number;
  writeUnits: number;
  emails: number;
}

/** The sweep, measured on its own (pipeline.ts, measureSweep). */
export interface SweepCost {
  idle: { billedMsPerRun: number; rcuPerRun: number; wcuPerRun: number };
  perWakeup: { ms: number; rcu: number; wcu: number };
}

export type Service = 'EventBridge' | 'SQS' | 'Lambda' | 'DynamoDB' | 'CloudWatch' | 'Secrets Manager';

export interface CostLine {
  service: Service;
  item: string;
  /** How many (requests, GB-seconds, units) per million of the denominator. */
  quantity: number;
  unit: string;
  usd: number;
}

export interface CostBreakdown {
  /** USD per million of the denominator (bus events or customers), the fixed part included when amortized. */
  total: number;
  byService: ByService;
  lines: CostLine[];
  /** The part that does not grow with volume (43,200 sweeps, idle long polls), per million at the scenario's volume. */
  fixedPerMillion: number;
  /** Shown apart: SES's own price ($0.10 per 1,000 emails). */
  apart: { sesEmails: number };
}

export interface ByService {
  eventBridge: number;
  sqs: number;
  lambda: number;
  dynamodb: number;
  cloudWatch: number;
  secretsManager: number;
}

const SERVICE_KEYS: Record<Service, keyof ByService> = { EventBridge: 'eventBridge', SQS: 'sqs', Lambda: 'lambda', DynamoDB: 'dynamodb', CloudWatch: 'cloudWatch', 'Secrets Manager': 'secretsManager' };

/** Dollars by service of some lines. */
export function byServiceOf(lines: readonly CostLine[]): ByService {
  const sums: ByService = { eventBridge: 0, sqs: 0, lambda: 0, dynamodb: 0, cloudWatch: 0, secretsManager: 0 };
  for (const l of lines) sums[SERVICE_KEYS[l.service]] += l.usd;
  return sums;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

/**
 * SendMessageBatch requests per wake-up when a sweep finds `perMinute` wake-ups on average
 * (Poisson): E[ceil(N / 10)] / E[N]. One wake-up a minute needs a request each; a hundred, one per ten.
 */
export function sweepRequestsPerWakeup(perMinute: number): number {
  if (perMinute <= 0) return 1;
  // Poisson probabilities in logarithms (e^-m underflows from m ≈ 745), summed well past the mean.
  const logMean = Math.log(perMinute);
  let logP = -perMinute;
  let expected = 0;
  const last = perMinute + 10 * Math.sqrt(perMinute) + 60;
  for (let n = 1; n <= last; n++) {
    logP += logMean - Math.log(n);
    expected += Math.exp(logP) * Math.ceil(n / 10);
  }
  return expected / perMinute;
}

/**
 * The volume at which advance's batches hold `fill` inputs, and how full the other batches are
 * then. Five pollers each collect what arrives in a 1 s window: a batch holds about
 * messages-per-second ÷ 5 (at least one, at most ten). A fill of 1 is taken at 1 million events a
 * month (batches hold about one input from there down). The stream's 2 s window collects, per
 * shard, what a quarter of the journey writes of two seconds is.
 */
export function scenarioFor(fill: number, perEvent: { messages: number; streamRecords: number; wakeups: number }): Scenario {
  const b = BATCHING;
  const monthlyEvents = fill <= 1 ? 1_000_000 : ((fill * b.sqsPollers) / b.sqsWindowSeconds / perEvent.messages) * b.secondsPerMonth;
  const recordsPerSecondPerShard = (monthlyEvents * perEvent.streamRecords) / b.secondsPerMonth / b.streamShards;
  const sendBatch = clamp(Math.round(1 + b.streamWindowSeconds * recordsPerSecondPerShard), 1, b.streamBatchSize);
  const wakeupsPerSweep = (monthlyEvents * perEvent.wakeups) / b.sweepsPerMonth;
  return { fill, monthlyEvents, sendBatch, wakeupsPerSweep, sweepRequestsPerWakeup: sweepRequestsPerWakeup(wakeupsPerSweep) };
}

/** How often a month each function runs, for the control reads (at most one per invocation, per workflow). */
export interface MonthlyInvocations {
  advance: number;
  send: number;
}

/**
 * The fixed monthly part, what does not grow with events: the sweep every minute, idle or not;
 * idle pollers' empty receives; the stream's polls (free); each workflow's control read through a
 * 30 s cache by every warm function (at most one read per invocation, so fewer when invocations
 * are rarer than that), and by each sweep; the alarms and the unsubscribe keys' secret.
 */
export function fixedMonthly(sweep: SweepCost, workflows = 1, invocations: MonthlyInvocations = { advance: Number.POSITIVE_INFINITY, send: Number.POSITIVE_INFINITY }): { usd: number; lines: CostLine[] } {
  const p = LIST_PRICES;
  const b = BATCHING;
  const gb = FUNCTION_MEMORY_MB.sweep / 1024;
  const emptyReceives = (b.sqsPollers * b.secondsPerMonth) / b.idleLongPollSeconds;
  const streamPolls = b.streamPollsPerSecondPerShard * b.streamShards * b.secondsPerMonth;
  const cacheLives = b.secondsPerMonth / b.controlCacheSeconds;
  const controlReads = workflows * (Math.min(invocations.advance, b.warmAdvanceFunctions * cacheLives) + Math.min(invocations.send, b.warmSendFunctions * cacheLives) + b.sweepsPerMonth);
  // A GetItem, eventually consistent, of an item under 4 KB (or of none: the same half unit).
  const controlUnits = controlReads * 0.5;
  const lines: CostLine[] = [
    { service: 'SQS', item: 'empty receives of idle pollers (at most)', quantity: emptyReceives, unit: 'requests', usd: (emptyReceives * p.sqsRequestPerMillion) / 1e6 },
    { service: 'Lambda', item: 'sweep invocations', quantity: b.sweepsPerMonth, unit: 'requests', usd: (b.sweepsPerMonth * p.lambdaRequestPerMillion) / 1e6 },
    { service: 'Lambda', item: 'sweep duration (256 MB)', quantity: (b.sweepsPerMonth * sweep.idle.billedMsPerRun * gb) / 1000, unit: 'GB-s', usd: ((b.sweepsPerMonth * sweep.idle.billedMsPerRun * gb) / 1000) * p.lambdaArmGbSecond },
    { service: 'DynamoDB', item: 'sweep: lease and release writes', quantity: b.sweepsPerMonth * sweep.idle.wcuPerRun, unit: 'WRU', usd: (b.sweepsPerMonth * sweep.idle.wcuPerRun * p.dynamoWriteRequestUnitPerMillion) / 1e6 },
    { service: 'DynamoDB', item: 'sweep: one query per shard', quantity: b.sweepsPerMonth * sweep.idle.rcuPerRun, unit: 'RRU', usd: (b.sweepsPerMonth * sweep.idle.rcuPerRun * p.dynamoReadRequestUnitPerMillion) / 1e6 },
    { service: 'DynamoDB', item: 'workflow controls read through the 30 s cache (advance, send, sweep)', quantity: controlUnits, unit: 'RRU', usd: (controlUnits * p.dynamoReadRequestUnitPerMillion) / 1e6 },
    { service: 'DynamoDB', item: "stream GetRecords of the send trigger (free for Lambda)", quantity: streamPolls, unit: 'requests', usd: streamPolls * p.lambdaTriggerStreamReads },
    { service: 'CloudWatch', item: `alarms (${STACK_ALARMS})`, quantity: STACK_ALARMS, unit: 'alarm-months', usd: STACK_ALARMS * p.cloudWatchAlarmPerMonth },
    { service: 'Secrets Manager', item: 'the unsubscribe keys', quantity: 1, unit: 'secret-months', usd: p.secretsManagerSecretPerMonth },
  ];
  return { usd: lines.reduce((sum, l) => sum + l.usd, 0), lines };
}

/**
 * Dollars per million of `per` (bus events or customers) for what the run counted, at the
 * scenario's batching; the fixed monthly part is amortized over the scenario's volume when
 * `amortizeFixed` (per million events), left out otherwise (per million customers: it does not
 * grow with them).
 */
export function costOf(run: CountedRun, sweep: SweepCost, scenario: Scenario, per: 'busEvents' | 'customers', amortizeFixed = per === 'busEvents'): CostBreakdown {
  const p = LIST_PRICES;
  const denominator = run[per];
  const scale = 1e6 / Math.max(1, denominator);
  const lines: CostLine[] = [];
  const line = (service: CostLine['service'], item: string, quantity: number, unit: string, pricePerUnit: number) => lines.push({ service, item, quantity: quantity * scale, unit, usd: quantity * scale * pricePerUnit });
  const gbSeconds = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);

  line('EventBridge', 'PutEvents entries (producers)', run.busEvents, 'events', p.eventBridgeCustomEventPerMillion / 1e6);
  line('SQS', 'SendMessage: rule deliveries, SES events, notices', run.sendMessage, 'requests', p.sqsRequestPerMillion / 1e6);
  line('SQS', 'ReceiveMessage (one per advance batch)', run.advance.invocations, 'requests', p.sqsRequestPerMillion / 1e6);
  line('SQS', 'DeleteMessageBatch (one per advance batch)', run.advance.invocations, 'requests', p.sqsRequestPerMillion / 1e6);
  line('SQS', 'SendMessageBatch of wake-ups (sweep)', run.wakeups * scenario.sweepRequestsPerWakeup, 'requests', p.sqsRequestPerMillion / 1e6);
  line('Lambda', 'advance invocations', run.advance.invocations, 'requests', p.lambdaRequestPerMillion / 1e6);
  line('Lambda', 'advance duration (1,024 MB)', gbSeconds(run.advance.billedMs, FUNCTION_MEMORY_MB.advance), 'GB-s', p.lambdaArmGbSecond);
  line('Lambda', 'send invocations', run.send.invocations, 'requests', p.lambdaRequestPerMillion / 1e6);
  line('Lambda', 'send duration (512 MB)', gbSeconds(run.send.billedMs, FUNCTION_MEMORY_MB.send), 'GB-s', p.lambdaArmGbSecond);
  line('Lambda', 'sweep duration per wake-up (256 MB)', gbSeconds(run.wakeups * (sweep.perWakeup.ms + scenario.sweepRequestsPerWakeup * IN_REGION_LATENCY_MS.sqs), FUNCTION_MEMORY_MB.sweep), 'GB-s', p.lambdaArmGbSecond);
  line('DynamoDB', 'write units (advance, send)', run.writeUnits, 'WRU', p.dynamoWriteRequestUnitPerMillion / 1e6);
  line('DynamoDB', 'read units (advance, send)', run.readUnits, 'RRU', p.dynamoReadRequestUnitPerMillion / 1e6);
  line('DynamoDB', 'sweep: due entries read, cursor', run.wakeups * sweep.perWakeup.rcu, 'RRU', p.dynamoReadRequestUnitPerMillion / 1e6);
  line('DynamoDB', 'sweep: cursor writes per wake-up', run.wakeups * sweep.perWakeup.wcu, 'WRU', p.dynamoWriteRequestUnitPerMillion / 1e6);
  const logBytes = run.advance.logBytes + run.send.logBytes + (run.advance.invocations + run.send.invocations) * BATCHING.platformLogBytesPerInvocation;
  line('CloudWatch', "log lines of advance and send (theirs and Lambda's)", logBytes / 2 ** 30, 'GB', p.cloudWatchLogsIngestionPerGb);

  // The fixed part at the scenario's volume: each function's invocations a month bound its control reads.
  const perMonth = scenario.monthlyEvents / Math.max(1, run.busEvents);
  const fixed = fixedMonthly(sweep, run.workflows, { advance: run.advance.invocations * perMonth, send: run.send.invocations * perMonth });
  const fixedPerMillion = amortizeFixed ? fixed.usd / (scenario.monthlyEvents / 1e6) : 0;
  if (amortizeFixed) for (const f of fixed.lines) lines.push({ ...f, item: `fixed: ${f.item}`, quantity: f.quantity / (scenario.monthlyEvents / 1e6), usd: f.usd / (scenario.monthlyEvents / 1e6) });
  const byService = byServiceOf(lines);
  return {
    total: Object.values(byService).reduce((a, b) => a + b, 0),
    byService,
    lines,
    fixedPerMillion,
    apart: { sesEmails: ((run.emails * scale) / 1000) * p.sesEmailPerThousand },
  };
}
