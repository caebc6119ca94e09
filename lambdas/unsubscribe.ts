/** Lambda function URL: RFC 8058 one-click unsubscribe (POST) and its confirmation page (GET). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createStore, unsubscribeKeys } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createUnsubscribeHandler } from '../lib/runtime/handlers/unsubscribe';
import { jsonLogger } from '../lib/runtime/log';

const config = parseConfig(process.env, ['TABLE_NAME']);
const secrets = new SecretsManagerClient({});

export const handler = createUnsubscribeHandler({
  store: createStore(config),
  // Read on the first request, kept a few minutes, read again after a token no held key opens: rotations reach warm functions.
  keys: () => unsubscribeKeys(config, secrets),
  now: Date.now,
  log: jsonLogger({ handler: 'unsubscribe' }),
  ...(process.env.BRAND_NAME ? { brand: process.env.BRAND_NAME } : {}),
});
