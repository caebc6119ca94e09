/**
 * Production wiring for the Lambda handlers: SDK clients and dependencies
 * built once per execution environment, from the parsed configuration.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Config } from './config';
import { DynamoStore } from './dynamo-store';
import type { JourneyEventSink } from './journey-service';

export function createStore(config: { TABLE_NAME: string; DUE_SHARDS: number }, client = new DynamoDBClient({})): DynamoStore {
  return new DynamoStore({ client, tableName: config.TABLE_NAME, dueShards: config.DUE_SHARDS });
}

// One export per client, so a bundle only carries the clients its handler uses.
// SendEmail has no idempotency key: the SDK must never retry it on its own (a lost answer would send twice).
// SesMailer retries only what proves SES did not accept the message.
export const sesClient = () => new SESv2Client({ maxAttempts: 1 });
export const sqsClient = () => new SQSClient({});

/**
 * The unsubscribe signing keys, current first. From Secrets Manager
 * ({"current": "...", "previous": ["..."]}) in Lambda, or UNSUBSCRIBE_KEYS locally.
 */
export async function unsubscribeKeys(config: Pick<Config, 'UNSUBSCRIBE_KEYS' | 'UNSUBSCRIBE_KEYS_SECRET_ARN'>, client?: SecretsManagerClient): Promise<string[]> {
  if (config.UNSUBSCRIBE_KEYS) return config.UNSUBSCRIBE_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  if (!config.UNSUBSCRIBE_KEYS_SECRET_ARN) throw new Error('Waymark cannot start: set UNSUBSCRIBE_KEYS_SECRET_ARN (or UNSUBSCRIBE_KEYS for local runs)');
  const output = await (client ?? new SecretsManagerClient({})).send(new GetSecretValueCommand({ SecretId: config.UNSUBSCRIBE_KEYS_SECRET_ARN }));
  const secret = JSON.parse(output.SecretString ?? '{}') as { current?: unknown; previous?: unknown };
  if (typeof secret.current !== 'string' || secret.current.length < 16) throw new Error('the unsubscribe secret needs a "current" key of at least 16 characters');
  const previous = Array.isArray(secret.previous) ? secret.previous.filter((k): k is string => typeof k === 'string' && k.length > 0) : [];
  return [secret.current, ...previous];
}

/** Publishes the engine's journey events (entered, stage changed, converted, finished) to a bus. */
export class EventBridgeJourneyEvents implements JourneyEventSink {
  constructor(
    private readonly busName: string,
    private readonly client = new EventBridgeClient({}),
  ) {}

  async publish(effects: Parameters<JourneyEventSink['publish']>[0]): Promise<void> {
    for (let start = 0; start < effects.length; start += 10) {
      const entries = effects.slice(start, start + 10).map((e) => ({
        EventBusName: this.busName,
        Source: 'waymark',
        DetailType: e.detailType,
        Time: new Date(e.at),
        Detail: JSON.stringify(e.detail),
      }));
      const output = await this.client.send(new PutEventsCommand({ Entries: entries }));
      if (output.FailedEntryCount) throw new Error(`EventBridge refused ${output.FailedEntryCount} journey events`);
    }
  }
}
