/**
 * The CDK stack, synthesized offline from the sample workflows: the properties
 * that matter for failure handling, keys, routing and least privilege, and a
 * cdk-nag report with no unacknowledged finding.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_ALARMS } from '../../bench/cost';
import { formatProblem } from '../../lib/engine/validate';
import { compilePattern } from '../../lib/engine/patterns';
import { profileAttributePaths, profileRulePatterns, rulePatternsFor } from '../../lib/engine/routing';
import { sendConcurrencyFor, UNSUBSCRIBE_CONCURRENCY, WaymarkStack } from '../../lib/infra/waymark-stack';
import { InvalidWorkflowsError } from '../../lib/infra/workflow-assets';
import { allProblems, loadWorkflows } from '../../lib/runtime/workflow-files';

let app: App;
let stack: WaymarkStack;
let template: Template;

beforeAll(() => {
  app = new App({ outdir: mkdtempSync(join(tmpdir(), 'waymark-cdk-')) });
  stack = new WaymarkStack(app, 'Waymark', { workflowsDirectory: 'workflows', alertEmail: 'ops@ledgerly.example', sesMaxSendRate: 50, env: { account: '123456789012', region: 'eu-west-1' } });
  template = Template.fromStack(stack);
});

/** The actions of every policy statement attached to a function's role. */
function actionsOf(functionId: string): string[] {
  const functions = template.findResources('AWS::Lambda::Function');
  const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(functionId))!;
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId));
  const actions = policies.flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => s.Action));
  return [...new Set(actions)].sort();
}

describe('the journey table', () => {
  it('has the shared key schema, the sparse due index and the sparse email index, on demand, with point-in-time recovery, deletion protection, retention and a stream', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        GlobalSecondaryIndexes: [
          { IndexName: 'due', KeySchema: [{ AttributeName: 'dpk', KeyType: 'HASH' }, { AttributeName: 'dsk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
          // `waymark map` finds a customer by email with one Query: keys only, only profiles with an address.
          { IndexName: 'email', KeySchema: [{ AttributeName: 'em', KeyType: 'HASH' }], Projection: { ProjectionType: 'KEYS_ONLY' } },
        ],
      },
    });
  });

  it('feeds the send function from its stream: journey writes only, partial batch failures, bisecting, bounded retries, an on-failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JourneysTable'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 20,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkSendFailures'), 'Arn'] } } },
      FilterCriteria: { Filters: [{ Pattern: Match.stringLikeRegexp('"J#"') }] },
    });
    // The filter lets through journey writes that carry counters (every write that decides an email does), nothing else.
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((m) => m.Properties.FilterCriteria)!;
    const filter = compilePattern(JSON.parse(mapping.Properties.FilterCriteria.Filters[0].Pattern));
    const record = (sk: string, newImage: object) => ({ eventName: 'MODIFY', dynamodb: { Keys: { sk: { S: sk } }, NewImage: newImage } });
    expect(filter(record('J#cold-traffic-nurture', { mx: { S: '2026-11-02\twelcome\temail.sent\t1' } }))).toBe(true);
    expect(filter(record('P', { p: { M: {} } }))).toBe(false);
    expect(filter(record('J#cold-traffic-nurture', { v: { N: '3' } }))).toBe(false);
  });
});

describe('the work queue', () => {
  it('redrives to the dead-letter queue after 5 receives, with a visibility timeout of six advance timeouts, over TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: { maxReceiveCount: 5, deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkDeadLetters'), 'Arn'] } },
      SqsManagedSseEnabled: true,
    });
    const tlsOnly = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'),
    );
    expect(tlsOnly.length).toBeGreaterThanOrEqual(2);
  });

  it('feeds the advance function in batches that report item failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkQueue'), 'Arn'] },
    });
  });
});

describe('concurrency', () => {
  it('reserves it only where it matters: send from the SES rate, unsubscribe against floods', () => {
    const reserved = (id: string) => Object.entries(template.findResources('AWS::Lambda::Function')).find(([key]) => key.startsWith(id))![1].Properties.ReservedConcurrentExecutions;
    expect(reserved('Send')).toBe(sendConcurrencyFor(50));
    expect(sendConcurrencyFor(50)).toBe(10);
    expect(sendConcurrencyFor(14)).toBe(3);
    expect(sendConcurrencyFor(1)).toBe(1);
    expect(reserved('Unsubscribe')).toBe(UNSUBSCRIBE_CONCURRENCY);
    expect(reserved('Advance')).toBeUndefined();
    expect(reserved('Sweep')).toBeUndefined();
  });

  it('reserves none with reserveConcurrency false (accounts whose quota has no room above the unreserved minimum)', () => {
    const small = Template.fromStack(new WaymarkStack(new App(), 'Small', { workflowsDirectory: 'workflows', reserveConcurrency: false }));
    for (const fn of Object.values(small.findResources('AWS::Lambda::Function'))) expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('the functions', () => {
  it('are one per handler, on Node.js 24, arm64, ESM bundles with source maps and their own log group', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', Environment: { Variables: { NODE_OPTIONS: '--enable-source-maps' } } });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
    }
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 4);
    const assets = new Set(functions.map((fn) => JSON.stringify(fn.Properties.Code.S3Key)));
    expect(assets.size).toBe(4);
  });

  it('ship the validated workflows and content beside the code of advance, send and sweep', () => {
    const manifest = readdirSync(app.outdir).filter((name) => name.startsWith('asset.'));
    const withWorkflows = manifest.filter((dir) => existsSync(join(app.outdir, dir, 'workflows.json')));
    expect(withWorkflows).toHaveLength(3);
    const bundle = JSON.parse(readFileSync(join(app.outdir, withWorkflows[0]!, 'workflows.json'), 'utf8'));
    expect(bundle.workflows.map((w: { id: string }) => w.id).sort()).toEqual(['cold-traffic-nurture', 'post-purchase', 'year-end-promotion']);
    expect(bundle.content.length).toBeGreaterThan(20);
  });

  it('get only the actions their code calls, and no wildcard action anywhere', () => {
    const logs = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const consume = ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'];
    const stream = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];
    // advance decides: no SES, no secret.
    expect(actionsOf('Advance')).toEqual([...logs, ...consume, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'sqs:SendMessage'].sort());
    // send delivers: reads the stream, the customer and the suppression list, adds counters, sends, tells the work queue.
    // (GetQueueAttributes and GetQueueUrl are the stream's on-failure destination's grant.)
    // PutItem: an email that reaches SES's door after its workflow was paused is kept until it is resumed.
    expect(actionsOf('Send')).toEqual([...logs, ...stream, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue', 'ses:SendEmail', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    // The sweep reads workflows' controls (GetItem) and releases what a pause held (Query, UpdateItem, DeleteItem).
    // (GetQueueAttributes and GetQueueUrl are its on-failure destination's grant.)
    expect(actionsOf('Sweep')).toEqual([...logs, 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    expect(actionsOf('Unsubscribe')).toEqual([...logs, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'secretsmanager:GetSecretValue'].sort());

    const everyAction = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => s.Action));
    expect(everyAction.filter((a) => a.includes('*'))).toEqual([]);
    expect(template.findResources('AWS::IAM::Role', { Properties: { ManagedPolicyArns: Match.anyValue() } })).toEqual({});
  });

  it('let unsubscribe write only suppressions, the customer\'s flag and its counter (leading keys and attributes)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [, fn] = Object.entries(functions).find(([id]) => id.startsWith('Unsubscribe'))!;
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Condition?: Record<string, Record<string, string[]>> }>);
    const write = statements.find((s) => JSON.stringify(s.Action).includes('dynamodb:PutItem'))!;
    expect(write.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']).toEqual(['S#*', 'C#*', 'M#*']);
    expect(write.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).toEqual(expect.arrayContaining(['sup', 'email.unsubscribed']));
    expect(write.Condition?.['ForAllValues:StringEquals']?.['dynamodb:Attributes']).not.toContain('st');
  });

  it('let the sweep query the due index, and send email only from the workflows\' senders through the configuration set', () => {
    const sweepPolicy = JSON.stringify(Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p).includes('dynamodb:Query') && !JSON.stringify(p).includes('ses:SendEmail')));
    expect(sweepPolicy).toContain('/index/due');
    const sesStatement = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string; Resource: unknown }>)
      .find((s) => s.Action === 'ses:SendEmail')!;
    const resources = JSON.stringify(sesStatement.Resource);
    expect(resources).toContain('identity/hello@ledgerly.example');
    expect(resources).toContain('identity/ledgerly.example');
    expect(resources).toContain('configuration-set/');
  });
});

describe('routing', () => {
  it('has one rule per workflow whose pattern is the workflow\'s compiled patterns, targeting the work queue with a dead-letter queue', () => {
    const loaded = loadWorkflows(['workflows']);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) => JSON.stringify(r.Properties.Targets).includes('WorkQueue'));
    for (const id of ['cold-traffic-nurture', 'post-purchase']) {
      const expected = rulePatternsFor(loaded.workflows.filter((w) => w.id === id));
      expect(expected).toHaveLength(1);
      const rule = rules.find((r) => r.Properties.Description.includes(`"${id}"`))!;
      expect(rule.Properties.EventPattern).toEqual(expected[0]);
      expect(JSON.stringify(rule.Properties.EventPattern)).not.toContain('placeholder');
      expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
    }
    expect(stack.routing.patterns.get('cold-traffic-nurture')).toEqual(rulePatternsFor(loaded.workflows.filter((w) => w.id === 'cold-traffic-nurture')));
  });

  it('routes events that update a profile, used by a workflow or not, with one more rule (events a workflow rule routes by type are not delivered twice)', () => {
    const loaded = loadWorkflows(['workflows']);
    const expected = profileRulePatterns(loaded.workflows, profileAttributePaths(loaded.workflows, [...loaded.catalogue.items]));
    expect(stack.routing.profilePatterns).toEqual(expected);
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r) => String(r.Properties.Description).startsWith('Events that update a customer profile'))!;
    expect(rule.Properties.EventPattern).toEqual(expected[0]);
    expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
    const matches = compilePattern(expected[0]!);
    expect(matches({ source: 'com.lingo.app', 'detail-type': 'lesson.requested', detail: { customerId: 'c', profile: { email: 'a@b.co' } } })).toBe(true);
    expect(matches({ source: 'com.lingo.app', 'detail-type': 'lesson.requested', detail: { customerId: 'c' } })).toBe(false);
    expect(matches({ source: 'com.ledgerly.web', 'detail-type': 'lead.captured', detail: { customerId: 'c', profile: { email: 'a@b.co' } } })).toBe(false);
  });

  it('targets SQS from every rule with an event pattern: nothing is invoked asynchronously without a place for its failures', () => {
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      if (!rule.Properties.EventPattern) continue;
      expect(JSON.stringify(rule.Properties.Targets[0].Arn)).toMatch(/WorkQueue/);
      expect(rule.Properties.Targets[0].DeadLetterConfig).toBeDefined();
    }
  });

  it('gives every function EventBridge invokes asynchronously (the sweep\'s schedule) an on-failure queue, and its schedule a dead-letter queue, both alarmed', () => {
    const invoked = Object.values(template.findResources('AWS::Lambda::Permission'))
      .filter((p) => p.Properties.Principal === 'events.amazonaws.com')
      .map((p) => p.Properties.FunctionName['Fn::GetAtt'][0] as string);
    expect(invoked.length).toBeGreaterThan(0);
    const failures = { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith('WorkScheduledRunFailures'))!, 'Arn'] };
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig'));
    for (const fn of invoked) {
      const config = configs.find((c) => c.Properties.FunctionName.Ref === fn);
      expect(config?.Properties, fn).toMatchObject({ MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: failures } } });
    }
    for (const rule of Object.values(template.findResources('AWS::Events::Rule')).filter((r) => r.Properties.ScheduleExpression)) {
      expect(rule.Properties.Targets[0].DeadLetterConfig).toEqual({ Arn: failures });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [failures['Fn::GetAtt'][0], 'QueueName'] } }] });
  });

  it('compiles entry, goal and exits into the rule, and leaves SES\'s own events to the configuration set\'s rule', () => {
    const [pattern] = stack.routing.patterns.get('cold-traffic-nurture')!;
    const alternatives = (pattern as { $or: Array<Record<string, unknown>> }).$or;
    // The entry's own $or (a lead, or the spring webinar's registrants) is listed alternative by alternative.
    expect(alternatives.map((a) => a['detail-type'])).toEqual([['lead.captured'], ['Audience Joined'], ['order.placed'], ['customer.deleted'], ['lead.disqualified']]);
    expect(alternatives[1]!.detail).toEqual({ audience: ['spring-webinar'] });
    expect(alternatives.every((a) => JSON.stringify(a.source) === JSON.stringify([{ 'anything-but': ['aws.ses'] }]))).toBe(true);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.ses'], 'detail-type': Match.arrayWith(['Email Opened', 'Email Clicked', 'Email Bounced', 'Email Complaint Received']) },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });
});

describe('email and alarms', () => {
  it('sends through a configuration set whose events go to EventBridge; no DELIVERY event per email ("sent" is counted when SES takes it)', () => {
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: { Enabled: true, EventBridgeDestination: Match.anyValue(), MatchingEventTypes: Match.arrayWith(['open', 'click', 'bounce', 'complaint']) },
    });
    const destination = Object.values(template.findResources('AWS::SES::ConfigurationSetEventDestination'))[0]!;
    expect(destination.Properties.EventDestination.MatchingEventTypes).not.toContain('delivery');
  });

  it('alarms on dead letters, each handler\'s errors, and SES bounce and complaint rates below SES\'s review thresholds, to an encrypted topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SES', MetricName: 'Reputation.BounceRate', Threshold: 0.04 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SES', MetricName: 'Reputation.ComplaintRate', Threshold: 0.0008 });
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'Errors' }, 4);
    // The cost model prices this many alarms a month (bench/cost.ts).
    template.resourceCountIs('AWS::CloudWatch::Alarm', STACK_ALARMS);
    // The send path's failures (given-up stream batches, emails of unknown outcome) and parked journeys.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkSendFailures'), 'QueueName'] } }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Waymark', MetricName: 'JourneysParked', Threshold: 1 });
    template.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '{ $.message = "journey parked" }' });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@ledgerly.example' });
  });

  it('serves one-click unsubscribe from a function URL, and signs links with a generated secret', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'NONE' });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: { GenerateStringKey: 'current' } });
  });
});

describe('cdk-nag', () => {
  it('AwsSolutions checks find nothing unacknowledged', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.resourceLogicalId).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });
});

describe('invalid workflows', () => {
  function brokenWorkflows(): string {
    const directory = mkdtempSync(join(tmpdir(), 'waymark-broken-'));
    cpSync('workflows', directory, { recursive: true });
    const file = join(directory, 'post-purchase.json');
    const workflow = JSON.parse(readFileSync(file, 'utf8'));
    workflow.steps.welcome.next = 'settle';
    writeFileSync(file, JSON.stringify(workflow, null, 2));
    return directory;
  }

  it('fail the synth with the messages `waymark validate` prints', () => {
    const directory = brokenWorkflows();
    const expected = allProblems(loadWorkflows([directory])).map(formatProblem);
    expect(expected).toEqual([expect.stringContaining('post-purchase.json: $.steps.welcome.next: no step named "settle" (did you mean "settle-in"?)')]);
    const build = () => new WaymarkStack(new App(), 'Broken', { workflowsDirectory: directory });
    expect(build).toThrow(InvalidWorkflowsError);
    expect(build).toThrow(expected[0]);
  });

  it('make `npx cdk synth` fail, without AWS credentials, printing the problem', () => {
    const directory = brokenWorkflows();
    let failure: { status?: number; stdout?: string; stderr?: string } = {};
    try {
      execFileSync('npx', ['cdk', 'synth', '--quiet', '-c', `workflows=${directory}`, '-o', mkdtempSync(join(tmpdir(), 'waymark-out-'))], {
        encoding: 'utf8',
        env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' },
        stdio: 'pipe',
      });
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure.status).not.toBe(0);
    expect(`${failure.stdout}${failure.stderr}`).toContain('$.steps.welcome.next: no step named "settle"');
  });
});
