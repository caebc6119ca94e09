/**
 * Waymark in one stack: the table, the bus rules compiled from the workflows,
 * the work queue, the four functions, SES sending and its events, the
 * unsubscribe endpoint, its signing keys, and the alarms.
 */
import { dirname, join } from 'node:path';
import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { EmailSending, identitiesOf } from './email-sending';
import { JourneyTable } from './journey-table';
import { OperationalAlarms } from './operational-alarms';
import { prepareSegments, SegmentJobs } from './segment-jobs';
import { WaymarkFunction } from './waymark-function';
import { prepareWorkflowAssets } from './workflow-assets';
import { WorkflowRouting } from './workflow-routing';
import { WorkQueue } from './work-queue';

export interface WaymarkStackProps extends StackProps {
  /** The workflows directory (workflows, content/, archive/). */
  workflowsDirectory: string;
  /** Verified SES identities (domains or addresses) to send from; default: the workflows' senders and their domains. */
  sendingIdentities?: string[];
  /** Read customer events from this existing bus; default: a new bus. */
  eventBusName?: string;
  /** Alarm notifications go to this address. */
  alertEmail?: string;
  /** The account's SES maximum send rate (emails per second): the advance function's concurrency stays within it. */
  sesMaxSendRate?: number;
  /** An address for mailto: unsubscribe requests in List-Unsubscribe (processed outside Waymark). */
  unsubscribeMailto?: string;
  /** Shards of the due-time index. */
  dueShards?: number;
  /** Publish journey events (entered, stage changed, converted, finished) to the bus. */
  publishJourneyEvents?: boolean;
  /** Segments (`*.json`) deployed as scheduled jobs; default: `segments` beside the workflows directory. */
  segmentsDirectory?: string;
}

/** One advance instance sends about this many emails a second (SES calls are sequential within a batch). */
export const EMAILS_PER_SECOND_PER_INSTANCE = 5;

export function advanceConcurrencyFor(sesMaxSendRate: number): number {
  return Math.min(1000, Math.max(2, Math.floor(sesMaxSendRate / EMAILS_PER_SECOND_PER_INSTANCE)));
}

export class WaymarkStack extends Stack {
  readonly table: JourneyTable;
  readonly work: WorkQueue;
  readonly routing: WorkflowRouting;
  readonly email: EmailSending;
  readonly functions: { advance: WaymarkFunction; sweep: WaymarkFunction; sesEvents: WaymarkFunction; unsubscribe: WaymarkFunction };
  readonly unsubscribeUrl: lambda.FunctionUrl;
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: WaymarkStackProps) {
    super(scope, id, props);
    const assets = prepareWorkflowAssets(props.workflowsDirectory);
    const dueShards = props.dueShards ?? 4;
    const advanceTimeout = Duration.seconds(30);

    this.table = new JourneyTable(this, 'Journeys');
    const table = this.table.table;
    this.work = new WorkQueue(this, 'Work', { visibilityTimeout: Duration.seconds(advanceTimeout.toSeconds() * 6) });
    this.routing = new WorkflowRouting(this, 'Routing', {
      workflows: assets.workflows,
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

    // unsubscribe: the function URL of RFC 8058 one-click unsubscribe.
    const unsubscribe = new WaymarkFunction(this, 'Unsubscribe', { handler: 'unsubscribe', description: 'One-click unsubscribe (RFC 8058) and its confirmation page' })
      .bindTable(table, ['PutItem', 'UpdateItem'])
      .bindUnsubscribeKeys(unsubscribeKeys);
    this.unsubscribeUrl = unsubscribe.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    // Unauthenticated on purpose: mail clients POST RFC 8058 one-click unsubscribes without credentials;
    // each request carries an HMAC-signed token the function verifies.

    // advance: applies every input.
    const advance = new WaymarkFunction(this, 'Advance', {
      handler: 'advance',
      description: 'Applies customer events, SES engagement and due timers to journeys, and sends the emails they decide',
      memorySize: 1024,
      timeout: advanceTimeout,
      extraFiles: [{ source: assets.bundlePath, name: 'workflows.json' }],
    })
      .bindTable(table, ['Query', 'GetItem', 'UpdateItem'], { dueShards })
      .bindDeadLetterQueue(this.work.deadLetterQueue)
      .bindUnsubscribeKeys(unsubscribeKeys)
      .bindEmailSending(this.email.configurationSet.configurationSetName, this.email.identityArns);
    advance.function.addEnvironment('UNSUBSCRIBE_URL', this.unsubscribeUrl.url);
    if (props.unsubscribeMailto) advance.function.addEnvironment('UNSUBSCRIBE_MAILTO', props.unsubscribeMailto);
    if (props.publishJourneyEvents) {
      advance.function.addEnvironment('EVENT_BUS_NAME', this.routing.bus.eventBusName);
      this.routing.bus.grantPutEventsTo(advance.function);
    }
    advance.function.addEventSource(
      new SqsEventSource(this.work.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: advanceConcurrencyFor(props.sesMaxSendRate ?? 14),
      }),
    );

    // sweep: every minute, wakes journeys whose timer is due.
    const sweep = new WaymarkFunction(this, 'Sweep', { handler: 'sweep', description: 'Finds due journeys through the due-time index and enqueues their wake-ups', timeout: Duration.seconds(60) })
      .bindTable(table, [], { indexes: [{ name: this.table.dueIndexName, actions: ['Query'] }], dueShards })
      .bindWorkQueue(this.work.queue);
    new events.Rule(this, 'EveryMinute', {
      description: 'Runs the Waymark sweep',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed minute is caught by the next: no retries.
      targets: [new targets.LambdaFunction(sweep.function, { retryAttempts: 0 })],
    });

    // ses-events: bounces and complaints suppress, opens and clicks reach the journeys.
    const sesEvents = new WaymarkFunction(this, 'SesEvents', { handler: 'ses-events', description: 'Maps SES events to suppressions, per-step counters and engagement events' })
      .bindTable(table, ['PutItem', 'UpdateItem'])
      .bindWorkQueue(this.work.queue);
    new events.Rule(this, 'SesEventsRule', {
      description: 'SES events of the Waymark configuration set',
      eventBus: this.email.defaultBus,
      eventPattern: this.email.eventPattern(),
      targets: [new targets.LambdaFunction(sesEvents.function, { deadLetterQueue: this.work.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });

    this.functions = { advance, sweep, sesEvents, unsubscribe };
    this.alarms = new OperationalAlarms(this, 'Alarms', {
      functions: { Advance: advance.function, Sweep: sweep.function, SesEvents: sesEvents.function, Unsubscribe: unsubscribe.function },
      workQueue: this.work.queue,
      deadLetterQueue: this.work.deadLetterQueue,
      ...(props.alertEmail ? { alertEmail: props.alertEmail } : {}),
    });

    new CfnOutput(this, 'EventBusName', { value: this.routing.bus.eventBusName, description: 'Put customer events on this bus' });
    new CfnOutput(this, 'UnsubscribeUrl', { value: this.unsubscribeUrl.url });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.work.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'ConfigurationSetName', { value: this.email.configurationSet.configurationSetName });

    // Audience segments: one scheduled scan per segments/*.json, when there are any.
    const segments = prepareSegments(props.segmentsDirectory ?? join(dirname(props.workflowsDirectory), 'segments'));
    if (segments.length > 0) new SegmentJobs(this, 'Segments', { segments, table, bus: this.routing.bus });
  }
}
