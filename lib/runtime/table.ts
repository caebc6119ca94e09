/**
 * The one DynamoDB table, defined once for the CDK stack and the local
 * runtime alike.
 *
 * | item                  | pk                  | sk                     | notes |
 * |-----------------------|---------------------|------------------------|-------|
 * | a customer's journey  | `C#<customerId>`    | `J#<workflowId>`       | `v` version, `st` state, `ob` outbox of the last write, `mx` its counters; `dpk`/`dsk` while a timer is set |
 * | a customer's profile  | `C#<customerId>`    | `P`                    | `p` attributes, `pt` their times, `pv` version, `sup` suppressed flag, `em` the address for the email index |
 * | a customer's budget   | `C#<customerId>`    | `B`                    | `s` counted sends of every workflow in the budget's period, `bv` version |
 * | a suppressed address  | `S#<address>`       | `S`                    | reason, time, customer |
 * | counters              | `M#<workflowId>`    | `<day>`                | one number attribute per step and metric, named `<step> <metric>`, atomic ADD |
 * | the sweep's cursor    | `SWEEP`             | `cursor`               | lease, and per shard where it stopped |
 * | a workflow's control  | `W#<workflowId>`    | `control`              | active, paused or stopped (`waymark journeys`) |
 * | an email held by a pause | `H#<workflowId>` | `<customerId>#<seq>`   | decided before the pause, kept until resume (then handed back to its journey) |
 *
 * One customer's profile and journeys share a partition: one Query reads
 * everything an input needs.
 *
 * The stream (new and old images) carries every journey write to the send
 * path: an outbox entry in the new image and not in the old one is an email
 * to send, and `mx` is the counters of that write.
 *
 * The due index is sparse (only items with a timer carry `dpk`: a wait, an
 * email deferred by the window, the cap or the budget; never an email to
 * send). Its partition key is a shard (`due#0` … `due#N-1`, by a hash of the
 * customer), its sort key the due-minute bucket followed by the exact time
 * (`2026-11-23T09:30|2026-11-23T09:30:12.000Z`). Writes spread over the shards
 * whatever the timing of a campaign, and a sweep is one range query per shard
 * from where it stopped, however long since the last one. A journey whose
 * workflow version is not deployed is parked in `park#<workflowId>#<version>`
 * of the same index, out of the sweep's way, until that version returns; a
 * customer held at an email step by a pause is in `hold#<workflowId>` until
 * the workflow is resumed.
 *
 * The email index is sparse too: only a profile with an email address
 * carries `em` (the address, trimmed and lower-cased), so `waymark map` finds
 * a customer by email with one Query, never a scan. It holds the keys only.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export const TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const DUE_INDEX = { name: 'due', partitionKey: 'dpk', sortKey: 'dsk' } as const;
export const EMAIL_INDEX = { name: 'email', partitionKey: 'em' } as const;

/** The email index's key for an address: trimmed and lower-cased (as suppression keys are); null when it is no address. */
export function emailIndexKey(address: unknown): string | null {
  if (typeof address !== 'string') return null;
  const normalized = address.trim().toLowerCase();
  return normalized.includes('@') && normalized.length <= 320 ? normalized : null;
}

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.partitionKey, AttributeType: 'S' },
      { AttributeName: DUE_INDEX.sortKey, AttributeType: 'S' },
      { AttributeName: EMAIL_INDEX.partitionKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: DUE_INDEX.name,
        KeySchema: [
          { AttributeName: DUE_INDEX.partitionKey, KeyType: 'HASH' },
          { AttributeName: DUE_INDEX.sortKey, KeyType: 'RANGE' },
        ],
        // The sweep only needs the keys (customer and workflow): the smallest index there is.
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: EMAIL_INDEX.name,
        KeySchema: [{ AttributeName: EMAIL_INDEX.partitionKey, KeyType: 'HASH' }],
        // Lookup by email (`waymark map`): the customer's id is in the keys.
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ],
    // The send path reads new outbox entries (and each write's counters) from the stream.
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

export const key = {
  journey: (customerId: string, workflowId: string) => ({ pk: `C#${customerId}`, sk: `J#${workflowId}` }),
  profile: (customerId: string) => ({ pk: `C#${customerId}`, sk: 'P' }),
  budget: (customerId: string) => ({ pk: `C#${customerId}`, sk: 'B' }),
  customer: (customerId: string) => `C#${customerId}`,
  suppression: (address: string) => ({ pk: `S#${address.trim().toLowerCase()}`, sk: 'S' }),
  counterPartition: (workflowId: string) => `M#${workflowId}`,
  /** All of a workflow's counters of one day (every step's) in one item: a `send` batch adds to it in one write. */
  counters: (workflowId: string, day: string) => ({ pk: key.counterPartition(workflowId), sk: day }),
  sweepCursor: { pk: 'SWEEP', sk: 'cursor' },
  control: (workflowId: string) => ({ pk: `W#${workflowId}`, sk: 'control' }),
  heldEmails: (workflowId: string) => `H#${workflowId}`,
  heldEmail: (workflowId: string, customerId: string, seq: number) => ({ pk: `H#${workflowId}`, sk: `${customerId}#${seq}` }),
};

/** The due-index partition of customers held at an email step while their workflow is paused. */
export function heldKey(workflowId: string): string {
  return `hold#${workflowId}`;
}

/** The due-index partition of journeys parked because their workflow version is not deployed. */
export function parkedKey(workflowId: string, version: number): string {
  return `park#${workflowId}#${version}`;
}

/** "2026-11-23T09:30" for an instant: the due index's minute bucket. */
export function minuteBucket(at: number): string {
  return new Date(Math.floor(at / 60_000) * 60_000).toISOString().slice(0, 16);
}

export function dueShardKey(shard: number): string {
  return `due#${shard}`;
}

/** The due index's sort key: minute bucket, then the exact instant (ISO strings sort by time). */
export function dueSortKey(at: number): string {
  return `${minuteBucket(at)}|${new Date(at).toISOString()}`;
}
