/**
 * The Lambda handlers wired to the real local servers, as `waymark dev` wires
 * them: DynamoDB Local through DynamoStore, the local SES server through
 * SesMailer, real SDK v3 clients. SQS is played by an in-process queue that
 * hands messages to the advance handler in batches, and the clock is a
 * variable the test moves.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import { inject } from 'vitest';
import { BufferedCounters } from '../../lib/runtime/counters';
import { DynamoStore } from '../../lib/runtime/dynamo-store';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { createSesEventsHandler } from '../../lib/runtime/handlers/ses-events';
import { createSweepHandler } from '../../lib/runtime/handlers/sweep';
import { createUnsubscribeHandler } from '../../lib/runtime/handlers/unsubscribe';
import { type FaultPoint, JourneyService, silentLogger } from '../../lib/runtime/journey-service';
import { ensureTable, localDynamoClient, localSes, type StoredSesMessage } from '../../lib/runtime/local-servers';
import { encodeWorkMessage, MemoryDeadLetters, type WorkMessage, type WorkQueue } from '../../lib/runtime/queue';
import type { WorkflowRegistry } from '../../lib/runtime/registry';
import { EmailRenderer } from '../../lib/runtime/render';
import { SesMailer } from '../../lib/runtime/ses-mailer';
import { OUTBOX_GRACE_MS } from '../../lib/runtime/store';
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

export interface LocalRuntimeOptions {
  registry: WorkflowRegistry;
  /** The clock starts here (ISO). */
  start: string;
  faults?: (point: FaultPoint) => void;
  dueShards?: number;
  keys?: string[];
}

export async function createLocalRuntime(options: LocalRuntimeOptions) {
  const dynamo = localDynamoClient(inject('dynamoEndpoint'));
  const ses = localSes(inject('sesEndpoint'));
  const tableName = `waymark-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(dynamo, tableName);

  const clock = { now: Date.parse(options.start) };
  const now = () => clock.now;
  const store = new DynamoStore({ client: dynamo, tableName, dueShards: options.dueShards ?? 4 });
  const counters = new BufferedCounters(store);
  const deadLetters = new MemoryDeadLetters();
  const queue = new InProcessQueue();
  const keys = options.keys ?? [UNSUBSCRIBE_KEY];
  const service = new JourneyService({
    registry: options.registry,
    store,
    mailer: new SesMailer(ses.client, { configurationSetName: 'waymark-test', baseDelayMs: 1 }),
    links: new SignedUnsubscribeLinks({ baseUrl: UNSUBSCRIBE_URL, key: keys[0]!, mailto: 'unsubscribe@ledgerly.example' }),
    renderer: new EmailRenderer(),
    counters,
    sleep: async () => {},
    ...(options.faults ? { faults: options.faults } : {}),
  });
  const advance = createAdvanceHandler({ service, deadLetters, counters, now, log: silentLogger });
  const sweep = createSweepHandler({ store, queue, now, log: silentLogger, batchLimit: 10_000 });
  const sesEvents = createSesEventsHandler({ store, queue, log: silentLogger });
  const unsubscribe = createUnsubscribeHandler({ store, keys: async () => keys, now, log: silentLogger, brand: 'Ledgerly' });

  const runtime = {
    tableName,
    store,
    dynamo,
    ses,
    service,
    clock,
    deadLetters,
    queue,
    advance,
    sesEvents,
    unsubscribe,
    /** Delivers raw messages (EventBridge events or encoded work messages) to advance in SQS-sized batches. */
    async deliver(bodies: string[], batchSize = 10) {
      const failures: string[] = [];
      for (let i = 0; i < bodies.length; i += batchSize) {
        const event = sqsEvent(bodies.slice(i, i + batchSize));
        const response = await advance(event);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        failures.push(...event.Records.filter((r) => failed.has(r.messageId)).map((r) => r.body));
      }
      return failures;
    },
    /** Puts customer events on the "bus": they reach advance as the rule would deliver them. */
    async send(...events: object[]) {
      return runtime.deliver(events.map((e) => JSON.stringify(e)));
    },
    /** One sweep at the current time, and the wake-ups it enqueued, processed. */
    async sweepOnce() {
      const { enqueued } = await sweep();
      await runtime.deliver(queue.take(queue.pending.length));
      return enqueued;
    },
    /** Moves the clock to `iso`, sweeping until nothing more is due (timers fire at their own due times). */
    async advanceTo(iso: string) {
      clock.now = Math.max(clock.now, Date.parse(iso));
      for (let round = 0; round < 1000; round++) {
        if ((await runtime.sweepOnce()) === 0) return;
      }
      throw new Error('the sweep never ran dry');
    },
    /** Past the outbox grace period, so unconfirmed emails are resent by the sweep. */
    async afterGracePeriod() {
      await runtime.advanceTo(new Date(clock.now + OUTBOX_GRACE_MS + 1000).toISOString());
    },
    /** The messages the local SES server received for these addresses. */
    async messagesTo(...addresses: string[]): Promise<StoredSesMessage[]> {
      const wanted = new Set(addresses.map((a) => a.toLowerCase()));
      return (await ses.messages()).filter((m) => m.destination.to.some((to) => wanted.has(to.toLowerCase())));
    },
    async journey(customerId: string, workflowId: string) {
      return store.loadJourney(customerId, workflowId);
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
