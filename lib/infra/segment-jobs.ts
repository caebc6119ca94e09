/**
 * Segments in the cloud: one schedule per segment (`segments/*.json`), all
 * invoking one function that scans the stored profiles at a bounded read rate
 * and puts `Audience Joined` on the bus for customers who newly match.
 *
 * The function may Scan the table, GetItem and PutItem (memberships and its
 * scan cursor), and PutEvents on the bus: nothing else. The segment and the
 * scan's bounds travel in each schedule's input, so a changed segment is a
 * changed rule, and the function needs no files.
 */
import { existsSync } from 'node:fs';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { loadSegments, type Segment } from '../audience/segment';
import { formatProblem } from '../engine/validate';
import type { SegmentJobInput } from '../runtime/handlers/segment';
import { recordScheduledFailures, scheduledRunTarget } from './scheduled-run';
import { WaymarkFunction } from './waymark-function';

export interface SegmentJobsProps {
  segments: readonly Segment[];
  table: ITable;
  bus: events.IEventBus;
  /** Where failed scans and undeliverable schedules are recorded (the stack's scheduled-run failures queue). */
  failures: sqs.IQueue;
  /** Read units per second one run may consume (default 1,000: about 8 MB of table a second). */
  readUnitsPerSecond?: number;
  /** Parts scanned in parallel (default 4). */
  parallel?: number;
  /** Audience Joined events per second at most (default 500). */
  eventsPerSecond?: number;
}

export class InvalidSegmentsError extends Error {
  override readonly name = 'InvalidSegmentsError';
}

/** The segments of a directory, validated as `waymark audience segments` does; none when it does not exist. */
export function prepareSegments(directory: string): Segment[] {
  if (!existsSync(directory)) return [];
  const loaded = loadSegments([directory]);
  if (loaded.problems.length > 0) {
    throw new InvalidSegmentsError(`Waymark cannot deploy: ${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'} in ${directory} (the same as \`waymark audience segments\` reports):\n${loaded.problems.map(formatProblem).join('\n')}`);
  }
  return loaded.segments;
}

export class SegmentJobs extends Construct {
  readonly function: WaymarkFunction;
  /** The schedule of each segment, by segment id. */
  readonly schedules = new Map<string, events.Rule>();

  constructor(scope: Construct, id: string, props: SegmentJobsProps) {
    super(scope, id);
    const scan = { readUnitsPerSecond: props.readUnitsPerSecond ?? 1000, parallel: props.parallel ?? 4, eventsPerSecond: props.eventsPerSecond ?? 500 };

    this.function = new WaymarkFunction(this, 'Scan', {
      handler: 'segment',
      description: 'Scans stored profiles for a segment and puts Audience Joined on the bus for customers who newly match',
      memorySize: 512,
      // The longest a Lambda runs; a bigger table is covered over several runs (the cursor is kept).
      timeout: Duration.minutes(15),
    }).bindTable(props.table, ['GetItem', 'PutItem']);
    this.function.role.addToPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [props.table.tableArn] }));
    this.function.function.addEnvironment('EVENT_BUS_NAME', props.bus.eventBusName);
    props.bus.grantPutEventsTo(this.function.function);

    recordScheduledFailures(this.function.function, props.failures);

    for (const segment of props.segments) {
      const input: SegmentJobInput = {
        segment: { id: segment.id, audience: segment.audience, profile: segment.profile, ...(segment.rejoin ? { rejoin: segment.rejoin } : {}) },
        scan,
      };
      const rule = new events.Rule(this, `Schedule-${segment.id}`, {
        description: `Segment "${segment.id}": customers who newly match join audience "${segment.audience}"`,
        schedule: events.Schedule.expression(segment.schedule),
        // A failed run is caught up by the next one (memberships and the cursor are kept): no retries.
        targets: [scheduledRunTarget(this.function.function, props.failures, events.RuleTargetInput.fromObject(input))],
      });
      this.schedules.set(segment.id, rule);
    }
  }
}
