/** Lambda: SES events → suppressions (bounces, complaints), per-step counters, and opens/clicks for the journeys. */
import { createStore, sqsClient } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createSesEventsHandler } from '../lib/runtime/handlers/ses-events';
import { jsonLogger } from '../lib/runtime/log';
import { SqsWorkQueue } from '../lib/runtime/queue';

const config = parseConfig(process.env, ['TABLE_NAME', 'WORK_QUEUE_URL']);

export const handler = createSesEventsHandler({
  store: createStore(config),
  queue: new SqsWorkQueue(sqsClient(), config.WORK_QUEUE_URL),
  log: jsonLogger({ handler: 'ses-events' }),
});
