/**
 * Test helpers that let a test read as a story: given a workflow and these
 * events, after this much time, expect these emails.
 */
import { createCatalogue } from '../../lib/engine/content';
import type { JourneyState } from '../../lib/engine/model';
import type { ContentItem, ProjectSettings, Workflow } from '../../lib/engine/schema';
import { formatProblem, validateWorkflow } from '../../lib/engine/validate';
import { type RunResult, runTimeline, sortTimeline, type TimelineItem, timelineItemsFor } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';

export const testContent: ContentItem[] = [
  { id: 'article-1', kind: 'article', tags: ['intro'], subject: 'Article 1 for {{ profile.firstName | default: "you" }}', html: '<p>One</p>' },
  { id: 'article-2', kind: 'article', tags: ['intro'], subject: 'Article 2', html: '<p>Two</p>' },
  { id: 'article-3', kind: 'article', subject: 'Article 3', html: '<p>Three</p>' },
  { id: 'testimonial-1', kind: 'testimonial', subject: 'A customer story', html: '<p>Story</p>' },
  { id: 'demo', kind: 'demo', subject: 'Book a demo', html: '<p>Demo</p>' },
  { id: 'offer', kind: 'offer', subject: 'An offer', html: '<p>Offer</p>' },
  { id: 'survey', kind: 'survey', subject: 'How are we doing?', html: '<p>Survey</p>' },
];

/** Any workflow fields, loosely typed: validation checks them, as it would a marketer's file. */
type WorkflowOverrides = { steps: Record<string, unknown>; settings?: Record<string, unknown> } & Record<string, unknown>;

/** A valid workflow: defaults for everything but the steps (start: the first step). Throws with every problem if invalid. */
export function defineWorkflow(overrides: WorkflowOverrides, content: ContentItem[] = testContent): Workflow {
  const raw = {
    id: 'test-journey',
    version: 1,
    name: 'Test journey',
    entry: { on: { 'detail-type': ['lead.captured'] } },
    start: Object.keys(overrides.steps)[0],
    ...overrides,
    settings: { from: 'Test <hello@test.example>', ...(overrides.settings ?? {}) },
  };
  const result = validateWorkflow(raw, { file: 'test', catalogue: createCatalogue(content) });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.workflow;
}

export function registryOf(workflows: Workflow | Workflow[], content: ContentItem[] = testContent, settings: ProjectSettings = {}): WorkflowRegistry {
  return new WorkflowRegistry(Array.isArray(workflows) ? workflows : [workflows], createCatalogue(content), settings);
}

let eventCounter = 0;

/** An EventBridge event about one customer. */
export function event(detailType: string, customerId: string, time: string, detail: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  eventCounter += 1;
  return { id: `evt-${eventCounter}`, source: 'test.app', 'detail-type': detailType, time, detail: { customerId, ...detail }, ...extra };
}

/** A lead with an address, so emails can go. */
export function lead(customerId: string, time: string, profile: Record<string, unknown> = {}) {
  return event('lead.captured', customerId, time, { profile: { email: `${customerId}@example.com`, ...profile } });
}

/** An SES click on this workflow's email, in customer form. */
export function click(customerId: string, time: string, workflowId = 'test-journey') {
  return event('Email Clicked', customerId, time, { workflowId }, { source: 'aws.ses' });
}

export interface Played extends RunResult {
  /** Compact emails: "2026-11-02T14:00:00.000Z c1 welcome article-1" */
  sent: string[];
  stateOf(customerId: string, workflowId?: string): JourneyState;
}

/** Plays events (in time order, timers between them) until `until` or until nothing is left. */
export async function play(workflows: Workflow | Workflow[], events: object[], options: { until?: string; content?: ContentItem[]; settings?: ProjectSettings } = {}): Promise<Played> {
  const registry = registryOf(workflows, options.content, options.settings);
  const items: TimelineItem[] = [];
  events.forEach((raw, index) => {
    const placed = timelineItemsFor(raw, index, index + 1);
    if ('reason' in placed) throw new Error(`test event ${index + 1} is invalid: ${placed.reason}`);
    items.push(...placed.items);
  });
  const result = await runTimeline(registry, { items: sortTimeline(items), rejected: [] }, options.until ? { until: Date.parse(options.until) } : {});
  return {
    ...result,
    sent: result.emails.map((e) => `${new Date(e.at).toISOString()} ${e.customerId} ${e.stepId} ${e.contentId}`),
    stateOf(customerId: string, workflowId = 'test-journey') {
      for (const journey of result.runner.store.journeys()) {
        if (journey.customerId === customerId && journey.workflowId === workflowId) return journey.state;
      }
      throw new Error(`no journey for ${customerId} in ${workflowId}`);
    },
  } as Played;
}

/** Counter value for a workflow/step/name, summed over days. */
export async function counter(played: RunResult, name: string, stepId = '_', workflowId = 'test-journey'): Promise<number> {
  const rows = await played.runner.store.readCounters(workflowId);
  return rows.filter((r) => r.name === name && r.stepId === stepId).reduce((sum, r) => sum + r.value, 0);
}
