import { describe, expect, it } from 'vitest';
import { detailError, judgedEarly, judgeModel, type EvalReport } from './evaluation.ts';

describe('detailError', () => {
  it('judges interior detail: 0 for the picture itself, 1 for a flat blob, none for a flat target; the silhouette edge is left out', () => {
    // A 6x6 target: an opaque 4x4 square whose left half is red and right half blue, a ring of empty cells around it.
    const width = 6;
    const target = new Uint8Array(width * width * 4);
    const channels = 5;
    const states = new Float32Array(width * width * channels);
    const blob = new Float32Array(width * width * channels);
    for (let y = 1; y < 5; y++) {
      for (let x = 1; x < 5; x++) {
        const cell = y * width + x;
        const red = x < 3;
        target.set([red ? 255 : 0, 0, red ? 0 : 255, 255], cell * 4);
        states.set([red ? 1 : 0, 0, red ? 0 : 1, 1, 0.3], cell * channels);
        blob.set([0.5, 0, 0.5, 1, 0], cell * channels);
      }
    }
    expect(detailError(states, target, 1, channels, width)).toBe(0);
    expect(detailError(blob, target, 1, channels, width)).toBeCloseTo(1, 12);
    // Values beyond [0, 1] are judged as shown: clipped.
    const bright = states.map((v, i) => (i % channels === 0 && v === 1 ? 3 : v));
    expect(detailError(bright, target, 1, channels, width)).toBe(0);
    // Two seeds, one right and one flat: the mean.
    expect(detailError(Float32Array.from([...states, ...blob]), target, 2, channels, width)).toBeCloseTo(0.5, 12);
    // Growth outside the target does not count here (the haze is counted apart).
    const hazy = states.slice();
    hazy.set([1, 1, 1, 1, 0], 0);
    expect(detailError(hazy, target, 1, channels, width)).toBe(0);
    // One colour inside: no detail to judge.
    const flat = target.map((v, i) => (target[i - (i % 4) + 3]! > 0 ? 255 : v));
    expect(detailError(states, flat, 1, channels, width)).toBeNull();
  });
});

describe('judgeModel', () => {
  const report = (over: Partial<EvalReport>): EvalReport => ({
    seeds: 8,
    steps: { min: 64, max: 96 },
    gridWidth: 56,
    gridHeight: 56,
    growth: 2e-3,
    persistence: 3e-3,
    persistenceSteps: 1000,
    regrowth: 2.4e-3,
    regrowthOffCentre: 2.2e-3,
    growthIou: 0.9,
    growthSplit: { inside: 1e-3, edge: 5e-4, outside: 5e-4, grownOnly: 20, targetOnly: 10 },
    targetCells: 1000,
    grownCells: 1010,
    detail: 0.4,
    damageRadius: 14,
    ratio: 1.2,
    diverged: false,
    ...over,
  });

  it('passes a model that meets every goal', () => {
    expect(judgeModel(report({}), { damaged: true })).toEqual({ status: 'grows', problems: [] });
  });

  it('fails a seed that dies, one that grows into something else, and a blow-up, saying what to try', () => {
    const dies = judgeModel(report({ grownCells: 0, growthIou: 0 }), { damaged: true });
    expect(dies.status).toBe('failed');
    expect(dies.problems[0]).toMatch(/^the seed does not grow: after 96 steps 0 cells live where the picture has 1000; train longer/);
    const elsewhere = judgeModel(report({ growthIou: 0.3 }), { damaged: true });
    expect(elsewhere.status).toBe('failed');
    expect(elsewhere.problems[0]).toMatch(/^the seed grows into something else: IoU 0\.30/);
    expect(judgeModel(report({ diverged: true }), { damaged: true }).status).toBe('failed');
    // A picture that fills its grid: more room and the outside penalty, not more time.
    const filled = judgeModel(report({ grownCells: 0, growthIou: 0, targetCells: 1296 }), { damaged: true });
    expect(filled.problems[0]).toMatch(
      /cells live where the picture has 1296; the picture fills 41% of its grid: train again with more room and the outside penalty \(--padding 16 --outside-weight 10\)$/,
    );
    expect(judgeModel(report({ growthIou: 0.3, targetCells: 1296 }), { damaged: true }).problems[0]).toMatch(/--padding 16 --outside-weight 10/);
    // The same after a short run: said, not called a failure.
    const early = judgeModel(report({ grownCells: 0, growthIou: 0 }), { damaged: true, early: true });
    expect(early.status).toBe('early');
    expect(early.problems[0]).toMatch(/^a short run, not judged a failure: the seed does not grow/);
    expect(judgeModel(report({}), { damaged: true, early: true }).status).toBe('grows');
  });

  it('calls a run early under a quarter of its preset: its time for a preset by time, its iterations for one by count', () => {
    expect(judgedEarly({ plan: { preset: 'cpu' }, iteration: 5000, seconds: 7 * 60 })).toBe(true);
    expect(judgedEarly({ plan: { preset: 'cpu' }, iteration: 500, seconds: 8 * 60 })).toBe(false);
    expect(judgedEarly({ plan: { preset: 'quick' }, iteration: 199, seconds: 9999 })).toBe(true);
    expect(judgedEarly({ plan: { preset: 'quick' }, iteration: 200, seconds: 1 })).toBe(false);
  });

  it('names each goal a growing model misses; regrowth only where it was trained to regrow', () => {
    const short = judgeModel(
      report({ growthIou: 0.8, growth: 8e-3, persistence: 2e-2, ratio: 2, growthSplit: { ...report({}).growthSplit, grownOnly: 150 } }),
      {
        damaged: true,
      },
    );
    expect(short.status).toBe('short');
    expect(short.problems.map((p) => p.split(' (')[0]!.split(':')[0])).toEqual([
      'growth IoU 0.80',
      'growth MSE 8.0e-3',
      'a haze of 150 living cells outside the picture',
      'regrowth 2.00x growth',
      'after 1000 steps 2.5x the growth error',
    ]);
    expect(judgeModel(report({ ratio: 2 }), { damaged: false }).status).toBe('grows');
  });
});
