import { describe, expect, it } from 'vitest';
import { CHECK_EVERY_STEPS, createGrowthWatch, GROWN_IOU, readPattern } from './growthWatch.ts';

const at = (steps: number, iou: number | null, alive = 100) => ({ steps, iou, alive });

describe('growthWatch', () => {
  it('says grown once the IoU reaches the goal, and reads nothing more while the pattern holds', () => {
    const watch = createGrowthWatch();
    expect(watch.wants(0)).toBe(true);
    expect(watch.observe(at(16, 0.2))).toBeNull();
    expect(watch.wants(20)).toBe(false);
    expect(watch.wants(16 + CHECK_EVERY_STEPS)).toBe(true);
    expect(watch.observe(at(32, GROWN_IOU))).toEqual({ kind: 'grown', reading: at(32, GROWN_IOU) });
    expect(watch.wants(1000)).toBe(false);
  });

  it('takes a pattern that settles below the goal (IoU >= 0.5) as grown, not one still far off', () => {
    const watch = createGrowthWatch();
    expect(watch.observe(at(16, 0.3))).toBeNull();
    expect(watch.observe(at(32, 0.305))).toBeNull();
    expect(watch.observe(at(48, 0.7))).toBeNull();
    expect(watch.observe(at(64, 0.705))?.kind).toBe('grown');
  });

  it('after a cut, says regrown when the IoU is back near its grown value, with the steps it took', () => {
    const watch = createGrowthWatch();
    watch.observe(at(96, 0.9));
    expect(watch.cut(100)).toBe(true);
    // The rest of the brush stroke: the same cut.
    expect(watch.cut(101)).toBe(false);
    expect(watch.wants(100)).toBe(true);
    expect(watch.observe(at(116, 0.6))).toBeNull();
    expect(watch.observe(at(132, 0.87))).toBeNull();
    expect(watch.observe(at(148, 0.885))).toEqual({ kind: 'regrown', reading: at(148, 0.885), stepsSinceCut: 48 });
  });

  it('a cut while still growing is not healing: the next change is grown', () => {
    const watch = createGrowthWatch();
    watch.cut(10);
    expect(watch.observe(at(30, 0.85))?.kind).toBe('grown');
  });

  it('without a target: grown when the living cells stop changing, and a restart watches again', () => {
    const watch = createGrowthWatch();
    expect(watch.observe(at(16, null, 0))).toBeNull();
    expect(watch.observe(at(32, null, 300))).toBeNull();
    expect(watch.observe(at(48, null, 302))?.kind).toBe('grown');
    watch.restart();
    expect(watch.wants(0)).toBe(true);
    expect(watch.observe(at(16, null, 302))).toBeNull();
  });

  it('reads the IoU as nca eval does, and none against a target of another grid', () => {
    // 2x2 grid of 4 channels: alpha 1 in cells 0 and 1; the target's alpha in cells 1 and 2.
    const state = Float32Array.from([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const target = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 0]);
    expect(readPattern(state, 4, 7, target)).toEqual({ steps: 7, iou: 1 / 3, alive: 2 });
    expect(readPattern(state, 4, 7, new Uint8Array(4))).toEqual({ steps: 7, iou: null, alive: 2 });
  });
});
