/** Lambda: applies SQS batches of customer events, SES engagement and due timers. */
import { BufferedCounters } from '../lib/runtime/counters';
import { createStore, EventBridgeJourneyEvents, sesClient, sqsClient, unsubscribeKeys } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { createAdvanceHandler } from '../lib/runtime/handlers/advance';
import { JourneyService } from '../lib/runtime/journey-service';
import { jsonLogger } from '../lib/runtime/log';
import { SqsDeadLetters } from '../lib/runtime/queue';
import { EmailRenderer } from '../lib/runtime/render';
import { SesMailer } from '../lib/runtime/ses-mailer';
import { SignedUnsubscribeLinks } from '../lib/runtime/unsubscribe-token';
import { registryFromBundleFile } from '../lib/runtime/workflow-bundle';

const config = parseConfig(process.env, ['TABLE_NAME', 'DEAD_LETTER_QUEUE_URL', 'UNSUBSCRIBE_URL']);
const log = jsonLogger({ handler: 'advance' });
const store = createStore(config);
const counters = new BufferedCounters(store);
const [currentKey] = await unsubscribeKeys(config);

const service = new JourneyService({
  registry: registryFromBundleFile(config.WORKFLOW_BUNDLE),
  store,
  mailer: new SesMailer(sesClient(), { configurationSetName: config.SES_CONFIGURATION_SET }),
  links: new SignedUnsubscribeLinks({ baseUrl: config.UNSUBSCRIBE_URL, key: currentKey!, mailto: config.UNSUBSCRIBE_MAILTO }),
  renderer: new EmailRenderer(),
  counters,
  ...(config.EVENT_BUS_NAME ? { events: new EventBridgeJourneyEvents(config.EVENT_BUS_NAME) } : {}),
  log,
});

export const handler = createAdvanceHandler({ service, deadLetters: new SqsDeadLetters(sqsClient(), config.DEAD_LETTER_QUEUE_URL), counters, now: Date.now, log });
