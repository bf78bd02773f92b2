import type { GradientTask } from '@nca-studio/core/training';
import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends/backend.ts';
import { GradientWorkers } from './gradientWorkers.ts';
import { gradientTask, relativeError } from '../testing/gradientTask.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, hidden: 24, gridWidth: 12, gridHeight: 10 };
let workers: GradientWorkers;

beforeAll(async () => {
  await selectBackend('wasm');
  workers = await GradientWorkers.start(2, 'wasm', 'kernel');
});
afterAll(async () => {
  await workers.stop();
});

const task = (): GradientTask => gradientTask(config, 5, 6);

describe('GradientWorkers', () => {
  it('two workers give the single-thread gradient, losses and final states (up to float rounding)', async () => {
    expect(workers.size).toBe(2);
    expect(workers.route).toBe('kernel');
    // The kernel route's threads load no tfjs at all.
    expect(workers.tfjsLoaded).toEqual([false, false]);
    const one = await (await GradientWorkers.inline('kernel')).gradient(task());
    const two = await workers.gradient(task());
    one.grads.forEach((g, i) => {
      expect(g.some((v) => v !== 0)).toBe(true);
      expect(relativeError(two.grads[i]!, g)).toBeLessThan(1e-5);
    });
    Array.from(one.losses).forEach((l, n) => expect(two.losses[n]).toBeCloseTo(l, 6));
    let maxDiff = 0;
    one.final.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - two.final[j]!))));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it('the overflow penalty steers the gradient, not the reported losses, and splits over workers', async () => {
    // A seed of 3s instead of 1s: every live value starts beyond [-1, 1].
    const overflowing = (weight: number): GradientTask => {
      const t = gradientTask(config, 5, 6, 4, weight);
      return { ...t, states: t.states.map((v) => v * 3) };
    };
    const plain = await (await GradientWorkers.inline('kernel')).gradient(overflowing(0));
    const penalised = await (await GradientWorkers.inline('kernel')).gradient(overflowing(10));
    const split = await workers.gradient(overflowing(10));
    expect(Array.from(penalised.losses)).toEqual(Array.from(plain.losses));
    penalised.grads.forEach((g, i) => {
      expect(relativeError(g, plain.grads[i]!)).toBeGreaterThan(1e-2);
      expect(relativeError(split.grads[i]!, g)).toBeLessThan(1e-5);
    });
  });

  it("the wasm kernel route gives tfjs's gradient (core's reference), on workers and inline", async () => {
    const reference = await (await GradientWorkers.inline('tfjs')).gradient(task());
    for (const result of [await workers.gradient(task()), await (await GradientWorkers.inline('kernel')).gradient(task())]) {
      reference.grads.forEach((g, i) => expect(relativeError(result.grads[i]!, g)).toBeLessThan(1e-3));
      Array.from(reference.losses).forEach((l, n) => expect(result.losses[n]).toBeCloseTo(l, 5));
    }
  });

  it("counts each worker's busy time within the gradients' wall time", async () => {
    const fresh = await GradientWorkers.start(2, 'wasm', 'kernel');
    try {
      expect(fresh.load()).toEqual({ gradientSeconds: 0, busy: [0, 0], activeCellSteps: null });
      await fresh.gradient(task());
      const load = fresh.load();
      expect(load.gradientSeconds).toBeGreaterThan(0);
      expect(load.busy).toHaveLength(2);
      load.busy.forEach((f) => {
        expect(f).toBeGreaterThan(0);
        expect(f).toBeLessThanOrEqual(1);
      });
    } finally {
      await fresh.stop();
    }
    const inline = await GradientWorkers.inline('kernel');
    await inline.gradient(task());
    expect(inline.load().busy).toEqual([]);
    expect(inline.load().gradientSeconds).toBeGreaterThan(0);
  });

  it('tfjs route workers run the tfjs gradient', async () => {
    const tfjs = await GradientWorkers.start(2, 'wasm', 'tfjs');
    try {
      expect(tfjs.route).toBe('tfjs');
      expect(tfjs.tfjsLoaded).toEqual([true, true]);
      const [split, inline] = [await tfjs.gradient(task()), await (await GradientWorkers.inline('tfjs')).gradient(task())];
      inline.grads.forEach((g, i) => expect(relativeError(split.grads[i]!, g)).toBeLessThan(1e-5));
    } finally {
      await tfjs.stop();
    }
  });
});
