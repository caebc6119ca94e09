/**
 * The event archive (opt-in: `-c archiveEvents=true`): every customer event
 * put on the bus, used by a workflow or not, kept in S3 as JSON Lines for
 * `waymark replay --from s3://<bucket>/events --since P30D`.
 *
 *   bus ──rule (detail.customerId, not aws.*)──▶ Firehose (Direct PUT, 5 MB / 300 s, gzip) ──▶ S3 events/YYYY/MM/DD/
 *
 * Each line is `{"deliveredAt": <EventBridge's ingestion time>, "event": <the event>}`
 * (lib/replay/archive-format.ts), written by the rule's input transformer,
 * whose template ends with the newline that makes the objects JSON Lines.
 * Objects move to S3 Glacier Instant Retrieval after 90 days (a replay reads
 * them in milliseconds, at $0.03 per GB) and expire after 400 days (a year of
 * history and a month to spare), both props. The bucket is not versioned:
 * Firehose writes each object once under a new name and nothing overwrites
 * one, so versions would only keep what the lifecycle rule expires.
 */
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ARCHIVE_PREFIX, ARCHIVED_EVENTS } from '../replay/archive-format';

export interface EventArchiveProps {
  /** The bus whose customer events are archived. */
  bus: events.IEventBus;
  /** Objects move to S3 Glacier Instant Retrieval after this long (default 90 days; null: they stay in S3 Standard). */
  instantRetrievalAfter?: Duration | null;
  /** Objects are deleted after this long (default 400 days). */
  expireAfter?: Duration;
  /** Encrypt with this KMS key (default: S3-managed keys, SSE-S3). */
  encryptionKey?: kms.IKey;
  /** Where the bucket's server access logs go (default: a bucket of their own, same retention). */
  accessLogsBucket?: s3.IBucket;
  /** Firehose writes an object when this much has come in, or after `bufferingInterval` (default 5 MiB, 300 s). */
  bufferingSize?: Size;
  bufferingInterval?: Duration;
  /** Alarms notify this topic (events EventBridge could not hand to Firehose; Firehose not delivering to S3). */
  alarmTopic?: sns.ITopic;
}

/** `{"deliveredAt": …, "event": …}` and a newline: one JSON line per event. */
export const ARCHIVE_INPUT_TEMPLATE = '{"deliveredAt":"<aws.events.event.ingestion-time>","event":<aws.events.event.json>}\n';

class ArchiveLine extends events.RuleTargetInput {
  constructor() {
    super();
  }

  override bind(): events.RuleTargetInputProperties {
    return { inputTemplate: ARCHIVE_INPUT_TEMPLATE };
  }
}

export class EventArchive extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.IBucket;
  readonly deliveryStream: firehose.CfnDeliveryStream;
  readonly rule: events.Rule;
  /** Events EventBridge could not hand to Firehose after 24 hours of retries. */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** `s3://<bucket>/events/`: what `waymark replay --from` reads. */
  readonly uri: string;

  constructor(scope: Construct, id: string, props: EventArchiveProps) {
    super(scope, id);
    // Server access logs delivered under a bucket policy (AWS's recommendation), not ACLs: the buckets keep ACLs disabled.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const expiration = props.expireAfter ?? Duration.days(400);
    const instantRetrievalAfter = props.instantRetrievalAfter === undefined ? Duration.days(90) : props.instantRetrievalAfter;
    const encryption = props.encryptionKey ? { encryption: s3.BucketEncryption.KMS, encryptionKey: props.encryptionKey, bucketKeyEnabled: true } : { encryption: s3.BucketEncryption.S3_MANAGED };

    if (props.accessLogsBucket) this.accessLogsBucket = props.accessLogsBucket;
    else {
      const accessLogs = new s3.Bucket(this, 'AccessLogs', {
        encryption: s3.BucketEncryption.S3_MANAGED,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycleRules: [{ id: 'expire', expiration }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      Validations.of(accessLogs).acknowledge({
        id: 'AwsSolutions-S1',
        reason: "This bucket receives the event archive's server access logs; logging it in turn would need a third bucket, and so on.",
      });
      this.accessLogsBucket = accessLogs;
    }

    this.bucket = new s3.Bucket(this, 'Bucket', {
      ...encryption,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'event-archive/',
      lifecycleRules: [
        {
          id: 'retention',
          abortIncompleteMultipartUploadAfter: Duration.days(1),
          ...(instantRetrievalAfter ? { transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: instantRetrievalAfter }] } : {}),
          expiration,
        },
      ],
      // The history outlives the stack: deleting the stack leaves the bucket (and its lifecycle rule) in place.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Firehose at the L1: the L2 destination grants its role read, write and delete on the whole bucket.
    const deliveryLogs = new logs.LogGroup(this, 'DeliveryLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    const deliveryLogStream = new logs.LogStream(this, 'DeliveryLogStream', { logGroup: deliveryLogs, logStreamName: 'S3Delivery', removalPolicy: RemovalPolicy.DESTROY });
    const deliveryRole = new iam.Role(this, 'DeliveryRole', {
      description: 'Firehose writes archived events to the event archive bucket',
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', { conditions: { StringEquals: { 'sts:ExternalId': Stack.of(this).account } } }),
    });
    // What Firehose needs for an S3 destination (AWS's list), no more: it never reads back or deletes.
    const writeObjects = new iam.Policy(this, 'DeliveryPolicy', {
      roles: [deliveryRole],
      statements: [
        new iam.PolicyStatement({ actions: ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'], resources: [this.bucket.bucketArn] }),
        new iam.PolicyStatement({ actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ actions: ['logs:PutLogEvents'], resources: [Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: `${deliveryLogs.logGroupName}:log-stream:${deliveryLogStream.logStreamName}`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })] }),
      ],
    });
    Validations.of(writeObjects).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((this.bucket.node.defaultChild as s3.CfnBucket).logicalId) as string}.Arn>/*]`,
      reason: 'Firehose names each object it writes (events/YYYY/MM/DD/<stream>-<time>-<id>.gz, errors/…): the objects cannot be listed in advance. Only put, get (multipart) and abort are allowed; never delete.',
    });
    props.encryptionKey?.grantEncryptDecrypt(deliveryRole);
    this.deliveryStream = new firehose.CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: { keyType: 'AWS_OWNED_CMK' },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: deliveryRole.roleArn,
        // The day Firehose received the records (UTC): `--since` lists only the days it needs.
        prefix: `${ARCHIVE_PREFIX}!{timestamp:yyyy/MM/dd}/`,
        errorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        bufferingHints: { sizeInMBs: (props.bufferingSize ?? Size.mebibytes(5)).toMebibytes(), intervalInSeconds: (props.bufferingInterval ?? Duration.seconds(300)).toSeconds() },
        compressionFormat: 'GZIP',
        encryptionConfiguration: props.encryptionKey ? { kmsEncryptionConfig: { awskmsKeyArn: props.encryptionKey.keyArn } } : { noEncryptionConfig: 'NoEncryption' },
        cloudWatchLoggingOptions: { enabled: true, logGroupName: deliveryLogs.logGroupName, logStreamName: deliveryLogStream.logStreamName },
      },
    });
    // Firehose checks its role when the stream is created: the policy must exist first.
    this.deliveryStream.node.addDependency(writeObjects);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED, retentionPeriod: Duration.days(14) });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: "This queue is itself a dead-letter queue: the archive rule's, for events EventBridge could not hand to Firehose.",
    });

    this.rule = new events.Rule(this, 'Rule', {
      eventBus: props.bus,
      description: 'Every customer event (a detail.customerId, not an AWS source), to the event archive',
      // Replaced whole on the L1 below, with the pattern `waymark dev` archives with (the L2 types only simple fields).
      eventPattern: { source: ['waymark.placeholder'] },
    });
    (this.rule.node.defaultChild as events.CfnRule).eventPattern = ARCHIVED_EVENTS;
    // The target by hand: the library's Firehose target takes no dead-letter queue or retry policy.
    const role = new iam.Role(this, 'RuleRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com'), description: 'EventBridge puts archived events to the Firehose stream' });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['firehose:PutRecord', 'firehose:PutRecordBatch'], resources: [this.deliveryStream.attrArn] }));
    this.deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
      }),
    );
    const stream = this.deliveryStream;
    const deadLetterQueue = this.deadLetterQueue;
    this.rule.addTarget({
      bind: () => ({
        arn: stream.attrArn,
        role,
        input: new ArchiveLine(),
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: Duration.hours(24).toSeconds() },
      }),
    });

    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (props.alarmTopic) created.addAlarmAction(new actions.SnsAction(props.alarmTopic));
      this.alarms.push(created);
    };
    alarm('ArchiveDeadLetters', this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1,
      'Customer events could not be handed to the archive\'s Firehose stream for 24 hours (they are in the archive dead-letter queue; the journeys got them): see the stream\'s quota and state, then redrive the events to the bus if the history must be complete.');
    alarm('ArchiveDeliveryDelay', new cloudwatch.Metric({ namespace: 'AWS/Firehose', metricName: 'DeliveryToS3.DataFreshness', dimensionsMap: { DeliveryStreamName: this.deliveryStream.ref }, period: Duration.minutes(5), statistic: 'Maximum' }), 3600,
      'The event archive\'s oldest record has waited an hour to reach S3: read the stream\'s delivery log group (bucket policy, KMS key). Firehose gives up after 24 hours.');

    this.uri = `s3://${this.bucket.bucketName}/${ARCHIVE_PREFIX}`;
    // A plain output name (EventArchiveUri in the Waymark stack), not one with a hash.
    new CfnOutput(this, 'Uri', { value: this.uri, description: 'The event archive: waymark replay --from <this> --since P30D' }).overrideLogicalId(`${id.replace(/[^A-Za-z0-9]/g, '')}Uri`);
  }
}
