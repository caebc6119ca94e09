import { describe, expect, it } from 'vitest';
import { benchEngine, spreadOf } from '../../bench/engine-throughput';

describe('spreadOf', () => {
  it('gives the median and quartiles by linear interpolation (R type 7, numpy default)', () => {
    // numpy.percentile([1, 2, 3, 4, 10], [25, 50, 75]) = [2, 3, 4]; of [1, 2, 3, 4]: [1.75, 2.5, 3.25]
    expect(spreadOf([10, 1, 3, 2, 4])).toEqual({ median: 3, q1: 2, q3: 4, min: 1, max: 10 });
    expect(spreadOf([4, 3, 2, 1])).toEqual({ median: 2.5, q1: 1.75, q3: 3.25, min: 1, max: 4 });
    expect(spreadOf([7])).toEqual({ median: 7, q1: 7, q3: 7, min: 7, max: 7 });
  });

  it('refuses an empty sample', () => {
    expect(() => spreadOf([])).toThrow(RangeError);
  });
});

describe('benchEngine', () => {
  it('pairs engine and XState runs in alternating order, checks their outcomes and reports the median ratios on CPU and wall time', () => {
    // Prepare / Act: a tiny workload, so the test is about the method, not the speed
    const result = benchEngine(300, 4, 1);

    // Assess
    expect(result.sameOutcomes).toBe(true);
    expect(result.rounds.map((round) => round.first)).toEqual(['engine', 'xstate', 'engine', 'xstate']);
    for (const round of result.rounds) {
      expect(round.ratio).toBeCloseTo(round.engine.inputsPerCpuSecond / round.xstate.inputsPerCpuSecond, 10);
      expect(round.wallRatio).toBeCloseTo(round.engine.inputsPerSecond / round.xstate.inputsPerSecond, 10);
    }
    expect(result.ratio).toBe(spreadOf(result.rounds.map((round) => round.ratio)).median);
    expect(result.wallRatio).toBe(spreadOf(result.rounds.map((round) => round.wallRatio)).median);
    expect(result.ratioSpread.min).toBeLessThanOrEqual(result.ratio);
    expect(result.ratioSpread.max).toBeGreaterThanOrEqual(result.ratio);
    expect(result.machine.cores).toBeGreaterThan(0);
    expect(result.machine.cpu).not.toBe('');
    expect(result.machine.node).toBe(process.version);
  });
});
