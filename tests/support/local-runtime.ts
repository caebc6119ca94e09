/**
 * The Lambda handlers wired to the real local servers, as `waymark dev` wires
 * them: DynamoDB Local through DynamoStore, the local SES server through
 * SesMailer, real SDK v3 clients, and the send handler fed by DynamoDB
 * Local's stream through the real Streams API. SQS is played by an in-process
 * queue that hands messages to the advance handler in batches, and the clock
 * is a variable the test moves.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { rulesFor } from '../../lib/dev/bus';
import type { ControlSource } from '../../lib/runtime/controls';
import { BufferedCounters } from '../../lib/runtime/counters';
import { DeliveryService } from '../../lib/runtime/delivery';
import { DynamoStore } from '../../lib/runtime/dynamo-store';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { createSendHandler } from '../../lib/runtime/handlers/send';
import { createSweepHandler } from '../../lib/runtime/handlers/sweep';
import { createUnsubscribeHandler } from '../../lib/runtime/handlers/unsubscribe';
import { changeLifecycle, type LifecycleAction } from '../../lib/runtime/journey-lifecycle';
import { type FaultPoint, JourneyService, silentLogger } from '../../lib/runtime/journey-service';
import { ensureTable, localDynamoClient, localSes, type StoredSesMessage } from '../../lib/runtime/local-servers';
import { LocalStreamReader } from '../../lib/runtime/local-stream';
import { isSendWork } from '../../lib/runtime/outbox-stream';
import type { Mailer } from '../../lib/runtime/mailer';
import { encodeWorkMessage, MemoryDeadLetters, MemoryUnknownOutcomes, QueueSuppressedNotices, type WorkMessage, type WorkQueue } from '../../lib/runtime/queue';
import type { WorkflowRegistry } from '../../lib/runtime/registry';
import { EmailRenderer } from '../../lib/runtime/render';
import { SesMailer } from '../../lib/runtime/ses-mailer';
import { SignedUnsubscribeLinks } from '../../lib/runtime/unsubscribe-token';

export const UNSUBSCRIBE_KEY = 'integration-test-signing-key-0001';
export const UNSUBSCRIBE_URL = 'https://unsubscribe.example/u';

/** An in-process stand-in for the SQS work queue. */
export class InProcessQueue implements WorkQueue {
  readonly pending: string[] = [];

  async send(messages: WorkMessage[]): Promise<void> {
    this.pending.push(...messages.map(encodeWorkMessage));
  }

  take(max: number): string[] {
    return this.pending.splice(0, max);
  }
}

export function sqsEvent(bodies: string[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: 'local',
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'local', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:waymark-work',
      awsRegion: 'us-east-1',
    })),
  };
}

/** A point inside the send handler where a test may "kill the process": after SES accepted an email. */
export type SendFaultPoint = 'after-ses-accepted';

export interface LocalRuntimeOptions {
  registry: WorkflowRegistry;
  /** The clock starts here (ISO). */
  start: string;
  /** Crashes in the advance handler (the journey service's fault points). */
  faults?: (point: FaultPoint) => void;
  /** Crashes in the send handler: the process dies, and the stream delivers the batch again to a new one. */
  sendFaults?: (point: SendFaultPoint) => void;
  dueShards?: number;
  keys?: string[];
  /** Wraps the SES mailer (to observe or disturb what SES is asked). */
  mailer?: (mailer: Mailer) => Mailer;
  /** Another runtime's table (a new deployment of the same stack); default a new table. */
  tableName?: string;
}

export async function createLocalRuntime(options: LocalRuntimeOptions) {
  const dynamoEndpoint = inject('dynamoEndpoint');
  const dynamo = localDynamoClient(dynamoEndpoint);
  const ses = localSes(inject('sesEndpoint'));
  const tableName = options.tableName ?? `waymark-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamo, tableName);

  const clock = { now: Date.parse(options.start) };
  const now = () => clock.now;
  const dueShards = options.dueShards ?? 4;
  const store = new DynamoStore({ client: dynamo, tableName, dueShards });
  const counters = new BufferedCounters(store);
  const deadLetters = new MemoryDeadLetters();
  const unknown = new MemoryUnknownOutcomes();
  const queue = new InProcessQueue();
  const keys = options.keys ?? [UNSUBSCRIBE_KEY];
  // Workflows' controls read through no cache: a pause in a test applies from the next input.
  const controls: ControlSource = { get: (workflowId) => store.loadControl(workflowId) };
  const service = new JourneyService({
    registry: options.registry,
    store,
    counters,
    controls,
    sleep: async () => {},
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const sesMailer: Mailer = new SesMailer(ses.client, { configurationSetName: 'waymark-test', baseDelayMs: 1, sleep: async () => {} });
  const mailer = options.mailer ? options.mailer(sesMailer) : sesMailer;
  // A crash in the send handler: the process dies after SES accepted an email, before the stream's checkpoint.
  let crashed: Error | undefined;
  /** Each invocation of the send handler: the emails SES accepted in it ("customerId subject"), and whether it crashed. */
  const sendInvocations: Array<{ accepted: string[]; crashed: boolean }> = [];
  const newDelivery = () =>
    new DeliveryService({
      registry: options.registry,
      store,
      controls,
      mailer: {
        send: async (email) => {
          const outcome = await mailer.send(email);
          if (outcome.status === 'sent') sendInvocations.at(-1)?.accepted.push(`${email.entry.customerId} ${email.rendered.subject}`);
          if (outcome.status === 'sent' && options.sendFaults) {
            try {
              options.sendFaults('after-ses-accepted');
            } catch (error) {
              crashed = error as Error;
              throw error;
            }
          }
          return outcome;
        },
      },
      links: new SignedUnsubscribeLinks({ baseUrl: UNSUBSCRIBE_URL, key: keys[0]!, mailto: 'unsubscribe@ledgerly.example' }),
      renderer: new EmailRenderer(),
      notices: new QueueSuppressedNotices(queue),
      unknown,
      log: silentLogger,
    });
  // A crash in the send handler is a new process afterwards: it remembers nothing of what it sent.
  let delivery = newDelivery();
  const send = createSendHandler({ delivery: { deliver: (...args) => delivery.deliver(...args) } as DeliveryService, store, now, log: silentLogger });
  const sendCrashes = { count: 0 };
  const stream = new LocalStreamReader({
    dynamo,
    endpoint: dynamoEndpoint,
    tableName,
    filter: isSendWork,
    handler: async (event) => {
      sendInvocations.push({ accepted: [], crashed: false });
      const response = await send(event);
      if (crashed) {
        sendInvocations.at(-1)!.crashed = true;
        // The process died: the whole batch comes again, to a new process that remembers nothing it sent.
        const error = crashed;
        crashed = undefined;
        sendCrashes.count += 1;
        delivery = newDelivery();
        throw error;
      }
      return response;
    },
    maxAttempts: 1000,
  });
  // Another runtime processed this table's stream so far: this one (a new deployment) reads on from here.
  if (options.tableName) await stream.startAtLatest();
  const advance = createAdvanceHandler({ service, store, deadLetters, counters, now, log: silentLogger });
  const sweep = createSweepHandler({ store, controls, controlSettleMs: 0, queue, now, log: silentLogger, shards: dueShards, batchLimit: 10_000, deployed: options.registry.all.map((c) => ({ id: c.id, version: c.version })), unparkEveryMs: 0 });
  const unsubscribe = createUnsubscribeHandler({ store, keys: async () => keys, now, log: silentLogger, brand: 'Ledgerly' });
  const bus = rulesFor(options.registry.all.map((c) => c.definition), [...options.registry.catalogue.items]);

  const runtime = {
    tableName,
    store,
    dynamo,
    ses,
    service,
    clock,
    deadLetters,
    unknown,
    queue,
    advance,
    unsubscribe,
    sendCrashes,
    sendInvocations,
    /** Delivers raw messages (EventBridge events or encoded work messages) to advance in SQS-sized batches; then the stream. */
    async deliver(bodies: string[], batchSize = 10) {
      const failures = await runtime.advanceOnly(bodies, batchSize);
      await runtime.settle();
      return failures;
    },
    /** Delivers to advance only, without reading the stream (what is decided, not yet sent). */
    async advanceOnly(bodies: string[], batchSize = 10) {
      const failures: string[] = [];
      for (let i = 0; i < bodies.length; i += batchSize) {
        const event = sqsEvent(bodies.slice(i, i + batchSize));
        const response = await advance(event);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failures.push(...event.Records.filter((r) => failed.has(r.messageId)).map((r) => r.body));
      }
      return failures;
    },
    /** Reads the stream (the send function) and applies the notices it queued (suppressed addresses), until both are quiet. */
    async settle() {
      for (let round = 0; round < 1000; round++) {
        const streamed = await stream.poll();
        const notices = queue.pending.filter((body) => body.includes('"waymark.suppressed"'));
        if (notices.length > 0) {
          queue.pending.splice(0, queue.pending.length, ...queue.pending.filter((body) => !notices.includes(body)));
          await runtime.advanceOnly(notices);
        }
        // A batch that failed (a send crash, SES throttling) is retried by the next poll: keep polling until none waits.
        if (streamed === 0 && notices.length === 0 && stream.pending === 0) return;
      }
      throw new Error('the stream never went quiet');
    },
    /**
     * The table's whole stream delivered again, from its first record, to the same warm send function
     * (as Lambda invokes a batch again after a timeout that came after its sends); returns the records read.
     */
    async rereadStream() {
      const again = new LocalStreamReader({ dynamo, endpoint: dynamoEndpoint, tableName, filter: isSendWork, handler: (event) => send(event), maxAttempts: 10 });
      let records = 0;
      for (let round = 0; round < 1000; round++) {
        const read = await again.poll();
        records += read;
        if (read === 0 && again.pending === 0) return records;
      }
      throw new Error('the stream never went quiet');
    },
    /** Customer events as a rule delivers them (straight to the work queue). */
    async send(...events: object[]) {
      return runtime.deliver(events.map((e) => JSON.stringify(e)));
    },
    /** Customer events put on the bus: delivered once per compiled rule they match (workflow rules, the profile rule), as EventBridge does. */
    async publish(...events: object[]) {
      const bodies = events.flatMap((event) => bus.filter((rule) => rule.matches(event)).map(() => JSON.stringify(event)));
      return runtime.deliver(bodies);
    },
    /** An SES event from the configuration set: its rule targets the work queue. */
    async sesEvents(event: object) {
      return runtime.deliver([JSON.stringify(event)]);
    },
    /** `waymark journeys pause|resume|stop` at the current time (no cache to wait for: the stop's customers are woken at once). */
    async lifecycle(workflowId: string, action: LifecycleAction, lifecycleOptions: { dropHeld?: boolean } = {}) {
      const workflow = options.registry.latestOf(workflowId)!;
      return changeLifecycle(store, workflow, action, { clock: now, settleMs: 0, ...lifecycleOptions });
    },
    /** One sweep at the current time, and the wake-ups it enqueued, processed. */
    async sweepOnce() {
      const { enqueued } = await sweep();
      await runtime.deliver(queue.take(queue.pending.length));
      return enqueued;
    },
    /**
     * Moves the clock to `iso` as an on-time sweep would see it: to each timer's due time in turn,
     * sweeping there (so timers fire on time, as `waymark run` fires them), then to `iso`.
     */
    async advanceTo(iso: string) {
      const target = Date.parse(iso);
      let previous: number | undefined;
      for (let round = 0; round < 100_000; round++) {
        const next = await runtime.earliestDue();
        if (next === undefined || next > target) break;
        // The same timer again means it is not being woken (its wake-up failed): stop, the loop below sweeps once more.
        if (next === previous && clock.now >= next) break;
        previous = next;
        clock.now = Math.max(clock.now, next);
        await runtime.sweepOnce();
      }
      clock.now = Math.max(clock.now, target);
      for (let round = 0; round < 1000; round++) {
        if ((await runtime.sweepOnce()) === 0) return;
      }
      throw new Error('the sweep never ran dry');
    },
    /** The earliest timer in the due index (every shard), or undefined. */
    async earliestDue(): Promise<number | undefined> {
      let earliest: number | undefined;
      for (let shard = 0; shard < dueShards; shard++) {
        const [first] = await store.dueEntries(shard, null, '\uffff', 1);
        if (first && (earliest === undefined || first.dueAt < earliest)) earliest = first.dueAt;
      }
      return earliest;
    },
    /** The messages the local SES server received for these addresses. */
    async messagesTo(...addresses: string[]): Promise<StoredSesMessage[]> {
      const wanted = new Set(addresses.map((a) => a.toLowerCase()));
      return (await ses.messages()).filter((m) => m.destination.to.some((to) => wanted.has(to.toLowerCase())));
    },
    async journey(customerId: string, workflowId: string) {
      return store.loadJourney(customerId, workflowId);
    },
    async profile(customerId: string) {
      return (await store.loadCustomer(customerId)).profile;
    },
  };
  return runtime;
}

export type LocalRuntime = Awaited<ReturnType<typeof createLocalRuntime>>;

/** A unique address per test, so parallel test files never read each other's mail. */
export function uniqueAddress(name: string): string {
  return `${name}.${randomUUID().slice(0, 8)}@example.com`;
}

export function header(message: StoredSesMessage, name: string): string | undefined {
  return message.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
