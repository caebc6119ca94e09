/**
 * One Lambda function with the house defaults: the newest Node.js runtime
 * aws-cdk-lib offers, arm64, a minified ESM bundle built by the local esbuild
 * (never Docker), source maps, its own log group with retention, and its own
 * role with no managed policy. The `bind*` helpers grant exactly the actions
 * the handler uses and set the variable that names the resource, together.
 */
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ESBUILD_TARGET, ESM_REQUIRE_BANNER, EXTERNAL_MODULES, type HandlerName, handlerEntry } from './bundling';

export const PROJECT_ROOT = join(import.meta.dirname, '..', '..');
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface WaymarkFunctionProps {
  handler: HandlerName;
  description: string;
  memorySize?: number;
  timeout?: Duration;
  logRetention?: logs.RetentionDays;
  /** Files copied beside the bundle (e.g. the workflow bundle), by name in the asset. */
  extraFiles?: Array<{ source: string; name: string }>;
  /** Reserved concurrency: only where it matters (a flood must not starve the rest, or SES's rate bounds it). */
  reservedConcurrentExecutions?: number;
}

/** DynamoDB actions a handler may be granted, by name, so each grant reads as a list of what the code calls. */
export type TableAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem' | 'DeleteItem';

export class WaymarkFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WaymarkFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description} (Waymark ${props.handler})`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));

    const extraFiles = props.extraFiles ?? [];
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(PROJECT_ROOT, handlerEntry(props.handler)),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      ...(props.reservedConcurrentExecutions === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: { NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: ESBUILD_TARGET,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: ESM_REQUIRE_BANNER,
        externalModules: EXTERNAL_MODULES,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_input: string, output: string) =>
            extraFiles.map((f) => `node -e "require('fs').copyFileSync(process.argv[1], process.argv[2])" ${JSON.stringify(f.source)} ${JSON.stringify(join(output, f.name))}`),
        },
      },
    });
  }

  private allow(actions: string[], resources: string[]): void {
    this.role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
  }

  /**
   * TABLE_NAME, and the DynamoDB actions this handler calls (on the table, and on indexes when named).
   * With `onlyKeys`, the actions are allowed only on items whose partition key matches one of the
   * patterns (dynamodb:LeadingKeys), and with `onlyAttributes` only those attributes may be written.
   */
  bindTable(
    table: ITable,
    actions: TableAction[],
    options: { indexes?: Array<{ name: string; actions: TableAction[] }>; dueShards?: number; onlyKeys?: string[]; onlyAttributes?: string[] } = {},
  ): this {
    this.function.addEnvironment('TABLE_NAME', table.tableName);
    if (options.dueShards !== undefined) this.function.addEnvironment('DUE_SHARDS', String(options.dueShards));
    if (actions.length > 0) {
      const conditions: Record<string, Record<string, string[]>> = {};
      if (options.onlyKeys) conditions['ForAllValues:StringLike'] = { 'dynamodb:LeadingKeys': options.onlyKeys };
      if (options.onlyAttributes) {
        conditions['ForAllValues:StringEquals'] = { 'dynamodb:Attributes': options.onlyAttributes };
        // With attribute-level access, a write may not ask for the whole item back.
        conditions.StringEqualsIfExists = { 'dynamodb:ReturnValues': ['NONE', 'UPDATED_NEW'] };
      }
      this.role.addToPolicy(new iam.PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [table.tableArn], ...(Object.keys(conditions).length ? { conditions } : {}) }));
    }
    for (const index of options.indexes ?? []) {
      this.allow(index.actions.map((a) => `dynamodb:${a}`), [`${table.tableArn}/index/${index.name}`]);
    }
    return this;
  }

  /** WORK_QUEUE_URL, and sending to it. */
  bindWorkQueue(queue: IQueue): this {
    this.function.addEnvironment('WORK_QUEUE_URL', queue.queueUrl);
    this.allow(['sqs:SendMessage'], [queue.queueArn]);
    return this;
  }

  /** SEND_FAILURES_QUEUE_URL, and recording emails whose outcome is unknown there. */
  bindSendFailures(queue: IQueue): this {
    this.function.addEnvironment('SEND_FAILURES_QUEUE_URL', queue.queueUrl);
    this.allow(['sqs:SendMessage'], [queue.queueArn]);
    return this;
  }

  /** DEAD_LETTER_QUEUE_URL, and sending rejected inputs to it. */
  bindDeadLetterQueue(queue: IQueue): this {
    this.function.addEnvironment('DEAD_LETTER_QUEUE_URL', queue.queueUrl);
    this.allow(['sqs:SendMessage'], [queue.queueArn]);
    return this;
  }

  /** UNSUBSCRIBE_KEYS_SECRET_ARN, and reading that one secret. */
  bindUnsubscribeKeys(secret: ISecret): this {
    this.function.addEnvironment('UNSUBSCRIBE_KEYS_SECRET_ARN', secret.secretArn);
    this.allow(['secretsmanager:GetSecretValue'], [secret.secretArn]);
    return this;
  }

  /** SES_CONFIGURATION_SET, and sending email from these identities through it. */
  bindEmailSending(configurationSetName: string, identityArns: string[]): this {
    this.function.addEnvironment('SES_CONFIGURATION_SET', configurationSetName);
    const configurationSetArn = Stack.of(this).formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSetName });
    this.allow(['ses:SendEmail'], [...identityArns, configurationSetArn]);
    return this;
  }
}
