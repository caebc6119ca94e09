/** Lambda: applies SQS batches of customer events, SES events, due wake-ups and suppression notices. It decides; the stream sends. */
import { CachedControls } from '../lib/runtime/controls';
import { BufferedCounters } from '../lib/runtime/counters';
import { createStore, EventBridgeJourneyEvents, sqsClient } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createAdvanceHandler } from '../lib/runtime/handlers/advance';
import { JourneyService } from '../lib/runtime/journey-service';
import { jsonLogger } from '../lib/runtime/log';
import { SqsDeadLetters } from '../lib/runtime/queue';
import { registryFromBundleFile } from '../lib/runtime/workflow-bundle';

const config = parseConfig(process.env, ['TABLE_NAME', 'DEAD_LETTER_QUEUE_URL']);
const log = jsonLogger({ handler: 'advance' });
const store = createStore(config);
const counters = new BufferedCounters(store);

const service = new JourneyService({
  registry: registryFromBundleFile(config.WORKFLOW_BUNDLE),
  store,
  counters,
  controls: new CachedControls(store),
  ...(config.EVENT_BUS_NAME ? { events: new EventBridgeJourneyEvents(config.EVENT_BUS_NAME) } : {}),
  log,
});

export const handler = createAdvanceHandler({ service, store, deadLetters: new SqsDeadLetters(sqsClient(), config.DEAD_LETTER_QUEUE_URL), counters, now: Date.now, log });
