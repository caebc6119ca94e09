/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. Settings come from CDK
 * context (cdk.json, or `-c name=value`):
 *   workflows           the workflows directory (default "workflows")
 *   stackName           default "Waymark"
 *   sendingIdentity     verified SES identities, comma-separated (default: the workflows' senders and their domains)
 *   eventBusName        an existing EventBridge bus to read customer events from (default: a new bus)
 *   alertEmail          where alarms are sent
 *   sesMaxSendRate      the account's SES maximum send rate per second (default 14)
 *   unsubscribeMailto   a mailbox for mailto: unsubscribe requests
 *   publishJourneyEvents  "true" to publish journey events to the bus
 *   reserveConcurrency  "false" to reserve no Lambda concurrency (accounts whose quota is below 100 + 2 + the send function's share)
 *   archiveEvents       "true" to keep every customer event in S3 (Firehose) for `waymark replay --from s3://…`
 *   nag                 "false" to skip the cdk-nag AwsSolutions checks
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WaymarkStack } from '../lib/infra/waymark-stack';
import { hideSdkNodeVersionNotice } from '../lib/runtime/quiet-warnings';

hideSdkNodeVersionNotice();
const app = new App();
const context = (name: string): string | undefined => {
  const value = app.node.tryGetContext(name) as unknown;
  return value === undefined || value === null || value === '' ? undefined : String(value);
};
const list = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter(Boolean);

const sendingIdentities = list(context('sendingIdentity'));
const sesMaxSendRate = context('sesMaxSendRate');
new WaymarkStack(app, context('stackName') ?? 'Waymark', {
  workflowsDirectory: context('workflows') ?? 'workflows',
  description: 'Waymark: customer journeys on EventBridge, DynamoDB and SES',
  ...(sendingIdentities ? { sendingIdentities } : {}),
  ...(context('eventBusName') ? { eventBusName: context('eventBusName')! } : {}),
  ...(context('alertEmail') ? { alertEmail: context('alertEmail')! } : {}),
  ...(sesMaxSendRate ? { sesMaxSendRate: Number(sesMaxSendRate) } : {}),
  ...(context('unsubscribeMailto') ? { unsubscribeMailto: context('unsubscribeMailto')! } : {}),
  publishJourneyEvents: context('publishJourneyEvents') === 'true',
  reserveConcurrency: context('reserveConcurrency') !== 'false',
  archiveEvents: context('archiveEvents') === 'true',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

if (context('nag') !== 'false') Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
