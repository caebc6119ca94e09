/**
 * The segment jobs in the template: one schedule per segment carrying the
 * segment and the scan's bounds, one function allowed exactly what it does
 * (Scan, GetItem and PutItem on the table, PutEvents on the bus), and no
 * cdk-nag finding. The Waymark stack deploys them when segments/ has files.
 */
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Segment } from '../../lib/audience/segment';
import { InvalidSegmentsError, prepareSegments, SegmentJobs } from '../../lib/infra/segment-jobs';
import { WaymarkStack } from '../../lib/infra/waymark-stack';

const trialNudge: Segment = { id: 'trial-nudge', audience: 'trial-nudge', profile: { plan: ['trial'] }, schedule: 'rate(1 day)' };
const winBack: Segment = { id: 'win-back', audience: 'win-back', profile: { lastOrderAt: [{ exists: true }], plan: ['free'] }, schedule: 'cron(0 8 ? * MON *)', rejoin: { after: 'P90D' } };

let app: App;
let stack: Stack;
let template: Template;

beforeAll(() => {
  app = new App({ outdir: mkdtempSync(join(tmpdir(), 'waymark-cdk-')) });
  stack = new Stack(app, 'Segments', { env: { account: '123456789012', region: 'eu-west-1' } });
  const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING }, pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } });
  const bus = new events.EventBus(stack, 'Bus');
  const failures = new sqs.Queue(stack, 'ScheduledRunFailures', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED });
  new SegmentJobs(stack, 'Jobs', { segments: [trialNudge, winBack], table, bus, failures, readUnitsPerSecond: 500 });
  template = Template.fromStack(stack);
});

describe('SegmentJobs', () => {
  it('schedules each segment, with the segment and the scan bounds as the input, and no retries (the next run catches up)', () => {
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 day)',
      Targets: [
        Match.objectLike({
          Input: JSON.stringify({ segment: { id: 'trial-nudge', audience: 'trial-nudge', profile: { plan: ['trial'] } }, scan: { readUnitsPerSecond: 500, parallel: 4, eventsPerSecond: 500 } }),
          RetryPolicy: { MaximumRetryAttempts: 0 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 8 ? * MON *)',
      Targets: [Match.objectLike({ Input: Match.stringLikeRegexp('"rejoin":\\{"after":"P90D"\\}') })],
    });
  });

  it('records a failed scan, and a schedule that could not be delivered, in the failures queue: an asynchronous run never fails unseen', () => {
    const failures = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::SQS::Queue'))[0]!, 'Arn'] };
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) expect(rule.Properties.Targets[0].DeadLetterConfig).toEqual({ Arn: failures });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: failures } } });
  });

  it('runs one function for up to 15 minutes with the table and the bus named, its own log group, arm64', () => {
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 900,
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue(), EVENT_BUS_NAME: Match.anyValue() }) },
      LoggingConfig: Match.objectLike({ LogGroup: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('lets the function Scan, GetItem and PutItem on the table, PutEvents on the bus, record its failures, and nothing else', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>);
    const actions = statements.flatMap((s) => s.Action).sort();
    expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'events:PutEvents', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
    const table = Object.keys(template.findResources('AWS::DynamoDB::Table'))[0]!;
    const bus = Object.keys(template.findResources('AWS::Events::EventBus'))[0]!;
    const failures = Object.keys(template.findResources('AWS::SQS::Queue'))[0]!;
    for (const s of statements) {
      const actionsOf = ([] as string[]).concat(s.Action);
      if (actionsOf.some((a) => a.startsWith('dynamodb:'))) expect(s.Resource).toEqual({ 'Fn::GetAtt': [table, 'Arn'] });
      if (actionsOf.includes('events:PutEvents')) expect(s.Resource).toEqual({ 'Fn::GetAtt': [bus, 'Arn'] });
      if (actionsOf.some((a) => a.startsWith('sqs:'))) expect(s.Resource).toEqual({ 'Fn::GetAtt': [failures, 'Arn'] });
    }
  });

  it('passes the AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack.node.findChild('Jobs'));
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
  });
});

describe('segments/ at synth', () => {
  function project(segments: Record<string, unknown>): string {
    const root = mkdtempSync(join(tmpdir(), 'waymark-project-'));
    cpSync('workflows', join(root, 'workflows'), { recursive: true });
    mkdirSync(join(root, 'segments'));
    for (const [name, segment] of Object.entries(segments)) writeFileSync(join(root, 'segments', name), JSON.stringify(segment));
    return root;
  }

  it('fail the synth with every problem, as `waymark audience segments` reports them', () => {
    const root = project({ 'bad.json': { id: 'bad', audience: 'Bad Name', profile: { plan: 'trial' }, schedule: 'rate(5 minutes)' } });
    expect(() => prepareSegments(join(root, 'segments'))).toThrow(InvalidSegmentsError);
    expect(() => prepareSegments(join(root, 'segments'))).toThrow(/3 problems in .*segments[\s\S]*bad\.json: \$\.audience: lower-case letters[\s\S]*\$\.profile\.plan: [\s\S]*\$\.schedule: at most once an hour/);
  });

  it('are deployed by the Waymark stack when segments/ beside the workflows has any', () => {
    const root = project({ 'trial-nudge.json': trialNudge });
    const waymark = new WaymarkStack(new App({ outdir: mkdtempSync(join(tmpdir(), 'waymark-cdk-')) }), 'Waymark', { workflowsDirectory: join(root, 'workflows'), env: { account: '123456789012', region: 'eu-west-1' } });
    const synthesized = Template.fromStack(waymark);
    synthesized.resourceCountIs('AWS::Lambda::Function', 5);
    synthesized.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)', Targets: [Match.objectLike({ Input: Match.stringLikeRegexp('"audience":"trial-nudge"') })] });
    const report = new AwsSolutionsChecks(waymark.node.root as App).validateScope(waymark.node.findChild('Segments'));
    expect(report.violations).toEqual([]);
    // A whole stack's synth bundles five functions with esbuild: slow on a loaded machine, not a hang.
  }, 240_000);
});
