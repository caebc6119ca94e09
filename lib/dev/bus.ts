/**
 * An in-process EventBridge bus for `waymark dev`: an HTTP endpoint that
 * speaks PutEvents (the AWS JSON 1.1 protocol the SDK and the AWS CLI use),
 * and the rules compiled from the workflows exactly as the CDK stack deploys
 * them. An event that matches a rule is delivered to the work queue (once per
 * matching rule, as EventBridge does); one that matches none is dropped.
 */
import { randomUUID } from 'node:crypto';
export { rulesFor, type LocalRule } from '../engine/routing';
import type { LocalRule } from '../engine/routing';

export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: string | number;
  EventBusName?: string;
  Resources?: string[];
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: Array<{ EventId: string } | { ErrorCode: string; ErrorMessage: string }>;
}

export const LOCAL_ACCOUNT = '000000000000';

export class LocalBus {
  /** Told of every event the bus accepts, matched by a rule or not, with the time it was received (the event archive). */
  archive?: { append(event: unknown, receivedAt: number): void };

  constructor(
    private readonly rules: readonly LocalRule[],
    private readonly deliver: (eventJson: string, rule: string) => void,
    private readonly now: () => number,
    private readonly region = 'us-east-1',
  ) {}

  /** PutEvents: each entry becomes an event with an id and a time, and goes to every rule it matches. */
  putEvents(entries: PutEventsEntry[]): PutEventsResult {
    const results: PutEventsResult['Entries'] = [];
    let failed = 0;
    for (const entry of entries) {
      const problem = !entry.Source
        ? 'Source is required'
        : entry.Source.startsWith('aws.')
          ? // As EventBridge: only AWS services publish "aws." sources (an "Email Clicked" from a producer is not SES's).
            `Source "${entry.Source}" is reserved for AWS services: use your own, e.g. "com.acme.web"`
          : !entry.DetailType
            ? 'DetailType is required'
            : !entry.Detail
              ? 'Detail is required'
              : undefined;
      let detail: unknown;
      if (!problem) {
        try {
          detail = JSON.parse(entry.Detail!);
        } catch {
          detail = undefined;
        }
      }
      if (problem || typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        failed += 1;
        const code = !problem ? 'MalformedDetail' : entry.Source?.startsWith('aws.') ? 'NotAuthorizedForSourceException' : 'InvalidArgument';
        results.push({ ErrorCode: code, ErrorMessage: problem ?? 'Detail is malformed: it must be a JSON object.' });
        continue;
      }
      const time = entry.Time === undefined ? this.now() : typeof entry.Time === 'number' ? entry.Time * 1000 : Date.parse(entry.Time);
      const event = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: LOCAL_ACCOUNT,
        time: new Date(Number.isNaN(time) ? this.now() : time).toISOString().replace('.000Z', 'Z'),
        region: this.region,
        resources: entry.Resources ?? [],
        detail,
      };
      this.archive?.append(event, this.now());
      const json = JSON.stringify(event);
      for (const rule of this.rules) if (rule.matches(event)) this.deliver(json, rule.name);
      results.push({ EventId: event.id });
    }
    return { FailedEntryCount: failed, Entries: results };
  }
}
