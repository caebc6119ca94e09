/**
 * An in-process EventBridge bus for `waymark dev`: an HTTP endpoint that
 * speaks PutEvents (the AWS JSON 1.1 protocol the SDK and the AWS CLI use),
 * and the rules compiled from the workflows exactly as the CDK stack deploys
 * them. An event that matches a rule is delivered to the work queue (once per
 * matching rule, as EventBridge does); one that matches none is dropped.
 */
import { randomUUID } from 'node:crypto';
import { compilePattern } from '../engine/patterns';
import type { Workflow } from '../engine/schema';
import { rulePatternsFor } from '../infra/rule-patterns';

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

export interface LocalRule {
  name: string;
  matches: (event: unknown) => boolean;
}

export function rulesFor(workflows: readonly Workflow[]): LocalRule[] {
  const byId = new Map<string, Workflow[]>();
  for (const workflow of workflows) byId.set(workflow.id, [...(byId.get(workflow.id) ?? []), workflow]);
  return [...byId].flatMap(([id, versions]) => rulePatternsFor(versions).map((pattern, i) => ({ name: `${id}-${i}`, matches: compilePattern(pattern) })));
}

export const LOCAL_ACCOUNT = '000000000000';

export class LocalBus {
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
      const problem = !entry.Source ? 'Source is required' : !entry.DetailType ? 'DetailType is required' : !entry.Detail ? 'Detail is required' : undefined;
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
        results.push({ ErrorCode: problem ? 'InvalidArgument' : 'MalformedDetail', ErrorMessage: problem ?? 'Detail is malformed: it must be a JSON object.' });
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
      const json = JSON.stringify(event);
      for (const rule of this.rules) if (rule.matches(event)) this.deliver(json, rule.name);
      results.push({ EventId: event.id });
    }
    return { FailedEntryCount: failed, Entries: results };
  }
}
