/** Lambda function URL: RFC 8058 one-click unsubscribe (POST) and its confirmation page (GET). */
import { createStore, unsubscribeKeys } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createUnsubscribeHandler } from '../lib/runtime/handlers/unsubscribe';
import { jsonLogger } from '../lib/runtime/log';

const config = parseConfig(process.env, ['TABLE_NAME']);
const keys = await unsubscribeKeys(config);

export const handler = createUnsubscribeHandler({
  store: createStore(config),
  keys: async () => keys,
  now: Date.now,
  log: jsonLogger({ handler: 'unsubscribe' }),
  ...(process.env.BRAND_NAME ? { brand: process.env.BRAND_NAME } : {}),
});
