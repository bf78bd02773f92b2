import { describe, expect, it } from 'vitest';
import { lossPolyline, PLOT_POINTS, runningMean, timeLeft } from './lossPlot.ts';

describe('lossPolyline', () => {
  it('spans the decades of the losses, falling losses going down the box', () => {
    const { points, decades } = lossPolyline([0.5, 0.05, 0.005], 100, 30);
    expect(decades.map((d) => d.label)).toEqual(['1e-3', '1e-2', '1e-1', '1e0']);
    const ys = points.split(' ').map((p) => Number(p.split(',')[1]));
    expect(ys[0]!).toBeLessThan(ys[1]!);
    expect(ys[1]!).toBeLessThan(ys[2]!);
    expect(points.startsWith('0.0,')).toBe(true);
    expect(points.split(' ').at(-1)!.startsWith('100.0,')).toBe(true);
  });

  it('thins a long run and leaves out what has no logarithm', () => {
    const losses = Array.from({ length: 5000 }, (_, i) => 1 / (i + 1));
    expect(lossPolyline(losses, 100, 30).points.split(' ').length).toBeLessThanOrEqual(PLOT_POINTS);
    expect(lossPolyline([0, Number.NaN], 100, 30).points).toBe('');
    expect(lossPolyline([0, 0.1], 100, 30).points.split(' ')).toHaveLength(1);
  });
});

describe('timeLeft', () => {
  it('says minutes and seconds at the current rate', () => {
    expect(timeLeft(100, 2500, 1.2)).toBe('33 min 20 s');
    expect(timeLeft(10, 40, 2)).toBe('15 s');
    expect(timeLeft(10, 40, 0)).toBe('');
    // A time budget says its own time left, whatever the count.
    expect(timeLeft(10, 1e8, 2, 125)).toBe('2 min 5 s');
  });
});

describe('runningMean', () => {
  it('averages the last window of losses', () => {
    expect(runningMean([4, 2, 6, 8], 2)).toEqual([4, 3, 4, 7]);
  });
});
