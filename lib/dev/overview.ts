/**
 * A workflow as the journey map shows it: its graph laid out (the report's
 * layout code with the map's card sizes, cached per structure), its metrics,
 * experiments, revenue and daily series (from the counters in the table).
 */
import { journeyGraph } from '../engine/graph';
import type { Workflow } from '../engine/schema';
import { experimentsFrom } from '../report/experiments';
import { type LayoutJson, layoutJourney, layoutJson } from '../report/layout';
import { textWidth } from '../report/text-width';
import { dailySeries, revenueFrom } from '../report/trends';
import { metricsFrom } from '../runtime/journey-metrics';
import type { CounterRow } from '../runtime/store';
import type { WorkflowView } from './api-types';
import { entryExample } from './demo-plan';
import { mapCardSize } from './web/cards';

const layouts = new Map<string, Promise<LayoutJson>>();

/** The map's layout of a workflow, computed once per structure. */
export function mapLayout(workflow: Workflow): Promise<LayoutJson> {
  const graph = journeyGraph(workflow);
  const key = JSON.stringify([workflow.id, graph.stages, graph.steps, graph.edges]);
  let layout = layouts.get(key);
  if (!layout) {
    // Summary lines are measured at the card's 12 px (Helvetica metrics, close to the browser's).
    layout = layoutJourney({ graph, cardOf: (step) => mapCardSize(step, (text) => textWidth(text, 12)) }).then(layoutJson);
    layouts.set(key, layout);
    layout.catch(() => layouts.delete(key));
  }
  return layout;
}

export async function workflowView(workflow: Workflow, rows: readonly CounterRow[], control: WorkflowView['control'] = 'active'): Promise<WorkflowView> {
  const graph = journeyGraph(workflow);
  return {
    id: workflow.id,
    version: workflow.version,
    name: workflow.name,
    description: workflow.description ?? null,
    stages: graph.stages,
    steps: graph.steps,
    edges: graph.edges,
    metrics: metricsFrom(workflow, rows),
    experiments: experimentsFrom(workflow, rows),
    revenue: revenueFrom(workflow.id, rows),
    daily: dailySeries(rows),
    layout: await mapLayout(workflow),
    goal: workflow.goal ? { stage: workflow.goal.stage ?? null, then: workflow.goal.then } : null,
    control,
    entryExample: entryExample(workflow),
  };
}
