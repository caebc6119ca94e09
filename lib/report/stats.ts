/**
 * Experiment statistics for the report: conversion rates with 95% intervals,
 * differences between split paths, a journey's lift over its holdout, and a
 * verdict a marketer can read. Pure: counts in, numbers and sentences out.
 *
 * Methods, chosen because they behave at the edges a journey produces (0 or
 * every customer converting, a few dozen customers per path):
 * - a rate: the Wilson score interval without continuity correction
 *   (Newcombe 1998, "Two-sided confidence intervals for the single
 *   proportion", Stat Med 17:857–872, method 3);
 * - a difference of two rates: Newcombe's hybrid score interval, built from
 *   the two Wilson intervals (Newcombe 1998, "Interval estimation for the
 *   difference between independent proportions", Stat Med 17:873–890,
 *   method 10). It never leaves [−1, 1] and needs no iteration.
 *
 * Each interval is a 95% interval on its own: a split with many paths makes
 * several comparisons, and one of them may exclude 0 by chance.
 */

/** [lower, upper] bounds. */
export type Interval = [lo: number, hi: number];

/** The normal quantile for a two-sided 95% interval, Φ⁻¹(0.975). */
export const Z_95 = 1.959964;

export interface Difference {
  /** First rate minus second rate, as a proportion (0.031 = 3.1 points). */
  value: number;
  ci95: Interval;
}

export interface Counts {
  entered: number;
  converted: number;
}

function checkCounts(successes: number, trials: number): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || trials < 0 || successes > trials) {
    throw new RangeError(`expected whole counts with 0 ≤ successes ≤ trials, got ${successes} of ${trials}`);
  }
}

/**
 * The Wilson score interval for `successes` out of `trials`, without continuity
 * correction; null when there are no trials (no data is no interval, rather
 * than the uninformative [0, 1]). The bound at an end of the scale is exact:
 * 0 successes give a lower bound of 0, all successes an upper bound of 1.
 *
 * @example
 * wilsonInterval(81, 263); // ≈ [0.2553, 0.3662]
 * wilsonInterval(0, 20);   // ≈ [0, 0.1611]
 * wilsonInterval(0, 0);    // null
 */
export function wilsonInterval(successes: number, trials: number, z = Z_95): Interval | null {
  checkCounts(successes, trials);
  if (!(z > 0)) throw new RangeError(`z must be positive, got ${z}`);
  if (trials === 0) return null;
  const p = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (p + z2 / (2 * trials)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials));
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === trials ? 1 : Math.min(1, centre + half)];
}

/**
 * The difference of two independent rates, s1/n1 − s2/n2, with Newcombe's
 * hybrid score interval (method 10); null when either side has no trials.
 *
 * @example
 * newcombeDifference(56, 70, 48, 80); // { value: 0.2, ci95: ≈ [0.0524, 0.3339] }
 */
export function newcombeDifference(s1: number, n1: number, s2: number, n2: number): Difference | null {
  const first = wilsonInterval(s1, n1);
  const second = wilsonInterval(s2, n2);
  if (!first || !second) return null;
  const p1 = s1 / n1;
  const p2 = s2 / n2;
  const value = p1 - p2;
  const [l1, u1] = first;
  const [l2, u2] = second;
  return {
    value,
    ci95: [value - Math.hypot(p1 - l1, u2 - p2), value + Math.hypot(p2 - l2, u1 - p1)],
  };
}

export interface PathResult extends Counts {
  /** The step the path leads to: how the workflow names it. */
  next: string;
  /** converted ÷ entered, or null when nobody entered. */
  rate: number | null;
  ci95: Interval | null;
}

export interface PathComparison {
  next: string;
  /** The path it is compared with: always the split's first path. */
  baseline: string;
  /** This path's rate minus the baseline's; null while either has no customers. */
  difference: Difference | null;
  verdict: Verdict;
}

export interface SplitExperiment {
  paths: PathResult[];
  comparisons: PathComparison[];
}

/**
 * Every path of a `split` step with its conversion rate and interval, and each
 * path after the first compared with the first. The first path is the
 * baseline because it is the one the workflow lists first (write the current
 * email first, the challengers after it), which keeps every comparison fixed
 * as data comes in; comparing with "the best other path" would change its
 * reference with the noise it is trying to measure.
 *
 * @example
 * splitExperiment([{ next: 'demo', entered: 500, converted: 40 }, { next: 'offer', entered: 500, converted: 62 }]);
 * // comparisons[0].verdict.text: 'path "offer" converts better than path "demo": +4.4 points (95% CI +0.6 to +8.2)'
 */
export function splitExperiment(paths: ReadonlyArray<{ next: string } & Counts>): SplitExperiment {
  const results = paths.map(({ next, entered, converted }) => ({
    next,
    entered,
    converted,
    rate: entered > 0 ? converted / entered : null,
    ci95: wilsonInterval(converted, entered),
  }));
  const [baseline, ...others] = results;
  const comparisons = baseline
    ? others.map((path) => {
        const difference = newcombeDifference(path.converted, path.entered, baseline.converted, baseline.entered);
        return { next: path.next, baseline: baseline.next, difference, verdict: verdict(difference, { subject: `path "${path.next}"`, baseline: `path "${baseline.next}"` }) };
      })
    : [];
  return { paths: results, comparisons };
}

/**
 * The journey's lift: the treatment's conversion rate minus the holdout's, with
 * its interval; null while either group is empty.
 *
 * @example
 * holdoutLift({ entered: 900, converted: 117 }, { entered: 100, converted: 8 }); // { value: 0.05, ci95: ≈ [−0.0229, 0.0955] }: a small holdout, no clear lift yet
 */
export function holdoutLift(treatment: Counts, holdout: Counts): Difference | null {
  return newcombeDifference(treatment.converted, treatment.entered, holdout.converted, holdout.entered);
}

export interface Verdict {
  /** better / worse: the whole interval is above / below 0; unclear: it includes 0; no-data: a side is empty. */
  kind: 'better' | 'worse' | 'unclear' | 'no-data';
  text: string;
}

/** Percentage points with their sign, one decimal: 0.031 → "+3.1", −0.002 → "−0.2" (a true minus sign). */
export function formatPoints(proportion: number): string {
  const points = (Math.abs(proportion) * 100).toFixed(1);
  if (points === '0.0') return '0.0';
  return `${proportion < 0 ? '−' : '+'}${points}`;
}

/**
 * A difference in words, for people who do not read intervals: which side
 * converts better, by how many points, and how sure that is.
 *
 * @example
 * verdict(newcombeDifference(62, 500, 40, 500), { subject: 'path B', baseline: 'path A' }).text;
 * // 'path B converts better than path A: +4.4 points (95% CI +0.6 to +8.2)'
 * verdict(newcombeDifference(45, 500, 40, 500), { subject: 'path B', baseline: 'path A' }).text;
 * // 'no clear difference yet between path B and path A: +1.0 points (95% CI −2.5 to +4.5); the interval includes 0'
 */
export function verdict(difference: Difference | null, labels: { subject: string; baseline: string }): Verdict {
  const { subject, baseline } = labels;
  if (!difference) return { kind: 'no-data', text: `not enough data yet: ${subject} or ${baseline} has no customers` };
  const [lo, hi] = difference.ci95;
  const figures = `${formatPoints(difference.value)} points (95% CI ${formatPoints(lo)} to ${formatPoints(hi)})`;
  if (lo > 0) return { kind: 'better', text: `${subject} converts better than ${baseline}: ${figures}` };
  if (hi < 0) return { kind: 'worse', text: `${subject} converts worse than ${baseline}: ${figures}` };
  return { kind: 'unclear', text: `no clear difference yet between ${subject} and ${baseline}: ${figures}; the interval includes 0` };
}
