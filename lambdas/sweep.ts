/** Lambda, every minute: enqueues a wake-up for each customer whose timer is due, and puts back journeys parked for a workflow version that is deployed again. */
import { createStore, sqsClient } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { CachedControls } from '../lib/runtime/controls';
import { createSweepHandler } from '../lib/runtime/handlers/sweep';
import { jsonLogger } from '../lib/runtime/log';
import { SqsWorkQueue } from '../lib/runtime/queue';
import { deployedVersionsFromBundleFile } from '../lib/runtime/workflow-bundle';

const config = parseConfig(process.env, ['TABLE_NAME', 'WORK_QUEUE_URL']);

const store = createStore(config);

export const handler = createSweepHandler({
  store,
  controls: new CachedControls(store),
  queue: new SqsWorkQueue(sqsClient(), config.WORK_QUEUE_URL),
  now: Date.now,
  log: jsonLogger({ handler: 'sweep' }),
  shards: config.DUE_SHARDS,
  batchLimit: config.SWEEP_BATCH_LIMIT,
  deployed: deployedVersionsFromBundleFile(config.WORKFLOW_BUNDLE),
});
