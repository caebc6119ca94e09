/**
 * The report's model: per workflow, its graph (laid out), its metrics from
 * the counter rows, and the days the rows cover; plus where the rows came
 * from and the period asked for. Rendering (HTML, terminal) reads only this.
 */
import { describePattern, type JourneyGraph, journeyGraph } from '../engine/graph';
import type { Workflow } from '../engine/schema';
import { metricsFrom, type WorkflowMetrics } from '../runtime/journey-metrics';
import type { CounterRow } from '../runtime/store';
import { type Experiment, experimentsFrom } from './experiments';
import type { GoalCard } from './graph-svg';
import { type GraphLayout, layoutJourney } from './layout';
import type { ReportSource } from './sources';
import { type DailyPoint, dailySeries, type RevenueSummary, revenueFrom } from './trends';

export interface ReportPeriod {
  /** First day asked for (UTC, "YYYY-MM-DD"), null: from the beginning. */
  from: string | null;
  /** Last day asked for, null: up to the latest. */
  to: string | null;
}

export interface WorkflowReport {
  workflow: Workflow;
  graph: JourneyGraph;
  metrics: WorkflowMetrics;
  layout: GraphLayout;
  goal: GoalCard | undefined;
  /** Every split and holdout step with its paths' conversion rates and intervals. */
  experiments: Experiment[];
  /** The goal's value summed by credited email step and by experiment path. */
  revenue: RevenueSummary;
  /** One point per UTC day of the period: entered, sent, opened, clicked, converted, revenue. */
  daily: DailyPoint[];
  /** The first and last day the rows hold (null: only gauges). */
  firstDay: string | null;
  lastDay: string | null;
}

export interface Report {
  source: ReportSource;
  period: ReportPeriod;
  generatedAt: number;
  workflows: WorkflowReport[];
}

/** Metrics and the laid-out graph of one workflow from its counter rows. */
export async function buildWorkflowReport(workflow: Workflow, rows: readonly CounterRow[], period: ReportPeriod = { from: null, to: null }): Promise<WorkflowReport> {
  const graph = journeyGraph(workflow);
  const metrics = metricsFrom(workflow, rows);
  const goalDefinition = workflow.goal;
  const goal: GoalCard | undefined = goalDefinition
    ? {
        label: `Goal: ${describePattern(goalDefinition.on).replace(/^detail-type: /, '')}`,
        summary: `${goalDefinition.stage ? `stage → ${goalDefinition.stage}, ` : ''}then ${goalDefinition.then}`,
        converted: metrics.converted,
        averageTimeToConvertMs: metrics.averageTimeToConvertMs,
      }
    : undefined;
  const layout = await layoutJourney({
    graph,
    goal: goalDefinition ? { stage: goalDefinition.stage ?? null, then: goalDefinition.then === 'exit' ? null : goalDefinition.then } : undefined,
  });
  const days = rows.map((r) => r.day).filter((d) => d !== 'all').sort();
  const experiments = experimentsFrom(workflow, rows);
  const revenue = revenueFrom(workflow.id, rows);
  const daily = dailySeries(rows, period);
  return { workflow, graph, metrics, layout, goal, experiments, revenue, daily, firstDay: days[0] ?? null, lastDay: days[days.length - 1] ?? null };
}
