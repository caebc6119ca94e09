/**
 * The work queue every input goes through (customer events from the bus,
 * SES engagement, due timers) and its dead-letter queue: what SQS could not
 * get processed after `maxReceiveCount` tries, what EventBridge could not
 * deliver, and what the advance function rejected as invalid (with a reason);
 * beside them, where the send path and the scheduled runs put their failures.
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface WorkQueueProps {
  /** At least six times the consumer's timeout (AWS's guidance for Lambda event sources). */
  visibilityTimeout: Duration;
  maxReceiveCount?: number;
}

export class WorkQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  /**
   * The send path's failures: stream batches the send function gave up on (Lambda's on-failure
   * records, naming the shard and sequence numbers) and emails whose outcome is unknown.
   */
  readonly sendFailureQueue: sqs.Queue;
  /**
   * Scheduled runs that failed (the sweep, segment scans: Lambda's on-failure records of their
   * asynchronous invocations) and schedules EventBridge could not deliver. The next run catches up;
   * these say that one failed, and why.
   */
  readonly scheduledRunFailureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: WorkQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.sendFailureQueue = new sqs.Queue(this, 'SendFailures', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.scheduledRunFailureQueue = new sqs.Queue(this, 'ScheduledRunFailures', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
  }
}
