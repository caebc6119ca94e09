/**
 * The scheduled segment job: one invocation per segment schedule, with the
 * segment and the scan's bounds in the schedule's input. It scans the stored
 * profiles at the bounded rate, puts `Audience Joined` on the bus for the
 * customers who newly match, and records them as members. A table too big for
 * one invocation is covered over several: the run stops a minute before the
 * function's time limit and keeps its cursor, and the next run goes on from it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { AudienceJoinedEvent } from '../../audience/audience-joined';
import { PutEventsSender } from '../../audience/put-events';
import { busSink, loadScanCursor, saveScanCursor, scanSegment, type SegmentRule } from '../../audience/segment-scan';
import type { Logger } from '../journey-service';

/** The schedule's input (written by the stack's SegmentJobs construct). */
export interface SegmentJobInput {
  segment: SegmentRule;
  scan: { readUnitsPerSecond: number; parallel: number; eventsPerSecond: number };
}

export interface SegmentJobDependencies {
  dynamo: DynamoDBClient;
  tableName: string;
  events: EventBridgeClient;
  busName: string;
  now: () => number;
  log: Logger;
  /** Time kept back before the function's limit, to save the cursor (default 60 s). */
  marginMs?: number;
}

export class InvalidSegmentJobError extends Error {
  override readonly name = 'InvalidSegmentJobError';
}

function checkInput(input: unknown): SegmentJobInput {
  const job = input as Partial<SegmentJobInput> | null;
  const segment = job?.segment;
  const scan = job?.scan;
  if (!segment || typeof segment.id !== 'string' || typeof segment.audience !== 'string' || typeof segment.profile !== 'object' || segment.profile === null) {
    throw new InvalidSegmentJobError('the schedule input needs {"segment": {"id", "audience", "profile"}}: redeploy the stack');
  }
  if (!scan || !(scan.readUnitsPerSecond > 0) || !(scan.parallel >= 1) || !(scan.eventsPerSecond > 0)) {
    throw new InvalidSegmentJobError('the schedule input needs {"scan": {"readUnitsPerSecond", "parallel", "eventsPerSecond"}} above 0: redeploy the stack');
  }
  return job as SegmentJobInput;
}

export function createSegmentHandler(deps: SegmentJobDependencies) {
  return async (input: unknown, context?: { getRemainingTimeInMillis(): number }) => {
    const { segment, scan } = checkInput(input);
    const sender = new PutEventsSender<AudienceJoinedEvent>({ client: deps.events, busName: deps.busName, ratePerSecond: scan.eventsPerSecond });
    const cursor = await loadScanCursor(deps.dynamo, deps.tableName, segment.id);
    const deadline = context ? deps.now() + context.getRemainingTimeInMillis() - (deps.marginMs ?? 60_000) : undefined;
    const result = await scanSegment({
      client: deps.dynamo,
      tableName: deps.tableName,
      segment,
      sink: busSink(sender),
      now: deps.now,
      readUnitsPerSecond: scan.readUnitsPerSecond,
      parallel: scan.parallel,
      ...(cursor ? { cursor } : {}),
      ...(deadline === undefined ? {} : { deadline }),
    });
    await saveScanCursor(deps.dynamo, deps.tableName, segment.id, result, deps.now());
    const summary = {
      segment: segment.id,
      audience: segment.audience,
      resumed: cursor !== undefined,
      complete: result.complete,
      itemsRead: result.itemsRead,
      profiles: result.profiles,
      matched: result.matched,
      members: result.members,
      suppressed: result.suppressed,
      joined: result.joined,
      failed: result.failed.length,
      readUnits: Math.round(result.readUnits * 10) / 10,
      ms: result.ms,
    };
    deps.log.info(result.complete ? 'segment scanned' : 'segment scan paused at the time limit: the next run goes on from here', summary);
    // Customers whose event could not be put are not members: the next run tries them again.
    if (result.failed.length > 0) deps.log.error('Audience Joined events not put on the bus', { segment: segment.id, failed: result.failed.slice(0, 20) });
    return summary;
  };
}
