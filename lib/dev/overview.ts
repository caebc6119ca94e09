/**
 * The journey map's numbers, from the counters in the table: per step
 * (entered, waiting, sent, opened, clicked, where journeys ended), per stage
 * (entered, conversion to the next, mean time spent) and per workflow (status
 * totals, channels).
 */
import { journeyGraph } from '../engine/graph';
import type { Workflow } from '../engine/schema';
import type { CounterRow } from '../runtime/store';
import type { StageMetrics, StepMetrics, WorkflowMetrics, WorkflowView } from './api-types';

const FINISHES_WITHOUT_CONVERSION = ['completed', 'exited', 'holdout', 'suppressed'];

function emptyStep(): StepMetrics {
  return { entered: 0, waiting: 0, sent: 0, opened: 0, clicked: 0, deferred: 0, skipped: 0, failed: 0, bounced: 0, complained: 0, unsubscribed: 0, converted: 0, dropped: 0 };
}

/** Adds up counter rows (all days) into the map's metrics for one workflow. */
export function metricsFrom(workflow: Workflow, rows: readonly CounterRow[]): WorkflowMetrics {
  const graph = journeyGraph(workflow);
  const steps: Record<string, StepMetrics> = Object.fromEntries(graph.steps.map((s) => [s.id, emptyStep()]));
  const metrics: WorkflowMetrics = { entered: 0, active: 0, converted: 0, completed: 0, exited: 0, holdout: 0, suppressed: 0, channels: {}, steps, stages: {} };
  const stageTotals = new Map<string, { entered: number; time: number; left: number }>();
  const stage = (name: string) => {
    let totals = stageTotals.get(name);
    if (!totals) stageTotals.set(name, (totals = { entered: 0, time: 0, left: 0 }));
    return totals;
  };

  for (const row of rows) {
    const [name, label] = row.name.split(':', 2) as [string, string | undefined];
    if (row.stepId.startsWith('stage:')) {
      const totals = stage(row.stepId.slice(6));
      if (name === 'stage.entered') totals.entered += row.value;
      else if (name === 'stage.time') totals.time += row.value;
      else if (name === 'stage.left') totals.left += row.value;
      continue;
    }
    if (name === 'entered') {
      metrics.entered += row.value;
      const channel = label ?? 'unknown';
      metrics.channels[channel] = (metrics.channels[channel] ?? 0) + row.value;
      continue;
    }
    if (name === 'converted') metrics.converted += row.value;
    if (FINISHES_WITHOUT_CONVERSION.includes(name)) metrics[name as 'completed' | 'exited' | 'holdout' | 'suppressed'] += row.value;
    const step = steps[row.stepId];
    if (!step) continue;
    switch (name) {
      case 'step.entered': step.entered += row.value; break;
      case 'waiting': step.waiting += row.value; metrics.active += row.value; break;
      case 'email.sent': step.sent += row.value; break;
      case 'email.opened': step.opened += row.value; break;
      case 'email.clicked': step.clicked += row.value; break;
      case 'email.deferred': step.deferred += row.value; break;
      case 'email.skipped': step.skipped += row.value; break;
      case 'email.failed': step.failed += row.value; break;
      case 'email.bounced': step.bounced += row.value; break;
      case 'email.complained': step.complained += row.value; break;
      case 'email.unsubscribed': step.unsubscribed += row.value; break;
      case 'converted': step.converted += row.value; break;
      default:
        if (FINISHES_WITHOUT_CONVERSION.includes(name)) step.dropped += row.value;
    }
  }

  graph.stages.forEach((name, i) => {
    const totals = stageTotals.get(name) ?? { entered: 0, time: 0, left: 0 };
    const next = graph.stages[i + 1];
    const stageMetrics: StageMetrics = {
      entered: totals.entered,
      averageTimeMs: totals.left > 0 ? totals.time / totals.left : null,
      conversionToNext: next === undefined || totals.entered === 0 ? null : (stageTotals.get(next)?.entered ?? 0) / totals.entered,
    };
    metrics.stages[name] = stageMetrics;
  });
  return metrics;
}

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
  };
}
