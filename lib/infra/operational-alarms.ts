/**
 * What an operator needs to hear about: anything in the dead-letter queue,
 * the send-failures queue or the scheduled-run failures queue, journeys parked on a missing workflow version, a
 * handler failing, a backlog on the work queue, and SES reputation nearing
 * the rates at which SES reviews an account (5% bounces, 0.1% complaints).
 * With an alert email, alarms notify it through an encrypted SNS topic.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOURNEY_PARKED } from '../runtime/log-messages';

export interface OperationalAlarmsProps {
  functions: Record<string, lambda.IFunction>;
  workQueue: sqs.IQueue;
  deadLetterQueue: sqs.IQueue;
  /** The send path's failures (stream batches given up on, emails whose outcome is unknown). */
  sendFailureQueue: sqs.IQueue;
  /** Scheduled runs (sweep, segment scans) that failed, and schedules that could not be delivered. */
  scheduledRunFailureQueue: sqs.IQueue;
  /** The advance function's logs, where parked journeys are reported. */
  advanceLogs: logs.ILogGroup;
  alertEmail?: string;
}

/** Where Waymark's own metrics go (from log metric filters). */
export const METRIC_NAMESPACE = 'Waymark';

/** Alarm before SES's review thresholds, at 80% of them. */
export const BOUNCE_RATE_ALARM = 0.04;
export const COMPLAINT_RATE_ALARM = 0.0008;

export class OperationalAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly topic: sns.Topic | undefined;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    if (props.alertEmail) {
      const key = new kms.Key(this, 'AlertsKey', { enableKeyRotation: true, description: 'Encrypts Waymark alert notifications' });
      // CloudWatch alarms publish to the topic: they must be able to use its key.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          resources: ['*'],
        }),
      );
      this.topic = new sns.Topic(this, 'Alerts', { masterKey: key, enforceSSL: true, displayName: 'Waymark alerts' });
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    }

    const alarm = (name: string, metric: cloudwatch.IMetric, threshold: number, description: string, evaluationPeriods = 1) => {
      const created = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      if (this.topic) created.addAlarmAction(new actions.SnsAction(this.topic));
      this.alarms.push(created);
    };

    alarm('DeadLetters', props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1,
      'Inputs Waymark could not apply are waiting in the dead-letter queue: read each message\'s "waymark-reason" attribute.');
    alarm('SendFailures', props.sendFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1,
      'The send path gave up on a stream batch, or an email\'s outcome is unknown (SES may or may not have sent it): read the messages of the send-failures queue (README, "When something goes to the dead-letter queue").');
    alarm('ScheduledRunFailures', props.scheduledRunFailureQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: 'Maximum' }), 1,
      'A scheduled run (the sweep, a segment scan) failed or could not be started: the next run catches up from where it stopped, but read the message (its error) and the function\'s log group.');
        // A journey on a workflow version that is not deployed is parked: it waits, unseen, until the version returns.
    const parked = new logs.MetricFilter(this, 'JourneysParkedFilter', {
      logGroup: props.advanceLogs,
      filterPattern: logs.FilterPattern.stringValue('$.message', '=', JOURNEY_PARKED),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'JourneysParked',
      metricValue: '1',
    });
    alarm('JourneysParked', parked.metric({ period: Duration.minutes(5), statistic: 'Sum' }), 1,
      'Customers are on a workflow version that is not deployed: their journeys are parked (no emails, no timers). Put that version back in workflows/archive/ and deploy; the sweep resumes them.');
    alarm('WorkBacklog', props.workQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }), 900,
      'The oldest message on the work queue is 15 minutes old: the advance function is failing or throttled.', 2);
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 1, `The ${name} function failed in the last 5 minutes: see its log group.`);
    }
    alarm('BounceRate', new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.BounceRate', statistic: 'Maximum', period: Duration.hours(1) }), BOUNCE_RATE_ALARM,
      'The SES bounce rate is above 4%: SES reviews accounts at 5%. Check the lists journeys send to.');
    alarm('ComplaintRate', new cloudwatch.Metric({ namespace: 'AWS/SES', metricName: 'Reputation.ComplaintRate', statistic: 'Maximum', period: Duration.hours(1) }), COMPLAINT_RATE_ALARM,
      'The SES complaint rate is above 0.08%: SES reviews accounts at 0.1%. Check consent and sending frequency.');
  }
}
