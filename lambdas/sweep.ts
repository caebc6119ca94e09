/** Lambda, every minute: enqueues a wake-up for each journey whose timer or email resend is due. */
import { createStore, sqsClient } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createSweepHandler } from '../lib/runtime/handlers/sweep';
import { jsonLogger } from '../lib/runtime/log';
import { SqsWorkQueue } from '../lib/runtime/queue';

const config = parseConfig(process.env, ['TABLE_NAME', 'WORK_QUEUE_URL']);

export const handler = createSweepHandler({
  store: createStore(config),
  queue: new SqsWorkQueue(sqsClient(), config.WORK_QUEUE_URL),
  now: Date.now,
  log: jsonLogger({ handler: 'sweep' }),
  batchLimit: config.SWEEP_BATCH_LIMIT,
});
