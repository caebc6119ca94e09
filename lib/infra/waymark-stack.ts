/**
 * Waymark in one stack: the table (with its stream), the bus rules compiled
 * from the workflows (and the profile rule), the work queue, the four
 * functions (advance decides, send delivers from the stream, sweep wakes,
 * unsubscribe suppresses), SES sending and its events, the unsubscribe
 * endpoint, its signing keys, and the alarms.
 *
 * No function is invoked asynchronously without a destination for failures:
 * every rule with an event pattern targets SQS (with a dead-letter queue),
 * the stream's event source mapping has an on-failure queue, and the sweep's
 * schedule may miss a minute (the next run reads from where it stopped).
 */
import { dirname, join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EmailSending, identitiesOf } from './email-sending';
import { EventArchive } from './event-archive';
import { JourneyTable } from './journey-table';
import { OperationalAlarms } from './operational-alarms';
import { recordScheduledFailures, scheduledRunTarget } from './scheduled-run';
import { prepareSegments, SegmentJobs } from './segment-jobs';
import { WaymarkFunction } from './waymark-function';
import { prepareWorkflowAssets } from './workflow-assets';
import { WorkflowRouting } from './workflow-routing';
import { WorkQueue } from './work-queue';

export interface WaymarkStackProps extends StackProps {
  /** The workflows directory (workflows, content/, archive/, settings.json). */
  workflowsDirectory: string;
  /** Verified SES identities (domains or addresses) to send from; default: the workflows' senders and their domains. */
  sendingIdentities?: string[];
  /** Read customer events from this existing bus; default: a new bus. */
  eventBusName?: string;
  /** Alarm notifications go to this address. */
  alertEmail?: string;
  /** The account's SES maximum send rate (emails per second): the send function's concurrency is derived from it. */
  sesMaxSendRate?: number;
  /** An address for mailto: unsubscribe requests in List-Unsubscribe (processed outside Waymark). */
  unsubscribeMailto?: string;
  /** Shards of the due-time index. */
  dueShards?: number;
  /** Publish journey events (entered, stage changed, converted, finished) to the bus. */
  publishJourneyEvents?: boolean;
  /**
   * Reserve concurrency for send (from the SES rate) and unsubscribe (a flood cannot starve the rest).
   * Needs an account concurrency quota with room for them above the 100 AWS keeps unreserved;
   * default true. New accounts with a quota of 10 deploy with false (or ask for the usual 1,000).
   */
  reserveConcurrency?: boolean;
  /** Segments (`*.json`) deployed as scheduled jobs; default: `segments` beside the workflows directory. */
  segmentsDirectory?: string;
  /** Keep every customer event put on the bus in S3 (Firehose, JSON Lines) for `waymark replay --from s3://…`; default false. */
  archiveEvents?: boolean;
}

/** One send instance sends about this many emails a second (SES calls are sequential within a batch). */
export const EMAILS_PER_SECOND_PER_INSTANCE = 5;
/** Unsubscribe requests handled at once: plenty for people clicking, a ceiling for a flood. */
export const UNSUBSCRIBE_CONCURRENCY = 2;

/** The send function's reserved concurrency: enough instances for the account's SES rate, at least one. */
export function sendConcurrencyFor(sesMaxSendRate: number): number {
  return Math.min(1000, Math.max(1, Math.ceil(sesMaxSendRate / EMAILS_PER_SECOND_PER_INSTANCE)));
}

export class WaymarkStack extends Stack {
  readonly table: JourneyTable;
  readonly work: WorkQueue;
  readonly routing: WorkflowRouting;
  readonly email: EmailSending;
  readonly functions: { advance: WaymarkFunction; send: WaymarkFunction; sweep: WaymarkFunction; unsubscribe: WaymarkFunction };
  readonly unsubscribeUrl: lambda.FunctionUrl;
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: WaymarkStackProps) {
    super(scope, id, props);
    const assets = prepareWorkflowAssets(props.workflowsDirectory);
    const dueShards = props.dueShards ?? 4;
    const reserve = props.reserveConcurrency ?? true;
    const advanceTimeout = Duration.seconds(30);
    const workflowBundle = [{ source: assets.bundlePath, name: 'workflows.json' }];

    this.table = new JourneyTable(this, 'Journeys');
    const table = this.table.table;
    this.work = new WorkQueue(this, 'Work', { visibilityTimeout: Duration.seconds(advanceTimeout.toSeconds() * 6) });
    this.routing = new WorkflowRouting(this, 'Routing', {
      workflows: assets.workflows,
      profileAttributes: assets.profileAttributes,
      queue: this.work.queue,
      deadLetterQueue: this.work.deadLetterQueue,
      ...(props.eventBusName ? { eventBusName: props.eventBusName } : {}),
    });
    this.email = new EmailSending(this, 'Email', { identities: props.sendingIdentities ?? identitiesOf(assets.senders) });

    const unsubscribeKeys = new secretsmanager.Secret(this, 'UnsubscribeKeys', {
      description: 'Waymark unsubscribe link signing keys: {"current": "...", "previous": [...]}. To rotate, move current into previous and set a new current.',
      generateSecretString: { secretStringTemplate: JSON.stringify({ previous: [] }), generateStringKey: 'current', passwordLength: 48, excludePunctuation: true },
    });
    Validations.of(unsubscribeKeys).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Signing keys are rotated by hand (current → previous) so links in sent emails keep working during a rotation; automatic rotation would invalidate them.',
    });

    // unsubscribe: the function URL of RFC 8058 one-click unsubscribe. It writes only suppressions (S#),
    // the customer's suppression flag (C#, two attributes) and its counter (M#).
    const unsubscribe = new WaymarkFunction(this, 'Unsubscribe', {
      handler: 'unsubscribe',
      description: 'One-click unsubscribe (RFC 8058) and its confirmation page',
      ...(reserve ? { reservedConcurrentExecutions: UNSUBSCRIBE_CONCURRENCY } : {}),
    })
      .bindTable(table, ['PutItem', 'UpdateItem'], {
        onlyKeys: ['S#*', 'C#*', 'M#*'],
        onlyAttributes: ['pk', 'sk', 'address', 'reason', 'at', 'customerId', 'detail', 'sup', 'supReason', 'email.unsubscribed'],
      })
      .bindUnsubscribeKeys(unsubscribeKeys);
    this.unsubscribeUrl = unsubscribe.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    // Unauthenticated on purpose: mail clients POST RFC 8058 one-click unsubscribes without credentials;
    // each request carries an HMAC-signed token the function verifies.

    // advance: decides. Applies every input and writes each changed journey once; sends nothing.
    const advance = new WaymarkFunction(this, 'Advance', {
      handler: 'advance',
      description: 'Applies customer events, SES events, wake-ups and suppression notices to journeys, and writes the emails they decide',
      memorySize: 1024,
      timeout: advanceTimeout,
      extraFiles: workflowBundle,
    })
      .bindTable(table, ['Query', 'GetItem', 'PutItem', 'UpdateItem'], { dueShards })
      .bindDeadLetterQueue(this.work.deadLetterQueue);
    if (props.publishJourneyEvents) {
      advance.function.addEnvironment('EVENT_BUS_NAME', this.routing.bus.eventBusName);
      this.routing.bus.grantPutEventsTo(advance.function);
    }
    advance.function.addEventSource(new SqsEventSource(this.work.queue, { batchSize: 10, maxBatchingWindow: Duration.seconds(1), reportBatchItemFailures: true }));

    // send: delivers. Reads new outbox entries from the table's stream, as fast as SES allows.
    const send = new WaymarkFunction(this, 'Send', {
      handler: 'send',
      description: 'Delivers the emails journeys decided (from the table stream): suppression check, rendering, SES v2; adds up counters',
      memorySize: 512,
      timeout: Duration.seconds(60),
      extraFiles: workflowBundle,
      ...(reserve ? { reservedConcurrentExecutions: sendConcurrencyFor(props.sesMaxSendRate ?? 14) } : {}),
    })
      // PutItem: an email reaching SES's door after its workflow was paused is kept (H#) until it is resumed.
      .bindTable(table, ['Query', 'GetItem', 'PutItem', 'UpdateItem'])
      .bindWorkQueue(this.work.queue)
      .bindSendFailures(this.work.sendFailureQueue)
      .bindUnsubscribeKeys(unsubscribeKeys)
      .bindEmailSending(this.email.configurationSet.configurationSetName, this.email.identityArns);
    send.function.addEnvironment('UNSUBSCRIBE_URL', this.unsubscribeUrl.url);
    if (props.unsubscribeMailto) send.function.addEnvironment('UNSUBSCRIBE_MAILTO', props.unsubscribeMailto);
    send.function.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(2),
        reportBatchItemFailures: true,
        bisectBatchOnError: true,
        retryAttempts: 20,
        maxRecordAge: Duration.hours(6),
        onFailure: new SqsDlq(this.work.sendFailureQueue),
        // Only journey writes carry emails and counters: profiles, suppressions and counters never invoke it.
        filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { sk: { S: lambda.FilterRule.beginsWith('J#') } }, NewImage: { mx: { S: lambda.FilterRule.exists() } } } })],
      }),
    );

    Validations.of(send.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, which the stream event source mapping needs, has no resource-level permission (AWS requires "*"); the stream itself is granted on its ARN only.',
    });
    Validations.of(this.work.sendFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter destination: the on-failure destination of the send function\'s stream event source mapping, and where emails whose outcome is unknown are recorded for an operator.',
    });

    // sweep: every minute, wakes customers whose timer is due.
    const sweep = new WaymarkFunction(this, 'Sweep', {
      handler: 'sweep',
      description: 'Reads the due index from where it stopped and enqueues a wake-up per customer; puts back parked journeys',
      timeout: Duration.seconds(60),
      extraFiles: workflowBundle,
    })
      // GetItem, Query and DeleteItem: reading workflows' controls, and releasing what a pause held once resumed.
      .bindTable(table, ['GetItem', 'Query', 'UpdateItem', 'DeleteItem'], { indexes: [{ name: this.table.dueIndexName, actions: ['Query'] }], dueShards })
      .bindWorkQueue(this.work.queue);
    new events.Rule(this, 'EveryMinute', {
      description: 'Runs the Waymark sweep',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed minute is caught by the next run, which reads from where the last one stopped: no retries.
      targets: [scheduledRunTarget(sweep.function, this.work.scheduledRunFailureQueue)],
    });
    recordScheduledFailures(sweep.function, this.work.scheduledRunFailureQueue);
    Validations.of(this.work.scheduledRunFailureQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself a dead-letter destination: the on-failure destination of the scheduled runs (sweep, segment scans) and the dead-letter queue of their schedules.',
    });

    // SES events (bounces, complaints, opens, clicks) reach the work queue like customer events: never dropped.
    new events.Rule(this, 'SesEventsRule', {
      description: 'SES events of the Waymark configuration set, to the work queue',
      eventBus: this.email.defaultBus,
      eventPattern: this.email.eventPattern(),
      targets: [new targets.SqsQueue(this.work.queue, { deadLetterQueue: this.work.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) })],
    });

    this.functions = { advance, send, sweep, unsubscribe };
    this.alarms = new OperationalAlarms(this, 'Alarms', {
      functions: { Advance: advance.function, Send: send.function, Sweep: sweep.function, Unsubscribe: unsubscribe.function },
      workQueue: this.work.queue,
      deadLetterQueue: this.work.deadLetterQueue,
      sendFailureQueue: this.work.sendFailureQueue,
      scheduledRunFailureQueue: this.work.scheduledRunFailureQueue,
      advanceLogs: advance.logGroup,
      ...(props.alertEmail ? { alertEmail: props.alertEmail } : {}),
    });

    new CfnOutput(this, 'EventBusName', { value: this.routing.bus.eventBusName, description: 'Put customer events on this bus' });
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.unsubscribeUrl.url });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.work.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'SendFailuresQueueUrl', { value: this.work.sendFailureQueue.queueUrl });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.email.configurationSet.configurationSetName });

    // Audience segments: one scheduled scan per segments/*.json, when there are any.
    const segments = prepareSegments(props.segmentsDirectory ?? join(dirname(props.workflowsDirectory), 'segments'));
    if (segments.length > 0) new SegmentJobs(this, 'Segments', { segments, table, bus: this.routing.bus, failures: this.work.scheduledRunFailureQueue });

    // The event archive (opt-in), for `waymark replay`.
    if (props.archiveEvents) new EventArchive(this, 'EventArchive', { bus: this.routing.bus, ...(this.alarms.topic ? { alarmTopic: this.alarms.topic } : {}) });
  }
}
