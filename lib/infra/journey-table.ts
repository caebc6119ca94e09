/**
 * The one table, built from the same definition the local runtime creates
 * (lib/runtime/table.ts): on-demand, point-in-time recovery, deletion
 * protection, retained on stack deletion, encrypted, with a stream of new and
 * old images for the send path.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { createTableInput, DUE_INDEX, EMAIL_INDEX } from '../runtime/table';

function keyOf(definition: ReturnType<typeof createTableInput>, schema: Array<{ AttributeName?: string; KeyType?: string }>, type: 'HASH'): dynamodb.Attribute;
function keyOf(definition: ReturnType<typeof createTableInput>, schema: Array<{ AttributeName?: string; KeyType?: string }>, type: 'RANGE'): dynamodb.Attribute | undefined;
function keyOf(definition: ReturnType<typeof createTableInput>, schema: Array<{ AttributeName?: string; KeyType?: string }>, type: 'HASH' | 'RANGE'): dynamodb.Attribute | undefined {
  const name = schema.find((k) => k.KeyType === type)?.AttributeName;
  if (name === undefined) return undefined;
  const attributeType = definition.AttributeDefinitions!.find((a) => a.AttributeName === name)!.AttributeType;
  return { name, type: attributeType === 'N' ? dynamodb.AttributeType.NUMBER : attributeType === 'B' ? dynamodb.AttributeType.BINARY : dynamodb.AttributeType.STRING };
}

export class JourneyTable extends Construct {
  readonly table: dynamodb.Table;
  readonly dueIndexName = DUE_INDEX.name;
  /** Profiles by email address (keys only), for `waymark map`'s customer lookup. */
  readonly emailIndexName = EMAIL_INDEX.name;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const definition = createTableInput('waymark');
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: keyOf(definition, definition.KeySchema!, 'HASH'),
      sortKey: keyOf(definition, definition.KeySchema!, 'RANGE'),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The send function reads new outbox entries (and each write's counters) from the stream.
      stream: definition.StreamSpecification?.StreamViewType === 'NEW_AND_OLD_IMAGES' ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
    });
    for (const index of definition.GlobalSecondaryIndexes ?? []) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName!,
        partitionKey: keyOf(definition, index.KeySchema!, 'HASH'),
        ...(keyOf(definition, index.KeySchema!, 'RANGE') ? { sortKey: keyOf(definition, index.KeySchema!, 'RANGE') } : {}),
        projectionType: index.Projection?.ProjectionType === 'KEYS_ONLY' ? dynamodb.ProjectionType.KEYS_ONLY : dynamodb.ProjectionType.ALL,
      });
    }
  }
}
