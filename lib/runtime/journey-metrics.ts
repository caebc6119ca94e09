/**
 * Journey metrics from counter rows: what the journey map, `waymark report`
 * and `waymark simulate` show. Per step (entered, waiting, emails sent,
 * opened, clicked, where journeys ended), per stage (entered, conversion to
 * the next, mean time spent), per workflow (statuses, channels, time to convert).
 */
import { journeyGraph } from '../engine/graph';
import type { Workflow } from '../engine/schema';
import type { CounterRow } from './store';

export interface StepMetrics {
  /** Customers who reached the step. */
  entered: number;
  /** Customers resting at the step now (a wait, or an email waiting for its window or the cap). */
  waiting: number;
  sent: number;
  opened: number;
  clicked: number;
  deferred: number;
  skipped: number;
  /** Of `deferred`: held by the send budget across journeys (not the window or the cap). */
  deferredByBudget: number;
  /** Of `skipped`: not sent because over the send budget ("overBudget": "skip"). */
  skippedByBudget: number;
  failed: number;
  bounced: number;
  complained: number;
  unsubscribed: number;
  /** Conversions (goal) while at this step. */
  converted: number;
  /** Customers whose journey ended here without converting (completed, exited, suppressed, held out). */
  dropped: number;
}

export interface StageMetrics {
  /** Customers who entered the stage. */
  entered: number;
  /** Mean time spent in the stage by those who left it, in milliseconds (null: nobody left it yet). */
  averageTimeMs: number | null;
  /** entered(next stage) / entered(this stage); null for the last stage or when nobody entered this one. */
  conversionToNext: number | null;
}

export interface WorkflowMetrics {
  entered: number;
  /** Mean time from entering to converting, in milliseconds (null: no conversion yet). */
  averageTimeToConvertMs: number | null;
  active: number;
  converted: number;
  completed: number;
  exited: number;
  holdout: number;
  suppressed: number;
  /** Entries by channel (the events' detail.channel, else their source). */
  channels: Record<string, number>;
  steps: Record<string, StepMetrics>;
  stages: Record<string, StageMetrics>;
}

const FINISHES_WITHOUT_CONVERSION = ['completed', 'exited', 'holdout', 'suppressed'];

function emptyStep(): StepMetrics {
  return { entered: 0, waiting: 0, sent: 0, opened: 0, clicked: 0, deferred: 0, skipped: 0, deferredByBudget: 0, skippedByBudget: 0, failed: 0, bounced: 0, complained: 0, unsubscribed: 0, converted: 0, dropped: 0 };
}

/** Adds up counter rows (all days) into the map's metrics for one workflow. */
export function metricsFrom(workflow: Workflow, rows: readonly CounterRow[]): WorkflowMetrics {
  const graph = journeyGraph(workflow);
  const steps: Record<string, StepMetrics> = Object.fromEntries(graph.steps.map((s) => [s.id, emptyStep()]));
  const metrics: WorkflowMetrics = { entered: 0, averageTimeToConvertMs: null, active: 0, converted: 0, completed: 0, exited: 0, holdout: 0, suppressed: 0, channels: {}, steps, stages: {} };
  const stageTotals = new Map<string, { entered: number; time: number; left: number }>();
  const stage = (name: string) => {
    let totals = stageTotals.get(name);
    if (!totals) stageTotals.set(name, (totals = { entered: 0, time: 0, left: 0 }));
    return totals;
  };

  let timeToConvert = 0;
  for (const row of rows) {
    const [name, label] = row.name.split(':', 2) as [string, string | undefined];
    if (name === 'converted.time') {
      timeToConvert += row.value;
      continue;
    }
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
      case 'email.deferred':
        step.deferred += row.value;
        if (label === 'budget') step.deferredByBudget += row.value;
        break;
      case 'email.skipped':
        step.skipped += row.value;
        if (label === 'budget') step.skippedByBudget += row.value;
        break;
      case 'email.failed': step.failed += row.value; break;
      case 'email.bounced': step.bounced += row.value; break;
      case 'email.complained': step.complained += row.value; break;
      case 'email.unsubscribed': step.unsubscribed += row.value; break;
      case 'converted': step.converted += row.value; break;
      default:
        if (FINISHES_WITHOUT_CONVERSION.includes(name)) step.dropped += row.value;
    }
  }

  metrics.averageTimeToConvertMs = metrics.converted > 0 ? timeToConvert / metrics.converted : null;
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

