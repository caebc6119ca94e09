/**
 * `waymark report --json`: the figures the report draws, for scripts and CI.
 * Rates and interval bounds are proportions (0.0524, not 5.24%); days are UTC.
 *
 * @example
 * const json = reportJson(report);
 * json.experiments[0]; // { workflowId, stepId, kind: 'split', paths: [{ next, entered, converted, rate, ci95: [lo, hi] }], differences: [...] }
 * json.revenue[0];     // { workflowId, total, converted, perConversion, steps: [...], variants: [...] }
 */
import type { Report } from './build';
import { experimentJson } from './experiments';
import { describeSource } from './sources';
import { seriesTotals } from './trends';

export function reportJson(report: Report): Record<string, unknown> {
  return {
    source: { ...report.source, description: describeSource(report.source) },
    period: report.period,
    generatedAt: new Date(report.generatedAt).toISOString(),
    workflows: report.workflows.map((w) => ({
      workflowId: w.workflow.id,
      version: w.workflow.version,
      name: w.workflow.name,
      firstDay: w.firstDay,
      lastDay: w.lastDay,
      metrics: w.metrics,
      totals: seriesTotals(w.daily),
      daily: w.daily,
    })),
    experiments: report.workflows.flatMap((w) => w.experiments.map(experimentJson)),
    revenue: report.workflows.map((w) => w.revenue),
  };
}
