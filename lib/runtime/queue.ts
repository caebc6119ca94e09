/**
 * The work queue and the dead-letter path. All work reaches the advance
 * handler as one kind of message: an EventBridge event (a customer event
 * delivered by a workflow's rule or the profile rule, or an SES event from
 * the configuration set's rule), a wake-up for a customer whose timer is due
 * (from the sweep), or a notice from the send path that an address turned
 * out to be suppressed.
 */
import { SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CustomerEvent, HeldEmail } from '../engine/model';
import type { ServiceInput } from './journey-service';
import type { OutboxEntry } from './store';

export type WorkMessage =
  | { kind: 'wake'; customerId: string; workflowId?: string }
  | { kind: 'suppressed'; customerId: string; workflowId: string }
  /** An email held by a pause on its way to SES, handed back to its journey on resume (to be decided again). */
  | { kind: 'held-email'; customerId: string; workflowId: string; email: HeldEmail }
  | { kind: 'event'; event: CustomerEvent };

export interface WorkQueue {
  send(messages: WorkMessage[]): Promise<void>;
}

export interface DeadLetters {
  /** Keeps an input that can never be applied, with the reason, for an operator. */
  send(body: string, reason: string): Promise<void>;
}

const WAKE = 'waymark.wake';
const SUPPRESSED = 'waymark.suppressed';
const HELD_EMAIL = 'waymark.held-email';

export function encodeWorkMessage(message: WorkMessage): string {
  switch (message.kind) {
    case 'wake':
      return JSON.stringify({ type: WAKE, customerId: message.customerId, ...(message.workflowId === undefined ? {} : { workflowId: message.workflowId }) });
    case 'suppressed':
      return JSON.stringify({ type: SUPPRESSED, customerId: message.customerId, workflowId: message.workflowId });
    case 'held-email':
      return JSON.stringify({ type: HELD_EMAIL, customerId: message.customerId, workflowId: message.workflowId, email: message.email });
    case 'event':
      return JSON.stringify(message.event);
  }
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
    if (typeof fields.customerId !== 'string' || (fields.workflowId !== undefined && typeof fields.workflowId !== 'string')) return { reason: 'a wake-up message needs a customerId (and, optionally, a workflowId)' };
    return { input: { kind: 'wake', customerId: fields.customerId, ...(typeof fields.workflowId === 'string' ? { workflowId: fields.workflowId } : {}) } };
  }
  if (fields.type === SUPPRESSED) {
    if (typeof fields.customerId !== 'string' || typeof fields.workflowId !== 'string') return { reason: 'a suppression notice needs customerId and workflowId' };
    return { input: { kind: 'suppressed', customerId: fields.customerId, workflowId: fields.workflowId } };
  }
  if (fields.type === HELD_EMAIL) {
    const email = fields.email as Partial<HeldEmail> | undefined;
    const numbers = email && [email.seq, email.version, email.at, email.decidedAt].every((n) => typeof n === 'number' && Number.isFinite(n));
    if (typeof fields.customerId !== 'string' || typeof fields.workflowId !== 'string' || !email || !numbers || typeof email.stepId !== 'string' || typeof email.contentId !== 'string') {
      return { reason: 'a held email handed back needs customerId, workflowId and the email (seq, version, stepId, contentId, at, decidedAt)' };
    }
    return { input: { kind: 'held-email', customerId: fields.customerId, workflowId: fields.workflowId, email: email as HeldEmail } };
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

/** The send path's notices that an address turned out to be suppressed, as work messages. */
export class QueueSuppressedNotices {
  constructor(private readonly queue: WorkQueue) {}

  async suppressed(customerId: string, workflowId: string): Promise<void> {
    await this.queue.send([{ kind: 'suppressed', customerId, workflowId }]);
  }
}

/** Emails whose outcome is unknown, kept on an SQS queue (the send path's failure queue) for an operator. */
export class SqsUnknownOutcomes {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async record(entry: OutboxEntry, reason: string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ type: 'waymark.email-outcome-unknown', reason, email: entry }),
        MessageAttributes: { 'waymark-reason': { DataType: 'String', StringValue: `outcome unknown: ${reason}`.slice(0, 1000) } },
      }),
    );
  }
}

/** In-process unknown outcomes, for `waymark dev`, `run` and tests. */
export class MemoryUnknownOutcomes {
  readonly entries: Array<{ entry: OutboxEntry; reason: string }> = [];

  async record(entry: OutboxEntry, reason: string): Promise<void> {
    this.entries.push({ entry, reason });
  }
}

/** In-process dead letters, for `waymark dev` and tests. */
export class MemoryDeadLetters implements DeadLetters {
  readonly entries: Array<{ body: string; reason: string }> = [];

  async send(body: string, reason: string): Promise<void> {
    this.entries.push({ body, reason });
  }
}
