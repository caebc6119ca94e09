/**
 * Experiment statistics against published worked examples.
 *
 * Sources of the expected figures (95%, rounded to 4 decimals by their authors):
 * - Newcombe RG (1998a). Two-sided confidence intervals for the single proportion:
 *   comparison of seven methods. Stat Med 17:857–872, Table I, method 3 (Wilson score
 *   interval without continuity correction). 81/263 and 15/148 are also reproduced in
 *   the R package propint's tests (m-Py/propint, tests/testthat/test_Single_Proportion_CI.R);
 *   the upper limits of 0/20 and 0/10 reappear in Newcombe (1998b) Table II, examples (e)
 *   and (f), below.
 * - Newcombe RG (1998b). Interval estimation for the difference between independent
 *   proportions: comparison of eleven methods. Stat Med 17:873–890, Table II, method 10
 *   (hybrid score interval from the two Wilson intervals), all eight examples, as
 *   reproduced row by row in DeepPSP/DBCI, test/test-data/newcombee.csv (row "wilson").
 *   Examples (a), (b) and (g), and an HIV trial, 84/101 − 89/105, are also worked with
 *   SAS in WUSS 2016 paper 127 (lexjansen.com/wuss/2016/127_Final_Paper_PDF.pdf, p. 9),
 *   whose figures the R package lumen's tests quote.
 *
 * Two figures often quoted for method 10 are not method 10: for 6/7 − 2/7 the table
 * gives 0.0582 to 0.8062, and for 5/56 − 0/29 it gives −0.0381 to 0.1926
 * (−0.0326 to 0.1933 is the Miettinen–Nurminen row of the same table).
 */
import { describe, expect, it } from 'vitest';
import { formatPoints, holdoutLift, newcombeDifference, splitExperiment, verdict, wilsonInterval } from '../../lib/report/stats';

const TOLERANCE = 1e-4;

function expectInterval(actual: [number, number] | null | undefined, lo: number, hi: number): void {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual![0] - lo), `lower bound ${actual![0]} vs ${lo}`).toBeLessThanOrEqual(TOLERANCE);
  expect(Math.abs(actual![1] - hi), `upper bound ${actual![1]} vs ${hi}`).toBeLessThanOrEqual(TOLERANCE);
}

describe('wilsonInterval', () => {
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ])('matches Newcombe (1998a) Table I, method 3: %i/%i → %f to %f', (successes, trials, lo, hi) => {
    expectInterval(wilsonInterval(successes, trials), lo, hi);
  });

  it('is exact at the ends of the scale: 0 successes start at 0, all successes end at 1', () => {
    expect(wilsonInterval(0, 20)![0]).toBe(0);
    expect(wilsonInterval(20, 20)![1]).toBe(1);
    // The mirror image of 0/20.
    expectInterval(wilsonInterval(20, 20), 1 - 0.1611, 1);
  });

  it('has no interval without trials', () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it('refuses counts that cannot be counts', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 0)).toThrow(RangeError);
  });

  it('stays inside [0, 1], contains the observed rate and mirrors x/n onto (n − x)/n', () => {
    for (let n = 1; n <= 60; n++) {
      for (let x = 0; x <= n; x++) {
        const [lo, hi] = wilsonInterval(x, n)!;
        const [mirrorLo, mirrorHi] = wilsonInterval(n - x, n)!;
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
        expect(lo).toBeLessThanOrEqual(x / n);
        expect(hi).toBeGreaterThanOrEqual(x / n);
        expect(lo).toBeCloseTo(1 - mirrorHi, 12);
        expect(hi).toBeCloseTo(1 - mirrorLo, 12);
      }
    }
  });

  it('takes another confidence level through z', () => {
    const [lo95, hi95] = wilsonInterval(81, 263)!;
    const [lo90, hi90] = wilsonInterval(81, 263, 1.644854)!;
    expect(lo90).toBeGreaterThan(lo95);
    expect(hi90).toBeLessThan(hi95);
  });
});

describe('newcombeDifference', () => {
  it.each([
    ['(a)', 56, 70, 48, 80, 0.0524, 0.3339],
    ['(b)', 9, 10, 3, 10, 0.1705, 0.809],
    ['(c)', 6, 7, 2, 7, 0.0582, 0.8062],
    ['(d)', 5, 56, 0, 29, -0.0381, 0.1926],
    ['(e)', 0, 10, 0, 20, -0.1611, 0.2775],
    ['(f)', 0, 10, 0, 10, -0.2775, 0.2775],
    ['(g)', 10, 10, 0, 20, 0.6791, 1.0],
    ['(h)', 10, 10, 0, 10, 0.6075, 1.0],
  ])('matches Newcombe (1998b) Table II example %s, method 10: %i/%i − %i/%i → %f to %f', (_, s1, n1, s2, n2, lo, hi) => {
    const difference = newcombeDifference(s1, n1, s2, n2);
    expect(difference!.value).toBeCloseTo(s1 / n1 - s2 / n2, 12);
    expectInterval(difference!.ci95, lo, hi);
  });

  it('matches the HIV trial worked in WUSS 2016 paper 127: 84/101 − 89/105 → −0.1177 to 0.0851', () => {
    expectInterval(newcombeDifference(84, 101, 89, 105)!.ci95, -0.1177, 0.0851);
  });

  it('turns around exactly when the groups are swapped', () => {
    const forward = newcombeDifference(5, 56, 0, 29)!;
    const backward = newcombeDifference(0, 29, 5, 56)!;
    expect(backward.value).toBeCloseTo(-forward.value, 12);
    expect(backward.ci95[0]).toBeCloseTo(-forward.ci95[1], 12);
    expect(backward.ci95[1]).toBeCloseTo(-forward.ci95[0], 12);
  });

  it('has no interval while either group is empty', () => {
    expect(newcombeDifference(1, 10, 0, 0)).toBeNull();
    expect(newcombeDifference(0, 0, 1, 10)).toBeNull();
  });
});

describe('splitExperiment', () => {
  it('gives every path its rate and interval, and compares each later path with the first', () => {
    // Prepare: a three-way split; "offer" clearly ahead of "demo", "survey" not yet told apart
    const paths = [
      { next: 'demo', entered: 500, converted: 40 },
      { next: 'offer', entered: 500, converted: 62 },
      { next: 'survey', entered: 480, converted: 45 },
    ];

    // Act
    const result = splitExperiment(paths);

    // Assess
    expect(result.paths.map((p) => p.rate)).toEqual([0.08, 0.124, 45 / 480]);
    expect(result.paths[0]!.ci95).toEqual(wilsonInterval(40, 500));
    expect(result.comparisons.map((c) => [c.next, c.baseline, c.verdict.kind])).toEqual([
      ['offer', 'demo', 'better'],
      ['survey', 'demo', 'unclear'],
    ]);
    expect(result.comparisons[0]!.difference).toEqual(newcombeDifference(62, 500, 40, 500));
    expect(result.comparisons[0]!.verdict.text).toBe('path "offer" converts better than path "demo": +4.4 points (95% CI +0.6 to +8.2)');
  });

  it('shows a path nobody has entered yet without a rate, and says there is not enough data', () => {
    const result = splitExperiment([
      { next: 'a', entered: 30, converted: 3 },
      { next: 'b', entered: 0, converted: 0 },
    ]);
    expect(result.paths[1]).toEqual({ next: 'b', entered: 0, converted: 0, rate: null, ci95: null });
    expect(result.comparisons[0]!.difference).toBeNull();
    expect(result.comparisons[0]!.verdict).toEqual({ kind: 'no-data', text: 'not enough data yet: path "b" or path "a" has no customers' });
  });

  it('has nothing to compare with one path or none', () => {
    expect(splitExperiment([{ next: 'a', entered: 10, converted: 1 }]).comparisons).toEqual([]);
    expect(splitExperiment([])).toEqual({ paths: [], comparisons: [] });
  });
});

describe('holdoutLift', () => {
  it('is the treatment rate minus the holdout rate, with the Newcombe interval', () => {
    const lift = holdoutLift({ entered: 70, converted: 56 }, { entered: 80, converted: 48 });
    expect(lift!.value).toBeCloseTo(0.2, 12);
    expectInterval(lift!.ci95, 0.0524, 0.3339);
  });

  it('reads as "no clear lift yet" when the holdout is too small to tell', () => {
    const lift = holdoutLift({ entered: 900, converted: 117 }, { entered: 100, converted: 8 });
    expect(lift!.value).toBeCloseTo(0.05, 12);
    expect(verdict(lift, { subject: 'the journey', baseline: 'the holdout' }).text).toBe(
      'no clear difference yet between the journey and the holdout: +5.0 points (95% CI −2.3 to +9.5); the interval includes 0',
    );
  });

  it('has no lift while the holdout is empty', () => {
    expect(holdoutLift({ entered: 10, converted: 2 }, { entered: 0, converted: 0 })).toBeNull();
  });
});

describe('verdict', () => {
  const labels = { subject: 'path B', baseline: 'path A' };

  it('says which side converts better only when the whole interval is on one side of 0', () => {
    expect(verdict({ value: 0.031, ci95: [0.004, 0.058] }, labels)).toEqual({ kind: 'better', text: 'path B converts better than path A: +3.1 points (95% CI +0.4 to +5.8)' });
    expect(verdict({ value: -0.031, ci95: [-0.058, -0.004] }, labels)).toEqual({ kind: 'worse', text: 'path B converts worse than path A: −3.1 points (95% CI −5.8 to −0.4)' });
    expect(verdict({ value: 0.012, ci95: [-0.008, 0.032] }, labels).kind).toBe('unclear');
    // An interval that only touches 0 still includes it.
    expect(verdict({ value: 0.02, ci95: [0, 0.04] }, labels).kind).toBe('unclear');
  });
});

describe('formatPoints', () => {
  it('gives percentage points with a sign and one decimal', () => {
    expect(formatPoints(0.031)).toBe('+3.1');
    expect(formatPoints(-0.0025)).toBe('−0.3');
    expect(formatPoints(0)).toBe('0.0');
    expect(formatPoints(-0.0001)).toBe('0.0');
  });
});
