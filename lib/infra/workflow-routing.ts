/**
 * The bus, one rule per workflow and the profile rule. Each workflow rule's
 * pattern is compiled from the workflow's own patterns (every deployed
 * version's entry, goal, exits and waits, joined with $or); the profile rule
 * routes events that set a profile attribute the project reads. All target
 * the work queue, so Waymark is only invoked for events it can use.
 */
import { Duration, Names } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern, Workflow } from '../engine/schema';
import { profileRulePatterns, rulePatternsFor } from '../engine/routing';

export interface WorkflowRoutingProps {
  workflows: readonly Workflow[];
  /** Leaf paths of the profile attributes the project reads (see profileAttributePaths). */
  profileAttributes: readonly string[][];
  queue: IQueue;
  deadLetterQueue: IQueue;
  /** An existing bus to read from; a new "waymark" bus when absent. */
  eventBusName?: string;
}

export class WorkflowRouting extends Construct {
  readonly bus: events.IEventBus;
  /** The rule patterns by workflow id, as deployed (tests compare them with rulePatternsFor). */
  readonly patterns = new Map<string, EventPattern[]>();
  /** The profile rule's patterns: events that update a profile, used by a workflow or not. */
  readonly profilePatterns: EventPattern[];

  constructor(scope: Construct, id: string, props: WorkflowRoutingProps) {
    super(scope, id);
    this.bus = props.eventBusName ? events.EventBus.fromEventBusName(this, 'Bus', props.eventBusName) : new events.EventBus(this, 'Bus', { eventBusName: `waymark-${Names.uniqueId(this).slice(-8).toLowerCase()}` });

    const target = () => new targets.SqsQueue(props.queue, { deadLetterQueue: props.deadLetterQueue, retryAttempts: 185, maxEventAge: Duration.hours(24) });
    const byId = new Map<string, Workflow[]>();
    for (const workflow of props.workflows) byId.set(workflow.id, [...(byId.get(workflow.id) ?? []), workflow]);
    for (const [workflowId, versions] of [...byId].sort(([a], [b]) => a.localeCompare(b))) {
      const patterns = rulePatternsFor(versions);
      this.patterns.set(workflowId, patterns);
      patterns.forEach((pattern, index) => {
        const rule = new events.Rule(this, `${workflowId}-${index}`, {
          eventBus: this.bus,
          description: `Events the "${workflowId}" journey uses${patterns.length > 1 ? ` (part ${index + 1} of ${patterns.length})` : ''}`,
          // The L2 requires a pattern and types only the common fields: the compiled pattern (with $or)
          // replaces it whole on the L1 below (a property override would merge the two).
          eventPattern: { source: ['waymark.placeholder'] },
          targets: [target()],
        });
        (rule.node.defaultChild as events.CfnRule).eventPattern = pattern;
      });
    }

    this.profilePatterns = profileRulePatterns(props.workflows, props.profileAttributes);
    this.profilePatterns.forEach((pattern, index) => {
      const rule = new events.Rule(this, `profile-${index}`, {
        eventBus: this.bus,
        description: `Events that update a customer profile, whether or not a journey uses them${this.profilePatterns.length > 1 ? ` (part ${index + 1} of ${this.profilePatterns.length})` : ''}`,
        eventPattern: { source: ['waymark.placeholder'] },
        targets: [target()],
      });
      (rule.node.defaultChild as events.CfnRule).eventPattern = pattern;
    });
  }
}
