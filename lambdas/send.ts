/** Lambda, on the table's stream: delivers the emails each journey write decided (suppression checked, rendered, SES v2), and adds up the writes' counters. */
import { createStore, sesClient, sqsClient, unsubscribeKeys } from '../lib/runtime/aws';
import { parseConfig } from '../lib/runtime/config';
import { CachedControls } from '../lib/runtime/controls';
import { DeliveryService } from '../lib/runtime/delivery';
import { createSendHandler } from '../lib/runtime/handlers/send';
import { jsonLogger } from '../lib/runtime/log';
import { QueueSuppressedNotices, SqsUnknownOutcomes, SqsWorkQueue } from '../lib/runtime/queue';
import { EmailRenderer } from '../lib/runtime/render';
import { SesMailer } from '../lib/runtime/ses-mailer';
import { SignedUnsubscribeLinks } from '../lib/runtime/unsubscribe-token';
import { registryFromBundleFile } from '../lib/runtime/workflow-bundle';

const config = parseConfig(process.env, ['TABLE_NAME', 'WORK_QUEUE_URL', 'SEND_FAILURES_QUEUE_URL', 'UNSUBSCRIBE_URL']);
const log = jsonLogger({ handler: 'send' });
const store = createStore(config);
const sqs = sqsClient();
const [currentKey] = await unsubscribeKeys(config);

const delivery = new DeliveryService({
  registry: registryFromBundleFile(config.WORKFLOW_BUNDLE),
  store,
  controls: new CachedControls(store),
  mailer: new SesMailer(sesClient(), { configurationSetName: config.SES_CONFIGURATION_SET }),
  links: new SignedUnsubscribeLinks({ baseUrl: config.UNSUBSCRIBE_URL, key: currentKey!, mailto: config.UNSUBSCRIBE_MAILTO }),
  renderer: new EmailRenderer(),
  notices: new QueueSuppressedNotices(new SqsWorkQueue(sqs, config.WORK_QUEUE_URL)),
  unknown: new SqsUnknownOutcomes(sqs, config.SEND_FAILURES_QUEUE_URL),
  log,
});

export const handler = createSendHandler({ delivery, store, now: Date.now, log });
