/**
 * What the demo audience of `npm start` sends, derived from the workflows themselves, so that any
 * workflow in `workflows/` gets customers, whatever its event names: per workflow, the events that
 * start it (values that match its entry pattern, a profile with the attributes its branches read,
 * drawn so that every branch is taken by some), its goal, its exits, and the events its `wait.until`
 * steps wait for (with the fields the branches after them read). The patterns are read with the
 * simulator's pattern-to-document functions (lib/sim/simulator.ts), so `waymark simulate` and the
 * demo make up events the same way.
 *
 * Pure: every draw takes the caller's seeded generator.
 */
import { ENGAGEMENT_DETAIL_TYPES } from '../engine/compile';
import { routedPattern } from '../engine/routing';
import type { EventPattern, Workflow } from '../engine/schema';
import { collectDetailFields, documentMatching, drawField, type FieldSpec, setPath, stepsReachedAtOnce, waitedEventsOf } from '../sim/simulator';

/** An event the demo puts on the bus: PutEvents' Source, DetailType and Detail (without the customer id). */
export interface DemoEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

/** Who a new customer is: the profile attributes every workflow can use. */
export interface DemoPerson {
  email: string;
  firstName: string;
  lastName: string;
  timezone: string;
  company?: string;
}

/** How the demo drives one workflow. */
export interface WorkflowStory {
  workflowId: string;
  /** The event that makes a new customer enter, with their profile. */
  entry(random: () => number, person: DemoPerson, now: number): DemoEvent;
  /** The conversion event; undefined when the workflow has none, or when opens and clicks reach it. */
  goal: ((random: () => number) => DemoEvent) | undefined;
  /** Events that take a customer out of the journey (SES's own events excepted). */
  exits: ReadonlyArray<(random: () => number) => DemoEvent>;
  /** By `wait` step id: the event it waits for (waits for opens and clicks are ended by the SES events). */
  awaited: ReadonlyMap<string, (random: () => number) => DemoEvent>;
  /**
   * Share of new arrivals: a workflow entered by another one's goal (an order after a nurture) is
   * mostly fed by that one, and gets a quarter of the direct arrivals.
   */
  arrivalWeight: number;
}

const CHANNELS: Array<[string, number]> = [['search', 0.35], ['social', 0.25], ['webinar', 0.15], ['partner', 0.1], ['referral', 0.15]];

/** The source of the events a workflow's own producers send, when its patterns do not name one: "com.<brand>.app", from its sender's domain. */
function sourceFor(workflow: Workflow): string {
  const domain = /@([^\s>]+)/.exec(workflow.settings.from)?.[1] ?? '';
  const brand = domain.split('.')[0]?.replace(/[^a-z0-9-]/gi, '').toLowerCase();
  return brand ? `com.${brand}.app` : 'com.example.app';
}

/** The sample of a pattern as an event the demo can put (undefined: only SES or AWS itself sends it). */
function eventShape(pattern: EventPattern, fallbackSource: string): DemoEvent | undefined {
  if (routedPattern(pattern) === undefined) return undefined;
  const sample = documentMatching(pattern);
  const detailType = typeof sample['detail-type'] === 'string' ? sample['detail-type'] : undefined;
  const source = typeof sample.source === 'string' ? sample.source : fallbackSource;
  if (detailType === undefined || source.startsWith('aws.') || Object.hasOwn(ENGAGEMENT_DETAIL_TYPES, detailType)) return undefined;
  const detail = sample.detail && typeof sample.detail === 'object' && !Array.isArray(sample.detail) ? (sample.detail as Record<string, unknown>) : {};
  return { source, detailType, detail };
}

/** The `event.detail` fields that branches reached at once from `stepId` (before any wait) test. */
function eventFieldsReadFrom(workflow: Workflow, stepId: string): FieldSpec[] {
  const fields = new Map<string, FieldSpec>();
  for (const id of stepsReachedAtOnce(workflow, stepId)) {
    const step = workflow.steps[id];
    if (step?.type !== 'branch') continue;
    for (const branchCase of step.cases) {
      for (const condition of [branchCase.if, ...alternatives(branchCase.if)]) {
        const event = condition.event as Record<string, unknown> | undefined;
        collectDetailFields(event && typeof event === 'object' ? event.detail : undefined, [], fields);
      }
    }
  }
  return [...fields.values()].filter((spec) => spec.path[0] !== 'customerId' && spec.path[0] !== 'profile');
}

/** The profile attributes any branch of the workflow tests (paths inside the profile). */
function profileFieldsRead(workflow: Workflow): FieldSpec[] {
  const fields = new Map<string, FieldSpec>();
  for (const step of Object.values(workflow.steps)) {
    if (step.type !== 'branch') continue;
    for (const branchCase of step.cases) for (const condition of [branchCase.if, ...alternatives(branchCase.if)]) collectDetailFields(condition.profile, [], fields);
  }
  return [...fields.values()].filter((spec) => !['email', 'firstName', 'lastName', 'timezone'].includes(spec.path[0]!));
}

function alternatives(condition: Record<string, unknown>): Array<Record<string, unknown>> {
  return Array.isArray(condition.$or) ? condition.$or.filter((c): c is Record<string, unknown> => !!c && typeof c === 'object') : [];
}

/** The dates `wait.at` steps read from the profile, or from the entry event when the wait follows the entry at once. */
function datesRead(workflow: Workflow): { profile: string[][]; entryDetail: string[][] } {
  const atOnce = new Set(stepsReachedAtOnce(workflow, workflow.start));
  const profile: string[][] = [];
  const entryDetail: string[][] = [];
  for (const [id, step] of Object.entries(workflow.steps)) {
    if (step.type !== 'wait' || step.at === undefined || typeof step.at === 'string') continue;
    const [root, ...path] = step.at.attribute.split('.');
    if (root === 'profile') profile.push(path);
    else if (root === 'event' && path[0] === 'detail' && path.length > 1 && atOnce.has(id)) entryDetail.push(path.slice(1));
  }
  return { profile, entryDetail };
}

/** A value for an attribute a branch tests; for one it only tests the presence of, present half the time. */
function drawAttribute(spec: FieldSpec, random: () => number): unknown {
  if (spec.values.length === 0 && spec.thresholds.length === 0) return random() < 0.5 ? undefined : 'yes';
  return drawField(spec, random);
}

/** A date 1 to 6 weeks after `now`, as a profile or an event would carry it ("2026-12-14"). */
function futureDate(random: () => number, now: number): string {
  return new Date(now + (7 + Math.floor(random() * 35)) * 86_400_000).toISOString().slice(0, 10);
}

function withFields(base: Record<string, unknown>, fields: readonly FieldSpec[], random: () => number): Record<string, unknown> {
  const detail = structuredClone(base);
  for (const spec of fields) {
    const value = drawAttribute(spec, random);
    if (value !== undefined) setPath(detail, spec.path, value);
  }
  return detail;
}

/** How the demo drives each workflow (in the order given). */
export function demoStories(workflows: readonly Workflow[]): WorkflowStory[] {
  const goalTypes = new Set(workflows.flatMap((w) => (w.goal ? [eventShape(w.goal.on, sourceFor(w))?.detailType] : [])).filter((t): t is string => t !== undefined));
  return workflows.map((workflow) => {
    const source = sourceFor(workflow);
    const entryShape = eventShape(workflow.entry.on, source) ?? { source, detailType: 'customer.arrived', detail: {} };
    const entryFields = eventFieldsReadFrom(workflow, workflow.start);
    const profileFields = profileFieldsRead(workflow);
    const dates = datesRead(workflow);
    const requiredProfile = entryShape.detail.profile && typeof entryShape.detail.profile === 'object' ? (entryShape.detail.profile as Record<string, unknown>) : {};

    const goalShape = workflow.goal ? eventShape(workflow.goal.on, source) : undefined;
    const goalFields = workflow.goal && workflow.goal.then !== 'exit' ? eventFieldsReadFrom(workflow, workflow.goal.then) : [];
    const awaited = new Map<string, (random: () => number) => DemoEvent>();
    for (const waited of waitedEventsOf(workflow, {})) {
      const step = workflow.steps[waited.stepId];
      const shape = step?.type === 'wait' && step.until ? eventShape(step.until.on, source) : undefined;
      if (shape) awaited.set(waited.stepId, (random) => ({ ...shape, detail: withFields(shape.detail, waited.drawn, random) }));
    }
    const exits = (workflow.exitOn ?? []).flatMap((pattern) => {
      const shape = eventShape(pattern, source);
      return shape ? [(_random: () => number) => ({ ...shape, detail: structuredClone(shape.detail) })] : [];
    });

    return {
      workflowId: workflow.id,
      entry(random, person, now) {
        const profile: Record<string, unknown> = { ...person };
        for (const spec of profileFields) {
          const value = drawAttribute(spec, random);
          if (value !== undefined) setPath(profile, spec.path, value);
        }
        for (const path of dates.profile) setPath(profile, path, futureDate(random, now));
        const detail = withFields(entryShape.detail, entryFields, random);
        for (const path of dates.entryDetail) setPath(detail, path, futureDate(random, now));
        // Where the customer came from (the map's channels), unless the pattern says.
        if (!('channel' in detail)) {
          let roll = random();
          detail.channel = CHANNELS.find(([, share]) => (roll -= share) < 0)?.[0] ?? 'search';
        }
        // What the entry pattern requires of the profile wins over what was drawn.
        detail.profile = { ...profile, ...structuredClone(requiredProfile) };
        return { source: entryShape.source, detailType: entryShape.detailType, detail };
      },
      goal: goalShape && ((random) => ({ source: goalShape.source, detailType: goalShape.detailType, detail: withFields(goalShape.detail, goalFields, random) })),
      exits,
      awaited,
      arrivalWeight: goalTypes.has(entryShape.detailType) ? 0.25 : 1,
    };
  });
}

/**
 * A PutEvents entry that makes a customer enter `workflow`: for the "Send an event" hints (the CLI
 * at startup, the journey map).
 *
 * @example
 * entryExample(workflow)
 * // → { Source: 'com.ledgerly.app', DetailType: 'lead.captured', Detail: '{"customerId":"c-1","profile":{"email":"c1@example.com","firstName":"Sam"}}' }
 */
export function entryExample(workflow: Workflow): { Source: string; DetailType: string; Detail: string } {
  const source = sourceFor(workflow);
  const shape = eventShape(workflow.entry.on, source) ?? { source, detailType: 'customer.arrived', detail: {} };
  const required = shape.detail.profile && typeof shape.detail.profile === 'object' ? (shape.detail.profile as Record<string, unknown>) : {};
  const detail = { ...shape.detail, customerId: 'c-1', profile: { email: 'c1@example.com', firstName: 'Sam', ...required } };
  return { Source: shape.source, DetailType: shape.detailType, Detail: JSON.stringify(detail) };
}
