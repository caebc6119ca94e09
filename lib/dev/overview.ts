/** A workflow as the journey map shows it: its graph and its metrics (from the counters in the table). */
import { journeyGraph } from '../engine/graph';
import type { Workflow } from '../engine/schema';
import { metricsFrom } from '../runtime/journey-metrics';
import type { CounterRow } from '../runtime/store';
import type { WorkflowView } from './api-types';
import { entryExample } from './demo-plan';

export function workflowView(workflow: Workflow, rows: readonly CounterRow[]): WorkflowView {
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
    entryExample: entryExample(workflow),
  };
}
