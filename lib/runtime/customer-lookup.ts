/**
 * Finding customers for the journey map (`waymark dev` and `waymark map`):
 * by email address through the table's email index (one Query, keys only),
 * and the customers resting at a step, page by page.
 *
 * Listing a step's customers is a filtered Scan of the journey items, read in
 * bounded pages with a cursor: the table has no index by step (one would cost
 * an index write on every step a customer takes, for a question asked by
 * hand). Each call reads at most `maxItems` items (eventually consistent, so
 * 4 KB per half read unit) and says where to go on.
 */
import { type AttributeValue, type DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { EMAIL_INDEX, emailIndexKey } from './table';

/** Customer ids whose profile's email is `address` (any case, trimmed): one Query of the email index. */
export async function customerIdsByEmail(client: DynamoDBClient, tableName: string, address: string, limit = 20): Promise<string[]> {
  const email = emailIndexKey(address);
  if (email === null) return [];
  const output = await client.send(
    new QueryCommand({
      TableName: tableName,
      IndexName: EMAIL_INDEX.name,
      KeyConditionExpression: '#em = :em',
      ExpressionAttributeNames: { '#em': EMAIL_INDEX.partitionKey },
      ExpressionAttributeValues: { ':em': { S: email } },
      Limit: limit,
    }),
  );
  return (output.Items ?? []).map((item) => item.pk?.S ?? '').filter((pk) => pk.startsWith('C#')).map((pk) => pk.slice(2));
}

export interface StepCustomer {
  customerId: string;
  /** When the customer came to rest at the step (epoch ms), when known. */
  since: number | null;
  /** When their timer falls due (a wait's end, a deferred email), when they have one. */
  dueAt: number | null;
  held: boolean;
}

export interface StepCustomersPage {
  customers: StepCustomer[];
  /** Where the next page starts (opaque); null when the table has been read to the end. */
  next: string | null;
  /** Items read for this page (what it cost). */
  scanned: number;
}

const encodeCursor = (key: Record<string, AttributeValue>) => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(cursor: string): Record<string, AttributeValue> {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, AttributeValue>;
    if (typeof value.pk?.S === 'string' && typeof value.sk?.S === 'string') return { pk: { S: value.pk.S }, sk: { S: value.sk.S } };
  } catch {
    // falls through
  }
  throw new RangeError('not a cursor of this listing');
}

/**
 * Active customers of `workflowId` at `stepId`: up to `limit` of them, reading at most `maxItems`
 * items from `cursor` on. A page can hold fewer than `limit` with `next` set: go on from there.
 *
 * @example
 * const page = await customersAtStep(client, 'waymark', { workflowId: 'cold-traffic-nurture', stepId: 'clicked-1?' });
 * // { customers: [{ customerId: 'c-17', since: 1794…, dueAt: 1795…, held: false }, …], next: 'eyJwayI6…', scanned: 2000 }
 */
export async function customersAtStep(
  client: DynamoDBClient,
  tableName: string,
  query: { workflowId: string; stepId: string; cursor?: string | null; limit?: number; maxItems?: number },
): Promise<StepCustomersPage> {
  const limit = query.limit ?? 50;
  const maxItems = query.maxItems ?? 5000;
  let startKey = query.cursor ? decodeCursor(query.cursor) : undefined;
  const customers: StepCustomer[] = [];
  let scanned = 0;
  do {
    const output = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :sk AND st.#status = :active AND st.stepId = :step',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sk': { S: `J#${query.workflowId}` }, ':active': { S: 'active' }, ':step': { S: query.stepId } },
        ProjectionExpression: 'pk, sk, st.pendingSince, st.dueAt, st.held, st.enteredAt',
        Limit: Math.min(1000, maxItems - scanned),
        ExclusiveStartKey: startKey,
      }),
    );
    scanned += output.ScannedCount ?? 0;
    for (const item of output.Items ?? []) {
      const state = item.st?.M ?? {};
      const number = (value: AttributeValue | undefined) => (value?.N === undefined ? null : Number(value.N));
      customers.push({ customerId: (item.pk?.S ?? '').slice(2), since: number(state.pendingSince) ?? number(state.enteredAt), dueAt: number(state.dueAt), held: state.held?.BOOL === true });
    }
    startKey = output.LastEvaluatedKey;
    // Stop at a full page on an item boundary the cursor can resume from.
    if (customers.length >= limit) break;
  } while (startKey && scanned < maxItems);
  return { customers, next: startKey ? encodeCursor(startKey) : null, scanned };
}
