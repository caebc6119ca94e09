/**
 * A Lambda function run on a schedule (the sweep each minute, a segment's scan).
 * EventBridge invokes it asynchronously, so a failure would otherwise vanish
 * after Lambda's own retries: here it is not retried (the next run catches up
 * from the cursor the failed one left) and its record goes to a queue that is
 * alarmed, as does a schedule EventBridge could not deliver.
 */
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

/** Makes `fn` a scheduled run whose failures land in `failures`; call once per function. */
export function recordScheduledFailures(fn: lambda.Function, failures: sqs.IQueue): void {
  fn.configureAsyncInvoke({ retryAttempts: 0, onFailure: new SqsDestination(failures) });
}

/** The rule target that runs `fn`: no EventBridge retry (the next run catches up), undeliverable schedules to `failures`. */
export function scheduledRunTarget(fn: lambda.IFunction, failures: sqs.IQueue, input?: events.RuleTargetInput): targets.LambdaFunction {
  return new targets.LambdaFunction(fn, { retryAttempts: 0, deadLetterQueue: failures, ...(input ? { event: input } : {}) });
}
