/**
 * Sending through SES: a configuration set whose events (opens, clicks,
 * bounces, complaints, rejections) go to EventBridge, and the ARNs of the
 * sending identities the send function may use. Identities are not
 * created here: a domain or address must already be verified in SES.
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as ses from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

export interface EmailSendingProps {
  /** Verified SES identities (domains or addresses) emails are sent from. */
  identities: string[];
}

/**
 * SES's EventBridge destination publishes to the default bus only. Deliveries are not among them:
 * "sent" is counted when SES takes the message, and bounces and rejections say which did not arrive
 * (a DELIVERY event for every email would cost a queue message and an invocation each, for a count).
 */
export const SES_EVENT_DETAIL_TYPES = ['Email Opened', 'Email Clicked', 'Email Bounced', 'Email Complaint Received', 'Email Rejected', 'Email Rendering Failed'];

export class EmailSending extends Construct {
  readonly configurationSet: ses.ConfigurationSet;
  readonly identityArns: string[];
  readonly defaultBus: events.IEventBus;

  constructor(scope: Construct, id: string, props: EmailSendingProps) {
    super(scope, id);
    this.configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', { reputationMetrics: true, sendingEnabled: true });
    this.defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(this.defaultBus),
      events: [
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.REJECT,
        ses.EmailSendingEvent.RENDERING_FAILURE,
      ],
    });
    this.identityArns = props.identities.map((identity) => Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: identity }));
  }

  /** The pattern that picks this configuration set's events from the default bus. */
  eventPattern(): events.EventPattern {
    return {
      source: ['aws.ses'],
      detailType: SES_EVENT_DETAIL_TYPES,
      detail: { mail: { tags: { 'ses:configuration-set': [this.configurationSet.configurationSetName] } } },
    };
  }
}

/**
 * The identities to grant when none are configured: each workflow sender's
 * address and its domain (SES authorises a send by whichever is verified).
 */
export function identitiesOf(senders: string[]): string[] {
  const identities = new Set<string>();
  for (const sender of senders) {
    const address = (/<([^>]+)>/.exec(sender)?.[1] ?? sender).trim().toLowerCase();
    identities.add(address);
    identities.add(address.slice(address.indexOf('@') + 1));
  }
  return [...identities].sort();
}
