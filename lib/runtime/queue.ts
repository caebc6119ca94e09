/**
 * The work queue and the dead-letter path. All work reaches the advance
 * handler as one kind of message: an EventBridge event (delivered by a rule),
 * an SES engagement event in customer form (from the ses-events handler), or
 * a wake-up for a customer's journey (from the sweep).
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CustomerEvent } from '../engine/model';
import type { ServiceInput } from './journey-service';

export type WorkMessage = { kind: 'wake'; customerId: string; workflowId: string } | { kind: 'event'; event: CustomerEvent };

export interface WorkQueue {
  send(messages: WorkMessage[]): Promise<void>;
}

export interface DeadLetters {
  /** Keeps an input that can never be applied, with the reason, for an operator. */
  send(body: string, reason: string): Promise<void>;
}

const WAKE = 'waymark.wake';

export function encodeWorkMessage(message: WorkMessage): string {
  return message.kind === 'wake' ? JSON.stringify({ type: WAKE, customerId: message.customerId, workflowId: message.workflowId }) : JSON.stringify(message.event);
}

/** An SQS body → a service input, or the reason it is not one. */
export function decodeWorkMessage(body: string): { input: ServiceInput } | { reason: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { reason: `the message is not JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { reason: 'the message is not a JSON object' };
  const fields = parsed as Record<string, unknown>;
  if (fields.type === WAKE) {
    if (typeof fields.customerId !== 'string' || typeof fields.workflowId !== 'string') return { reason: 'a wake-up message needs customerId and workflowId' };
    return { input: { kind: 'wake', customerId: fields.customerId, workflowId: fields.workflowId } };
  }
  return { input: { kind: 'event', event: parsed } };
}

export class SqsWorkQueue implements WorkQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: WorkMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += 10) {
      let entries = messages.slice(start, start + 10).map((m, i) => ({ Id: String(i), MessageBody: encodeWorkMessage(m) }));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const output = await this.client.send(new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
        const failed = new Set((output.Failed ?? []).map((f) => f.Id));
        if (failed.size === 0) break;
        if (attempt >= 3) throw new Error(`SQS refused ${failed.size} messages: ${(output.Failed ?? []).map((f) => f.Message ?? f.Code).join('; ')}`);
        entries = entries.filter((e) => failed.has(e.Id));
      }
    }
  }
}

export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(body: string, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body.length > 240_000 ? body.slice(0, 240_000) : body,
        MessageAttributes: {
          'waymark-reason': { DataType: 'String', StringValue: reason.slice(0, 1000) || 'invalid input' },
          'waymark-rejected-by': { DataType: 'String', StringValue: 'advance' },
        },
      }),
    );
  }
}

/** In-process dead letters, for `waymark dev` and tests. */
export class MemoryDeadLetters implements DeadLetters {
  readonly entries: Array<{ body: string; reason: string }> = [];

  async send(body: string, reason: string): Promise<void> {
    this.entries.push({ body, reason });
  }
}
