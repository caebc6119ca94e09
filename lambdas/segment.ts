/** Lambda, on each segment's schedule: customers whose stored profile newly matches join the segment's audience. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { parseConfig } from '../lib/runtime/config';
import { createSegmentHandler } from '../lib/runtime/handlers/segment';
import { jsonLogger } from '../lib/runtime/log';

const config = parseConfig(process.env, ['TABLE_NAME', 'EVENT_BUS_NAME']);

export const handler = createSegmentHandler({
  dynamo: new DynamoDBClient({}),
  tableName: config.TABLE_NAME,
  events: new EventBridgeClient({}),
  busName: config.EVENT_BUS_NAME,
  now: Date.now,
  log: jsonLogger({ handler: 'segment' }),
});
