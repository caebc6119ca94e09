/**
 * A journey's experiments from its counter rows: every `split` step (which
 * path converts better) and every `holdout` step (does the journey beat doing
 * nothing). Pure: a workflow and counter rows in, figures out; the report, the
 * journey map and `waymark report --json` all show these.
 *
 * The counters (written by the engine, one per customer passing the step):
 * - `assigned:<label>` at the split or holdout step: the customer took that
 *   path (a split's label is the path's `next` step id; a holdout's is
 *   `holdout` or `journey`);
 * - `converted.path:<label>`: a customer with that assignment converted, while
 *   in the journey or within the goal's attribution window after it (held-out
 *   customers are watched for the goal too, so the lift is measurable);
 * - `revenue.path:<label>`: the goal event's value (`goal.value`) summed.
 *
 * Rates and intervals come from stats.ts (Wilson for a rate, Newcombe's
 * hybrid score for a difference), tested against published examples.
 */
import type { Workflow } from '../engine/schema';
import type { CounterRow } from '../runtime/store';
import { holdoutLift, type Interval, splitExperiment, verdict, type Verdict } from './stats';

/** The holdout step's two groups, as the engine labels them. */
export const HOLDOUT_GROUP = 'holdout';
export const JOURNEY_GROUP = 'journey';

export interface ExperimentPath {
  /** A split's path: the step it leads to. A holdout: "journey" (went on) or "holdout" (held out). */
  next: string;
  /** The share of customers the workflow sends this way (weight ÷ total weights, or the holdout percent), 0–1. */
  plannedShare: number;
  /** Customers assigned to this path. */
  entered: number;
  /** Of them, customers who converted. */
  converted: number;
  /** converted ÷ entered; null while nobody is assigned. */
  rate: number | null;
  /** 95% Wilson interval of the rate; null while nobody is assigned. */
  ci95: Interval | null;
  /** The goal's value summed over this path's conversions (0 without `goal.value`). */
  revenue: number;
}

export interface PathDifference {
  next: string;
  /** The path compared with: the split's first path. */
  baseline: string;
  /** This path's rate minus the baseline's (0.031: 3.1 points); null while either has no customers. */
  value: number | null;
  ci95: Interval | null;
  verdict: Verdict;
}

export interface Experiment {
  workflowId: string;
  stepId: string;
  /** The step's name, else its id. */
  label: string;
  kind: 'split' | 'holdout';
  /** A split's paths in the workflow's order; a holdout's "journey" then "holdout". */
  paths: ExperimentPath[];
  /** Split: each path after the first against the first. */
  differences?: PathDifference[];
  /** Holdout: the journey's conversion rate minus the holdout's, with its interval (absent while a group is empty). */
  lift?: { value: number; ci95: Interval };
  /** Holdout: the lift in words. */
  liftVerdict?: Verdict;
  /**
   * True when some path counted more conversions than assignments: the period read starts after
   * customers were assigned (their conversions fall in it, their assignment before it). Those
   * conversions are left out of the rate; read the experiment over its whole run.
   */
  truncated: boolean;
}

interface PathCounts {
  entered: number;
  converted: number;
  revenue: number;
}

/** Sums the `assigned`, `converted.path` and `revenue.path` rows of one step by label. */
function countsByLabel(rows: readonly CounterRow[], stepId: string): Map<string, PathCounts> {
  const counts = new Map<string, PathCounts>();
  const of = (label: string) => {
    let c = counts.get(label);
    if (!c) counts.set(label, (c = { entered: 0, converted: 0, revenue: 0 }));
    return c;
  };
  for (const row of rows) {
    if (row.stepId !== stepId) continue;
    const colon = row.name.indexOf(':');
    if (colon < 0) continue;
    const name = row.name.slice(0, colon);
    const label = row.name.slice(colon + 1);
    if (name === 'assigned') of(label).entered += row.value;
    else if (name === 'converted.path') of(label).converted += row.value;
    else if (name === 'revenue.path') of(label).revenue += row.value;
  }
  return counts;
}

/** Counts a rate can be drawn from: whole, non-negative, no more conversions than customers. */
function usable(counts: PathCounts | undefined): { entered: number; converted: number; revenue: number; cut: boolean } {
  const entered = Math.max(0, Math.round(counts?.entered ?? 0));
  const converted = Math.max(0, Math.round(counts?.converted ?? 0));
  return { entered, converted: Math.min(converted, entered), revenue: counts?.revenue ?? 0, cut: converted > entered };
}

function splitOf(workflow: Workflow, stepId: string, paths: ReadonlyArray<{ weight: number; next: string }>, rows: readonly CounterRow[]): Experiment {
  const counts = countsByLabel(rows, stepId);
  const totalWeight = paths.reduce((sum, p) => sum + p.weight, 0) || 1;
  // Two paths to the same step are one path to the engine's counters (labelled by `next`).
  const planned = new Map<string, number>();
  for (const p of paths) planned.set(p.next, (planned.get(p.next) ?? 0) + p.weight / totalWeight);
  // A path an older version had, still in the counters, is shown after the current ones (it is data, not noise).
  const labels = [...planned.keys(), ...[...counts.keys()].filter((label) => !planned.has(label)).sort()];
  let truncated = false;
  const inputs = labels.map((next) => {
    const c = usable(counts.get(next));
    truncated ||= c.cut;
    return { next, entered: c.entered, converted: c.converted, revenue: c.revenue };
  });
  const stats = splitExperiment(inputs);
  return {
    workflowId: workflow.id,
    stepId,
    label: workflow.steps[stepId]?.name ?? stepId,
    kind: 'split',
    paths: stats.paths.map((p, i) => ({ next: p.next, plannedShare: planned.get(p.next) ?? 0, entered: p.entered, converted: p.converted, rate: p.rate, ci95: p.ci95, revenue: inputs[i]!.revenue })),
    differences: stats.comparisons.map((c) => ({ next: c.next, baseline: c.baseline, value: c.difference?.value ?? null, ci95: c.difference?.ci95 ?? null, verdict: c.verdict })),
    truncated,
  };
}

function holdoutOf(workflow: Workflow, stepId: string, percent: number, rows: readonly CounterRow[]): Experiment {
  const counts = countsByLabel(rows, stepId);
  const journey = usable(counts.get(JOURNEY_GROUP));
  const holdout = usable(counts.get(HOLDOUT_GROUP));
  const [journeyPath, holdoutPath] = splitExperiment([
    { next: JOURNEY_GROUP, ...journey },
    { next: HOLDOUT_GROUP, ...holdout },
  ]).paths;
  const lift = holdoutLift(journey, holdout);
  return {
    workflowId: workflow.id,
    stepId,
    label: workflow.steps[stepId]?.name ?? stepId,
    kind: 'holdout',
    paths: [
      { ...journeyPath!, plannedShare: 1 - percent / 100, revenue: journey.revenue },
      { ...holdoutPath!, plannedShare: percent / 100, revenue: holdout.revenue },
    ],
    ...(lift ? { lift: { value: lift.value, ci95: lift.ci95 } } : {}),
    liftVerdict: verdict(lift, { subject: 'the journey', baseline: 'the holdout' }),
    truncated: journey.cut || holdout.cut,
  };
}

/**
 * Every split and holdout step of the workflow, in definition order, with its figures.
 *
 * @example
 * experimentsFrom(workflow, [
 *   { workflowId: 'w', day: '2026-11-02', stepId: 'ab', name: 'assigned:demo', value: 500 },
 *   { workflowId: 'w', day: '2026-11-09', stepId: 'ab', name: 'converted.path:demo', value: 40 },
 *   ...
 * ])[0].paths[0]; // { next: 'demo', entered: 500, converted: 40, rate: 0.08, ci95: [0.0593, 0.1070], ... }
 */
export function experimentsFrom(workflow: Workflow, rows: readonly CounterRow[]): Experiment[] {
  const experiments: Experiment[] = [];
  for (const [stepId, step] of Object.entries(workflow.steps)) {
    if (step.type === 'split') experiments.push(splitOf(workflow, stepId, step.paths, rows));
    else if (step.type === 'holdout') experiments.push(holdoutOf(workflow, stepId, step.percent, rows));
  }
  return experiments;
}

/** What `waymark report --json` prints of an experiment: the figures it draws (rates and bounds as proportions). */
export function experimentJson(experiment: Experiment): Record<string, unknown> {
  const round = (n: number) => Math.round(n * 1e6) / 1e6;
  const interval = (ci: Interval | null) => (ci ? [round(ci[0]), round(ci[1])] : null);
  return {
    workflowId: experiment.workflowId,
    stepId: experiment.stepId,
    kind: experiment.kind,
    paths: experiment.paths.map((p) => ({
      next: p.next,
      entered: p.entered,
      converted: p.converted,
      rate: p.rate === null ? null : round(p.rate),
      ci95: interval(p.ci95),
      plannedShare: round(p.plannedShare),
      revenue: p.revenue,
    })),
    ...(experiment.lift ? { lift: { value: round(experiment.lift.value), ci95: interval(experiment.lift.ci95) } } : {}),
    ...(experiment.differences
      ? { differences: experiment.differences.map((d) => ({ next: d.next, baseline: d.baseline, value: d.value === null ? null : round(d.value), ci95: interval(d.ci95), verdict: d.verdict.kind })) }
      : {}),
    verdict: experiment.kind === 'holdout' ? experiment.liftVerdict?.text : experiment.differences?.map((d) => d.verdict.text).join('; ') || null,
    truncated: experiment.truncated,
  };
}
