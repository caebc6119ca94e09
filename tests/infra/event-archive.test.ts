/**
 * The event archive in the template: customer events on the bus go, one JSON
 * line each, through Firehose into an encrypted, private, TLS-only bucket
 * with a lifecycle rule and access logs; what EventBridge cannot hand over
 * goes to a dead-letter queue; Firehose may only write; no cdk-nag finding.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_INPUT_TEMPLATE, EventArchive } from '../../lib/infra/event-archive';
import { WaymarkStack } from '../../lib/infra/waymark-stack';
import { ARCHIVED_EVENTS } from '../../lib/replay/archive-format';

let app: App;
let stack: Stack;
let template: Template;

beforeAll(() => {
  app = new App({ outdir: mkdtempSync(join(tmpdir(), 'waymark-cdk-')) });
  stack = new Stack(app, 'Archive', { env: { account: '123456789012', region: 'eu-west-1' } });
  new EventArchive(stack, 'EventArchive', { bus: new events.EventBus(stack, 'Bus') });
  template = Template.fromStack(stack);
});

const ref = (type: string, prefix: string) => Object.keys(template.findResources(type)).find((id) => id.startsWith(prefix))!;

describe('EventArchive', () => {
  it('archives every customer event on the bus (a customerId, not an AWS source) through Firehose, one JSON line each, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: ref('AWS::Events::EventBus', 'Bus') },
      EventPattern: ARCHIVED_EVENTS,
      Targets: [
        {
          Id: Match.anyValue(),
          Arn: { 'Fn::GetAtt': [ref('AWS::KinesisFirehose::DeliveryStream', 'EventArchiveStream'), 'Arn'] },
          RoleArn: Match.anyValue(),
          InputTransformer: { InputTemplate: ARCHIVE_INPUT_TEMPLATE },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [ref('AWS::SQS::Queue', 'EventArchiveDeadLetters'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
        },
      ],
    });
    // The line is the late-delivery form `waymark run` and `replay` read, ended by the newline that makes JSON Lines.
    expect(ARCHIVE_INPUT_TEMPLATE).toBe('{"deliveredAt":"<aws.events.event.ingestion-time>","event":<aws.events.event.json>}\n');
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ref('AWS::Events::Rule', 'EventArchiveRule'), 'Arn'] } } } }),
        ]),
      },
    });
  });

  it('delivers to the bucket by day (events/YYYY/MM/DD/), gzip, every 5 MB or 300 s, the stream encrypted', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: { 'Fn::GetAtt': [ref('AWS::S3::Bucket', 'EventArchiveBucket'), 'Arn'] },
        Prefix: 'events/!{timestamp:yyyy/MM/dd}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
  });

  it('keeps the history in an encrypted, private, TLS-only, unversioned bucket, retained with the stack gone: Glacier Instant Retrieval after 90 days, deleted after 400, access logged', () => {
    const bucket = ref('AWS::S3::Bucket', 'EventArchiveBucket');
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        LifecycleConfiguration: {
          Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 400, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }] })],
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: ref('AWS::S3::Bucket', 'EventArchiveAccessLogs') }, LogFilePrefix: 'event-archive/' },
      }),
    });
    expect(template.findResources('AWS::S3::Bucket')[bucket]!.Properties.VersioningConfiguration).toBeUndefined();
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('lets Firehose write objects and nothing more (no delete, no other bucket), and EventBridge put records on this stream only', () => {
    const role = ref('AWS::IAM::Role', 'EventArchiveDeliveryRole');
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statementsOf = (roleId: string) => policies.filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId)).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>);
    expect(statementsOf(role).flatMap((s) => s.Action).sort()).toEqual(['logs:PutLogEvents', 's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:PutObject']);
    template.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'firehose.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': '123456789012' } } })] } });
    expect(statementsOf(ref('AWS::IAM::Role', 'EventArchiveRuleRole'))).toEqual([
      { Effect: 'Allow', Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'], Resource: { 'Fn::GetAtt': [ref('AWS::KinesisFirehose::DeliveryStream', 'EventArchiveStream'), 'Arn'] } },
    ]);
  });

  it('alarms when events reach its dead-letter queue and when delivery to S3 lags an hour', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ref('AWS::SQS::Queue', 'EventArchiveDeadLetters'), 'QueueName'] } }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Firehose', MetricName: 'DeliveryToS3.DataFreshness', Threshold: 3600 });
  });

  it('outputs the location `waymark replay --from` reads, under a plain name', () => {
    template.hasOutput('EventArchiveUri', { Value: { 'Fn::Join': ['', ['s3://', { Ref: ref('AWS::S3::Bucket', 'EventArchiveBucket') }, '/events/']] } });
  });

  it('passes the AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
  });

  it('takes a KMS key and another retention: the bucket and Firehose use the key, objects stay in S3 Standard', () => {
    const other = new Stack(new App(), 'Other', { env: { account: '123456789012', region: 'eu-west-1' } });
    const key = new kms.Key(other, 'Key', { enableKeyRotation: true });
    new EventArchive(other, 'EventArchive', { bus: new events.EventBus(other, 'Bus'), encryptionKey: key, expireAfter: Duration.days(30), instantRetrievalAfter: null });
    const t = Template.fromStack(other);
    const keyArn = { 'Fn::GetAtt': [Object.keys(t.findResources('AWS::KMS::Key'))[0]!, 'Arn'] };
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyArn }, BucketKeyEnabled: true }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Transitions: Match.absent() })] },
    });
    t.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { ExtendedS3DestinationConfiguration: Match.objectLike({ EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: keyArn } } }) });
  });
});

describe('WaymarkStack with archiveEvents', () => {
  it('archives the bus it routes, alarms through its alert topic, and passes the AwsSolutions checks; without it, no archive', () => {
    // No stack is bundled (CDK's own switch): the functions' code is not what this test is about.
    const archived = new App({ outdir: mkdtempSync(join(tmpdir(), 'waymark-cdk-')), context: { 'aws:cdk:bundling-stacks': [] } });
    const withArchive = new WaymarkStack(archived, 'Waymark', { workflowsDirectory: 'workflows', alertEmail: 'ops@ledgerly.example', archiveEvents: true, env: { account: '123456789012', region: 'eu-west-1' } });
    const t = Template.fromStack(withArchive);
    t.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: ARCHIVED_EVENTS, EventBusName: { Ref: Match.stringLikeRegexp('^RoutingBus') } });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsAlerts') }] });
    const report = new AwsSolutionsChecks(archived).validateScope(withArchive);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    const plain = new WaymarkStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Plain', { workflowsDirectory: 'workflows', env: { account: '123456789012', region: 'eu-west-1' } });
    expect(Object.keys(Template.fromStack(plain).findResources('AWS::KinesisFirehose::DeliveryStream'))).toEqual([]);
  });
});
