/**
 * Puts events on an EventBridge bus (or `waymark dev`'s, which speaks the same
 * API) in batches of ten, at a bounded rate, with a few requests in flight.
 *
 * PutEvents answers per entry: an entry can fail while the others in its
 * batch succeed (`FailedEntryCount`). Entries that failed for a reason that
 * can pass (`ThrottlingException`, `InternalFailure`), and whole requests that
 * failed that way (throttling, 5xx, the network), are sent again with
 * exponential back-off and jitter; what still fails after the last attempt,
 * or fails for good at once (`MalformedDetail`, `AccessDeniedException`, ...),
 * is reported with its reason, never dropped. A request error that will fail
 * every batch the same way (no such bus, no credentials, access denied) stops
 * the sender: `PutEventsStoppedError`.
 *
 * EventBridge gives each event its own id and, unless `Time` is set, the time
 * it was put; `id` and `time` of the events given here are not sent.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { CustomerEvent } from '../engine/model';

export const PUT_EVENTS_BATCH = 10;
/** EventBridge's entry error codes worth another attempt (its API reference, PutEventsResultEntry). */
const RETRYABLE_ENTRY_ERRORS = new Set(['ThrottlingException', 'InternalFailure', 'InternalException']);
/** Request errors that no later request will escape: stop rather than fail every batch. */
const STOPPING_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
  'UnknownOperationException',
  'NotAuthorizedForSourceException',
]);

export interface EventToPut<T = unknown> {
  event: CustomerEvent;
  /** Carried through to the result (e.g. the row's line). */
  ref: T;
}

export interface FailedPut<T = unknown> {
  ref: T;
  event: CustomerEvent;
  reason: string;
}

export class PutEventsStoppedError extends Error {
  override readonly name = 'PutEventsStoppedError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface PutEventsSenderOptions {
  client: EventBridgeClient;
  /** The bus; omitted for `waymark dev` (it has one). */
  busName?: string;
  /** Events per second at most. */
  ratePerSecond: number;
  /** Send each event's own `time` as the entry's Time (default: EventBridge stamps the time it is put). */
  sendTime?: boolean;
  /** Attempts per entry (default 6: back-off 0.2, 0.4, 0.8, 1.6, 3.2 s with jitter). */
  maxAttempts?: number;
  /** Requests in flight at most (default: enough for the rate, 1 to 8). */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class PutEventsSender<T = unknown> {
  private readonly options: Required<Omit<PutEventsSenderOptions, 'busName'>> & { busName: string | undefined };
  private buffer: EventToPut<T>[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly failures: FailedPut<T>[] = [];
  private stopped: PutEventsStoppedError | undefined;
  /** When the next batch may start. */
  private nextAt: number | undefined;
  /** Events EventBridge accepted. */
  sent = 0;
  /** Requests made (retries included). */
  requests = 0;

  constructor(options: PutEventsSenderOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be more than 0');
    this.options = {
      maxAttempts: 6,
      concurrency: Math.min(8, Math.max(1, Math.ceil(options.ratePerSecond / 100))),
      sleep: realSleep,
      now: Date.now,
      random: Math.random,
      sendTime: false,
      ...options,
      busName: options.busName,
    };
  }

  /** Queues one event; resolves once it is buffered (waiting while too many requests are in flight). */
  async add(item: EventToPut<T>): Promise<void> {
    if (this.stopped) throw this.stopped;
    this.buffer.push(item);
    if (this.buffer.length >= PUT_EVENTS_BATCH) await this.dispatch();
  }

  /** Sends what is buffered and waits for every request; returns the entries that could not be put since the last flush. */
  async flush(): Promise<FailedPut<T>[]> {
    if (this.buffer.length > 0 && !this.stopped) await this.dispatch();
    await Promise.all(this.inFlight);
    if (this.stopped) throw this.stopped;
    return this.failures.splice(0);
  }

  private async dispatch(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    while (this.inFlight.size >= this.options.concurrency) await Promise.race(this.inFlight);
    if (this.stopped) throw this.stopped;
    // Pace by start time: a batch of n events holds the next one back n / rate seconds. Time left
    // unused (a segment scan between matches) is credited for one second at most, never more:
    // a burst after a quiet minute still keeps to the rate.
    const now = this.options.now();
    const due = Math.max(this.nextAt ?? now, now - 1000);
    this.nextAt = due + (batch.length / this.options.ratePerSecond) * 1000;
    if (due > now) await this.options.sleep(due - now);
    const request = this.putWithRetries(batch).catch((error: unknown) => {
      this.stopped ??= error instanceof PutEventsStoppedError ? error : new PutEventsStoppedError(String(error), { cause: error });
    });
    const tracked = request.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private async putWithRetries(batch: EventToPut<T>[]): Promise<void> {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > 1) {
        // Full jitter: a random wait up to the exponential bound, so throttled senders spread out.
        const bound = Math.min(5000, 200 * 2 ** (attempt - 2));
        await this.options.sleep(bound / 2 + this.options.random() * (bound / 2));
      }
      const retry: EventToPut<T>[] = [];
      const reasons = new Map<EventToPut<T>, string>();
      try {
        this.requests++;
        const output = await this.options.client.send(new PutEventsCommand({ Entries: pending.map((item) => this.entryOf(item.event)) }));
        const results = output.Entries ?? [];
        pending.forEach((item, i) => {
          const result = results[i];
          if (result?.EventId && !result.ErrorCode) {
            this.sent++;
            return;
          }
          const code = result?.ErrorCode ?? 'NoResult';
          const reason = `${code}: ${result?.ErrorMessage ?? 'EventBridge returned no result for this entry'}`;
          if (RETRYABLE_ENTRY_ERRORS.has(code) || result === undefined) {
            retry.push(item);
            reasons.set(item, reason);
          } else {
            this.failures.push({ ref: item.ref, event: item.event, reason: `not sent: ${reason}` });
          }
        });
      } catch (error) {
        const name = (error as { name?: string }).name ?? 'Error';
        const message = (error as Error).message ?? String(error);
        if (STOPPING_ERRORS.has(name)) throw new PutEventsStoppedError(`EventBridge refused the request: ${name}: ${message}`, { cause: error });
        for (const item of pending) {
          retry.push(item);
          reasons.set(item, `${name}: ${message}`);
        }
      }
      if (attempt >= this.options.maxAttempts) {
        for (const item of retry) this.failures.push({ ref: item.ref, event: item.event, reason: `not sent after ${attempt} attempts: ${reasons.get(item)}` });
        return;
      }
      pending = retry;
    }
  }

  private entryOf(event: CustomerEvent): PutEventsRequestEntry {
    return {
      ...(this.options.busName ? { EventBusName: this.options.busName } : {}),
      Source: event.source,
      DetailType: event['detail-type'],
      Detail: JSON.stringify(event.detail),
      ...(this.options.sendTime ? { Time: new Date(event.time) } : {}),
    };
  }
}

/** A client for `waymark dev`'s events endpoint or a deployed bus's region. */
export function eventBridgeClient(target: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } } | { region?: string }): EventBridgeClient {
  return new EventBridgeClient('endpoint' in target ? { endpoint: target.endpoint, region: target.region, credentials: target.credentials, maxAttempts: 2 } : target.region ? { region: target.region } : {});
}
