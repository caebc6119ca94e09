/**
 * Fault-injection helpers for tests/integration/faults.test.ts, on top of the
 * local runtime (tests/support/local-runtime.ts), without changing it:
 *
 * - a seeded random source, and "every message twice, shuffled within a window";
 * - an SQS stand-in with many concurrent pollers, where a failed record goes
 *   back on the queue and is received again (as after its visibility timeout),
 *   the clock following the events' own times as they arrive;
 * - the sweep on time (the clock moved to each timer's due time), its
 *   wake-ups consumed the same way;
 * - SDK middlewares on the real SES client: one that fails calls at random
 *   before they reach the local server (SES did not take them), one that loses
 *   the answer after the server accepted the email, and one that records what
 *   SES accepted;
 * - every journey item of a runtime's table, read with one scan.
 */
import { type AttributeValue, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import {
  type SendEmailCommandInput,
  type SESv2Client,
  SESv2ServiceException,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import type { JourneyState } from '../../lib/engine/model';
import { decodeState } from '../../lib/runtime/dynamo-store';
import { createSweepHandler } from '../../lib/runtime/handlers/sweep';
import { silentLogger } from '../../lib/runtime/journey-service';
import type { LocalRuntime } from './local-runtime';
import { seededRandom } from '../../lib/dev/demo';

/** Seeded, so every "random" fault plan replays exactly (the demo's generator). */
export { seededRandom };

/**
 * Every message `copies` times (at-least-once delivery), each copy landing at a
 * random place within the `window` positions after the original's: a standard
 * queue's reordering, bounded.
 */
export function redeliveredAndShuffled<T>(messages: readonly T[], options: { copies: number; window: number; random: () => number }): T[] {
  const placed = messages.flatMap((message, index) => Array.from({ length: options.copies }, () => ({ message, key: index + options.random() * options.window })));
  return placed.sort((a, b) => a.key - b.key).map((p) => p.message);
}

export interface ConsumeOptions {
  /** Concurrent pollers (Lambda concurrency). Default 1. */
  workers?: number;
  batchSize?: number;
  /** Each wake-up the sweep enqueues is delivered this many times, shuffled within `window`. Default 1. */
  copies?: number;
  window?: number;
  random?: () => number;
}

export interface ConsumeStats {
  /** Records handed to the advance handler, redeliveries included. */
  received: number;
  /** Records the handler reported as failed (and that were redelivered). */
  failed: number;
}

/** The latest own time of the events among these bodies (wake-ups have none). */
function latestTime(bodies: readonly string[]): number {
  let latest = Number.NEGATIVE_INFINITY;
  for (const body of bodies) {
    const time = /"time":"([^"]+)"/.exec(body)?.[1];
    if (time) latest = Math.max(latest, Date.parse(time));
  }
  return latest;
}

/**
 * Plays SQS for the advance handler: `workers` pollers take batches from one
 * queue at once; a record reported in `batchItemFailures` goes back on the
 * queue and is received again a little later. The clock follows the events as they
 * arrive (never backwards), so a shuffled event is a few seconds late, not
 * hours. Resolves when the queue is empty.
 */
export async function consume(runtime: LocalRuntime, bodies: readonly string[], options: ConsumeOptions = {}, stats: ConsumeStats = { received: 0, failed: 0 }): Promise<ConsumeStats> {
  const queue = [...bodies];
  const batchSize = options.batchSize ?? 10;
  const limit = 50 * (bodies.length + 10);
  const poller = async () => {
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSize);
      runtime.clock.now = Math.max(runtime.clock.now, latestTime(batch));
      stats.received += batch.length;
      const failed = await runtime.deliver(batch, batchSize);
      stats.failed += failed.length;
      if (stats.failed > limit) throw new Error(`records keep failing (${stats.failed} failures): is something broken for good?`);
      // Redelivered after the visibility timeout: a couple of batches later, not at the end of the workload
      // (hours later in event time, that would make it late input).
      queue.splice(Math.min(queue.length, 2 * batchSize), 0, ...failed);
    }
  };
  await Promise.all(Array.from({ length: options.workers ?? 1 }, poller));
  return stats;
}

/** How far past a timer's due time the clock moves to sweep: later than that, the timer would be late. */
const ON_TIME_STEP_MS = 10 * 60_000;

/**
 * Moves the clock to `at` as an on-time sweep sees it: to each timer's due time in turn (or a few
 * minutes after it, so the timers due meanwhile fire together, still on time: within LATE_AFTER_MS),
 * sweeping there, the wake-ups consumed like any other message (failures redelivered, copies
 * shuffled). Returns the number of wake-ups enqueued.
 */
export async function runTimersUntil(runtime: LocalRuntime, at: number, options: ConsumeOptions = {}, stats?: ConsumeStats): Promise<number> {
  const sweep = createSweepHandler({ store: runtime.store, queue: runtime.queue, now: () => runtime.clock.now, log: silentLogger, shards: runtime.store.shards, batchLimit: 10_000 });
  let total = 0;
  const sweepAndConsume = async () => {
    const { enqueued } = await sweep();
    total += enqueued;
    let wakes = runtime.queue.take(runtime.queue.pending.length);
    if ((options.copies ?? 1) > 1) wakes = redeliveredAndShuffled(wakes, { copies: options.copies!, window: options.window ?? 20, random: options.random ?? Math.random });
    await consume(runtime, wakes, options, stats);
    return enqueued;
  };
  for (let round = 0; round < 100_000; round++) {
    const next = await runtime.earliestDue();
    if (next === undefined || next > at) break;
    runtime.clock.now = Math.max(runtime.clock.now, Math.min(at, next + ON_TIME_STEP_MS));
    if ((await sweepAndConsume()) === 0 && runtime.clock.now > next) throw new Error(`a timer due ${new Date(next).toISOString()} is never woken`);
  }
  runtime.clock.now = Math.max(runtime.clock.now, at);
  while ((await sweepAndConsume()) > 0);
  return total;
}

export interface JourneyItem {
  state: JourneyState;
  /** Seqs of the emails the item's last write decided (the stream carried them). */
  outbox: number[];
}

/** Every journey item of the runtime's table ("customerId workflowId" → item), in one paginated scan. */
export async function scanJourneys(runtime: LocalRuntime): Promise<Map<string, JourneyItem>> {
  const journeys = new Map<string, JourneyItem>();
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page: ScanCommandOutput = await runtime.dynamo.send(
      new ScanCommand({
        TableName: runtime.tableName,
        FilterExpression: 'begins_with(sk, :j)',
        ExpressionAttributeValues: { ':j': { S: 'J#' } },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const customerId = item.pk!.S!.slice(2);
      const workflowId = item.sk!.S!.slice(2);
      const outbox = Object.keys(item.ob?.M ?? {}).map(Number);
      journeys.set(`${customerId} ${workflowId}`, { state: decodeState(customerId, workflowId, item.st?.M ?? {}), outbox });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return journeys;
}

export interface SesFaultStats {
  calls: number;
  throttled: number;
  serverErrors: number;
  networkErrors: number;
  /** Moments SES throttled every call for a while (longer than the mailer's own retries). */
  bursts: number;
}

export interface SesFaultOptions {
  random: () => number;
  /** Probability that one call fails (throttling half the time, then 5xx and network errors). */
  rate: number;
  /** Probability that a call starts a burst of `burstLength` throttled calls. */
  burstRate?: number;
  burstLength?: number;
}

/**
 * Makes the real SES client fail calls at random before they reach the local
 * server: SES never took those emails, and the errors prove it (throttling,
 * `TooManyRequestsException`, HTTP 429 or an unmodelled 429; SES unavailable,
 * HTTP 503; a connection refused before any request went). The send path must
 * retry them (its own back-off, then the stream) until each goes exactly once.
 */
export function injectSesFaults(client: SESv2Client, options: SesFaultOptions): SesFaultStats {
  const stats: SesFaultStats = { calls: 0, throttled: 0, serverErrors: 0, networkErrors: 0, bursts: 0 };
  let burst = 0;
  const metadata = (httpStatusCode?: number) => ({ ...(httpStatusCode ? { httpStatusCode } : {}), requestId: 'injected', attempts: 3, totalRetryDelay: 0 });
  client.middlewareStack.add(
    (next) => async (args) => {
      stats.calls += 1;
      const { random } = options;
      if (burst === 0 && options.burstRate && random() < options.burstRate) {
        burst = options.burstLength ?? 8;
        stats.bursts += 1;
      }
      if (burst > 0) {
        burst -= 1;
        stats.throttled += 1;
        throw new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: metadata(429) });
      }
      if (random() < options.rate) {
        const kind = random();
        if (kind < 0.4) {
          stats.throttled += 1;
          throw new TooManyRequestsException({ message: 'Maximum sending rate exceeded.', $metadata: metadata(429) });
        }
        if (kind < 0.5) {
          stats.throttled += 1;
          throw new SESv2ServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: metadata(429) });
        }
        if (kind < 0.75) {
          stats.serverErrors += 1;
          throw new SESv2ServiceException({ name: 'ServiceUnavailable', $fault: 'server', message: 'Service unavailable', $metadata: metadata(503) });
        }
        stats.networkErrors += 1;
        throw Object.assign(new Error('connect ECONNREFUSED 52.94.236.248:443'), { name: 'Error', code: 'ECONNREFUSED', $metadata: { attempts: 1, totalRetryDelay: 0 } });
      }
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'waymarkTestFaultInjection' },
  );
  return stats;
}

/**
 * Loses SES's answer after the server accepted the email, for the calls `lose` picks: the
 * connection resets on the way back. Added inside the SDK's retry loop (deserialize step), so an SDK
 * allowed to retry would send the email again; Waymark's must not. Returns how many answers it lost.
 */
export function loseSesAnswers(client: SESv2Client, lose: (input: SendEmailCommandInput) => boolean): { lost: number; accepted: number } {
  const stats = { lost: 0, accepted: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      const output = await next(args);
      stats.accepted += 1;
      if (lose(args.input as SendEmailCommandInput)) {
        stats.lost += 1;
        throw Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET' });
      }
      return output;
    },
    { step: 'deserialize', priority: 'low', name: 'waymarkTestLostAnswers' },
  );
  return stats;
}

/** Calls `onAccepted` with each SendEmail input the SES server accepted (after the call returned). */
export function onSesAccepted(client: SESv2Client, onAccepted: (input: SendEmailCommandInput) => void): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const output = await next(args);
      onAccepted(args.input as SendEmailCommandInput);
      return output;
    },
    { step: 'initialize', priority: 'low', name: 'waymarkTestAcceptedRecorder' },
  );
}

/** Counts by key: a multiset. */
export function countBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
}

/** The keys counted more than once. */
export function duplicatesIn(counts: ReadonlyMap<string, number>): Map<string, number> {
  return new Map([...counts].filter(([, n]) => n > 1));
}
