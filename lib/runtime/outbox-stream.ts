/**
 * What a record of the table's stream means to the send path: the emails a
 * journey write decided (outbox entries in the new image that the old image
 * did not have) and that write's counters. Any other change to an item (a
 * profile, a suppression, a journey parked by the sweep) carries neither.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { decodeCounters, decodeOutbox } from './dynamo-store';
import type { CounterRow, OutboxEntry } from './store';

export interface StreamWork {
  entries: OutboxEntry[];
  counters: CounterRow[];
}

type Image = Record<string, AttributeValue>;

/**
 * The records the send function's event source mapping lets through (its filter in the stack says
 * the same): journey writes that carry counters, which every write deciding an email does. Writes
 * of profiles, suppressions, counters and the sweep's cursor never invoke it.
 */
export function isSendWork(record: DynamoDBRecord): boolean {
  const keys = record.dynamodb?.Keys as Image | undefined;
  const newImage = record.dynamodb?.NewImage as Image | undefined;
  return (record.eventName === 'INSERT' || record.eventName === 'MODIFY') && (keys?.sk?.S ?? '').startsWith('J#') && typeof newImage?.mx?.S === 'string';
}

export function decodeStreamRecord(record: DynamoDBRecord): StreamWork {
  const data = record.dynamodb;
  const newImage = data?.NewImage as Image | undefined;
  if (!newImage || (record.eventName !== 'INSERT' && record.eventName !== 'MODIFY')) return { entries: [], counters: [] };
  const pk = newImage.pk?.S ?? '';
  const sk = newImage.sk?.S ?? '';
  if (!pk.startsWith('C#') || !sk.startsWith('J#')) return { entries: [], counters: [] };
  const oldImage = data?.OldImage as Image | undefined;
  const customerId = pk.slice(2);
  const workflowId = sk.slice(2);
  const before = new Set(Object.keys(oldImage?.ob?.M ?? {}));
  // An email is to send when its outbox key is new in this image: decided by a journey write (keyed by its
  // sequence number), or written back after a pause (under a key of its own, so it is new even when the
  // journey's outbox still holds it from its decision).
  const fresh = Object.entries(newImage.ob?.M ?? {}).filter(([entryKey]) => !before.has(entryKey));
  const entries = fresh.length === 0 ? [] : decodeOutbox(customerId, workflowId, { ob: { M: Object.fromEntries(fresh) } });
  // Only a journey write moves the version; the counters on the item belong to that write.
  const counters = oldImage && oldImage.v?.N === newImage.v?.N ? [] : decodeCounters(workflowId, newImage.mx?.S);
  return { entries, counters };
}
