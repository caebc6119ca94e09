/**
 * The work queue of `waymark dev`, in process, with SQS's behaviour where it
 * matters: batches of up to ten, a failed message comes back after a
 * visibility timeout, and after five receives it goes to the dead letters.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { encodeWorkMessage, type WorkMessage, type WorkQueue } from '../runtime/queue';

interface Message {
  id: string;
  body: string;
  receives: number;
  visibleAt: number;
}

export class InProcessWorkQueue implements WorkQueue {
  private messages: Message[] = [];
  private running = false;
  private idleWaiters: Array<() => void> = [];
  private wakeUp: (() => void) | undefined;
  readonly deadLetters: Array<{ body: string; reason: string }> = [];

  constructor(
    private readonly consume: (event: SQSEvent) => Promise<SQSBatchResponse>,
    private readonly options: { visibilityTimeoutMs?: number; maxReceiveCount?: number; onError?: (error: Error) => void } = {},
  ) {}

  get depth(): number {
    return this.messages.length;
  }

  async send(messages: WorkMessage[]): Promise<void> {
    for (const message of messages) this.enqueue(encodeWorkMessage(message));
  }

  enqueue(body: string): void {
    this.messages.push({ id: randomUUID(), body, receives: 0, visibleAt: 0 });
    this.wakeUp?.();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  /** Stops taking batches; resolves once the batch in flight (if any) is done. */
  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    while (this.busy) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  /** Resolves when no visible message is left to process. */
  async drained(): Promise<void> {
    if (!this.messages.some((m) => m.visibleAt <= Date.now()) && !this.busy) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private busy = false;

  private async loop(): Promise<void> {
    while (this.running) {
      const now = Date.now();
      const batch = this.messages.filter((m) => m.visibleAt <= now).slice(0, 10);
      if (batch.length === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
        const nextVisible = Math.min(...this.messages.map((m) => m.visibleAt), now + 1000);
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
          setTimeout(resolve, Math.max(5, nextVisible - now)).unref();
        });
        this.wakeUp = undefined;
        continue;
      }
      this.busy = true;
      const taken = new Set(batch);
      this.messages = this.messages.filter((m) => !taken.has(m));
      for (const m of batch) m.receives += 1;
      try {
        const event: SQSEvent = {
          Records: batch.map((m) => ({
            messageId: m.id,
            receiptHandle: m.id,
            body: m.body,
            attributes: { ApproximateReceiveCount: String(m.receives), SentTimestamp: '0', SenderId: 'waymark-dev', ApproximateFirstReceiveTimestamp: '0' },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:waymark-dev-work',
            awsRegion: 'us-east-1',
          })),
        };
        const response = await this.consume(event);
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        for (const m of batch) if (failed.has(m.id)) this.retry(m, 'processing failed');
      } catch (error) {
        this.options.onError?.(error as Error);
        for (const m of batch) this.retry(m, (error as Error).message);
      } finally {
        this.busy = false;
      }
    }
  }

  private retry(message: Message, reason: string): void {
    if (message.receives >= (this.options.maxReceiveCount ?? 5)) {
      this.deadLetters.push({ body: message.body, reason: `failed ${message.receives} times: ${reason}` });
      return;
    }
    message.visibleAt = Date.now() + (this.options.visibilityTimeoutMs ?? 2000);
    this.messages.push(message);
  }
}
