/**
 * Running a segment: a parallel Scan of the table at a bounded rate, the
 * stored profiles matched against the segment's pattern, and one
 * `Audience Joined` event for each customer who newly matches.
 *
 * Membership is an item in the customer's partition, `pk = C#<customerId>`,
 * `sk = A#<audience>`, holding when they joined (`at`). Its sort key sorts
 * before the journeys (`J#…`) and the profile (`P`), and a Scan returns a
 * partition's items together in sort-key order, so the scan reads a customer's
 * membership just before their profile: members cost no extra request, and
 * the only writes are one per new member.
 *
 * Order of effects: the event first, the membership after it. A crash between
 * the two sends that customer's event again at the next run (a journey that
 * entered on it ignores a second entry while the customer is in it, and after
 * unless its `reentry` allows); never the reverse, where a customer would be
 * marked a member without having joined.
 *
 * A run can stop at a deadline (a Lambda's time limit): the cursor says where
 * each part of the scan stopped, and the next run goes on from there.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { compilePattern, type EventPattern } from '../engine/patterns';
import { addDuration } from '../engine/time';
import { key } from '../runtime/table';
import { type AudienceJoinedEvent, audienceEventId, audienceJoined, canonicalJson } from './audience-joined';
import type { PutEventsSender } from './put-events';

/** What a run needs of a segment (the schedule is the stack's business). */
export interface SegmentRule {
  id: string;
  audience: string;
  profile: EventPattern;
  rejoin?: 'never' | { after: string };
}

/** The membership item of a customer in an audience. */
export const memberKey = (customerId: string, audience: string) => ({ pk: key.customer(customerId), sk: `A#${audience}` });
/** Where a segment's scan cursor is kept between runs. */
export const segmentStateKey = (segmentId: string) => ({ pk: `G#${segmentId}`, sk: 'G' });

export interface SegmentSink {
  /** Delivers events; resolves to those that could not be delivered, with the reason. */
  emit(events: AudienceJoinedEvent[]): Promise<Array<{ event: AudienceJoinedEvent; reason: string }>>;
}

/**
 * A sink that puts the events on a bus. Emits run one after another (the
 * parts of a scan call it concurrently), so each learns exactly which of its
 * own events failed.
 */
export function busSink(sender: PutEventsSender<AudienceJoinedEvent>): SegmentSink {
  let previous: Promise<unknown> = Promise.resolve();
  return {
    emit(events) {
      const run = previous.then(async () => {
        for (const event of events) await sender.add({ event, ref: event });
        return (await sender.flush()).map((f) => ({ event: f.ref, reason: f.reason }));
      });
      previous = run.catch(() => undefined);
      return run;
    },
  };
}

export interface ScanPart {
  /** Where this part goes on from (DynamoDB's LastEvaluatedKey); absent at the start. */
  startKey?: Record<string, AttributeValue>;
  done: boolean;
  /** The customer whose membership was the last item read (their profile may be on the next page). */
  member?: { pk: string; at: number };
}

export interface ScanCursor {
  /** Which definition the cursor belongs to: a changed segment starts over. */
  definition: string;
  parts: ScanPart[];
}

export interface SegmentScanOptions {
  client: DynamoDBClient;
  tableName: string;
  segment: SegmentRule;
  sink: SegmentSink;
  now: () => number;
  /** Read capacity units per second the whole scan may consume (all parts together). */
  readUnitsPerSecond: number;
  /** Parts scanned in parallel (DynamoDB's TotalSegments). */
  parallel: number;
  /** Stop before reading a page at or after this instant (epoch ms); the cursor then says where to resume. */
  deadline?: number;
  cursor?: ScanCursor;
  /** Write memberships (default true). False for a dry run or a file of events: nothing is recorded. */
  recordMembers?: boolean;
  /** Items read per request at most (default: DynamoDB's 1 MB pages). */
  pageSize?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SegmentScanResult {
  /** Items the scan read (every item of the table is read; only profiles and this audience's memberships are returned). */
  itemsRead: number;
  profiles: number;
  matched: number;
  /** Matching customers who are members already (and may not rejoin yet). */
  members: number;
  /** Matching customers whose address is suppressed: they do not join. */
  suppressed: number;
  /** Customers who joined in this run (their events were delivered). */
  joined: number;
  failed: Array<{ customerId: string; reason: string }>;
  readUnits: number;
  /** The whole table was scanned; otherwise `cursor` says where to go on. */
  complete: boolean;
  cursor: ScanCursor;
  ms: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const MARKER_WRITES_IN_FLIGHT = 8;

export function definitionOf(segment: SegmentRule): string {
  return canonicalJson({ audience: segment.audience, profile: segment.profile, rejoin: segment.rejoin ?? 'never' });
}

export async function scanSegment(options: SegmentScanOptions): Promise<SegmentScanResult> {
  const { client, tableName, segment, sink, now } = options;
  const sleep = options.sleep ?? realSleep;
  const matches = compilePattern(segment.profile);
  const memberSk = `A#${segment.audience}`;
  const rejoinAfter = typeof segment.rejoin === 'object' ? segment.rejoin.after : undefined;
  const parallel = Math.max(1, Math.floor(options.parallel));
  const definition = definitionOf(segment);
  const resume = options.cursor && options.cursor.definition === definition && options.cursor.parts.length === parallel ? options.cursor : undefined;
  const parts: ScanPart[] = resume ? resume.parts.map((p) => ({ ...p })) : Array.from({ length: parallel }, () => ({ done: false }));
  const perPart = options.readUnitsPerSecond / parallel;
  const started = now();
  const result: SegmentScanResult = { itemsRead: 0, profiles: 0, matched: 0, members: 0, suppressed: 0, joined: 0, failed: [], readUnits: 0, complete: false, cursor: { definition, parts }, ms: 0 };

  /** A member may join again when rejoining is allowed and long enough has passed. */
  const mayRejoin = (joinedAt: number, at: number) => rejoinAfter !== undefined && addDuration(joinedAt, rejoinAfter) <= at;

  async function join(candidates: string[]): Promise<void> {
    if (candidates.length === 0) return;
    const at = now();
    const time = new Date(at).toISOString();
    // No profile in the event: the stored one is the truth, and a copy read by the scan could overwrite a newer change.
    const events = candidates.map((customerId) =>
      audienceJoined({ id: audienceEventId(segment.audience, customerId, { segment: segment.id, ...(rejoinAfter ? { joinedAt: time } : {}) }), time, customerId, audience: segment.audience, profile: {} }),
    );
    const failed = await sink.emit(events);
    const failedIds = new Set(failed.map((f) => f.event.detail.customerId));
    for (const f of failed) result.failed.push({ customerId: f.event.detail.customerId, reason: f.reason });
    const joined = events.filter((e) => !failedIds.has(e.detail.customerId));
    result.joined += joined.length;
    if (options.recordMembers === false) return;
    for (let i = 0; i < joined.length; i += MARKER_WRITES_IN_FLIGHT) {
      await Promise.all(
        joined.slice(i, i + MARKER_WRITES_IN_FLIGHT).map((e) =>
          client.send(new PutItemCommand({ TableName: tableName, Item: marshall({ ...memberKey(e.detail.customerId, segment.audience), at, seg: segment.id }) })),
        ),
      );
    }
  }

  async function scanPart(index: number): Promise<void> {
    const part = parts[index]!;
    const partStarted = now();
    let partUnits = 0;
    while (!part.done) {
      if (options.deadline !== undefined && now() >= options.deadline) return;
      const page: ScanCommandOutput = await client.send(
        new ScanCommand({
          TableName: tableName,
          Segment: index,
          TotalSegments: parallel,
          ExclusiveStartKey: part.startKey,
          ...(options.pageSize ? { Limit: options.pageSize } : {}),
          // Every item is read (and paid for); only profiles and this audience's memberships come back.
          FilterExpression: 'sk = :profile OR sk = :member',
          ProjectionExpression: 'pk, sk, p, sup, #at',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':profile': { S: 'P' }, ':member': { S: memberSk } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      );
      const units = page.ConsumedCapacity?.CapacityUnits ?? 0;
      partUnits += units;
      result.readUnits += units;
      result.itemsRead += page.ScannedCount ?? 0;

      const candidates: string[] = [];
      const at = now();
      for (const raw of page.Items ?? []) {
        const pk = raw.pk?.S ?? '';
        const sk = raw.sk?.S ?? '';
        if (!pk.startsWith('C#')) continue;
        if (sk === memberSk) {
          part.member = { pk, at: Number(raw.at?.N ?? 0) };
          continue;
        }
        result.profiles++;
        const item = unmarshall(raw) as { p?: Record<string, unknown>; sup?: boolean };
        if (!matches(item.p ?? {})) continue;
        result.matched++;
        if (item.sup === true) result.suppressed++;
        else if (part.member?.pk === pk && !mayRejoin(part.member.at, at)) result.members++;
        else candidates.push(pk.slice(2));
      }
      await join(candidates);

      part.startKey = page.LastEvaluatedKey;
      if (!part.startKey) {
        part.done = true;
        delete part.member;
      }
      // The bound: this part's share of the read rate, averaged since it started.
      const earliest = partStarted + (partUnits / perPart) * 1000;
      const current = now();
      if (!part.done && earliest > current) await sleep(earliest - current);
    }
  }

  await Promise.all(parts.map((_, i) => scanPart(i)));
  result.complete = parts.every((p) => p.done);
  result.ms = now() - started;
  return result;
}

/** The cursor a previous run left, if it stopped before the end. */
export async function loadScanCursor(client: DynamoDBClient, tableName: string, segmentId: string): Promise<ScanCursor | undefined> {
  const output = await client.send(new GetItemCommand({ TableName: tableName, Key: marshall(segmentStateKey(segmentId)), ConsistentRead: true }));
  const cursor = output.Item?.cursor?.S;
  return cursor ? (JSON.parse(cursor) as ScanCursor) : undefined;
}

/** Keeps where a run stopped (or, when it completed, that it did). */
export async function saveScanCursor(client: DynamoDBClient, tableName: string, segmentId: string, result: Pick<SegmentScanResult, 'complete' | 'cursor'>, at: number): Promise<void> {
  const item: Record<string, unknown> = { ...segmentStateKey(segmentId), updatedAt: at };
  if (result.complete) item.completedAt = at;
  else item.cursor = JSON.stringify(result.cursor);
  await client.send(new PutItemCommand({ TableName: tableName, Item: marshall(item) }));
}
