import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { batchGradient } from '../training/batchGradient.ts';
import type { GradientTask } from '../training/gradientTask.ts';
import { createParams } from '../freshParams.ts';
import { createRng } from '../rng.ts';
import { drawFire } from '../fireDraw.ts';
import { bestVariant, RolloutKernel, RolloutKernelError, kernelBatchGradient, type RolloutVariant } from './rolloutKernel.ts';

/**
 * A batch of random states (alpha spread so that cells are dead, alive and clamped), random
 * weights with a non-zero output layer, a random target and the overflow penalty on.
 */
function task(config: NcaConfig, count: number, steps: number, seed: number): GradientTask {
  const rng = createRng(seed);
  const params = createParams(config, rng);
  params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.4));
  params.dense1Bias.forEach((_, i) => (params.dense1Bias[i] = (rng.next() - 0.5) * 0.2));
  params.dense2Bias.forEach((_, i) => (params.dense2Bias[i] = (rng.next() - 0.5) * 0.1));
  const cells = config.gridWidth * config.gridHeight;
  const states = new Float32Array(count * cells * config.channels).map((_, i) => {
    const channel = i % config.channels;
    const cell = Math.floor(i / config.channels) % cells;
    // A living band in the middle columns, dead elsewhere, so cells are born and die.
    const x = cell % config.gridWidth;
    const inBand = x >= 2 && x < config.gridWidth - 3;
    if (!inBand) {
      return 0;
    }
    return channel === 3 ? rng.next() * 1.4 - 0.2 : rng.next() * 2.4 - 1.2;
  });
  return {
    config,
    params,
    states,
    count,
    steps,
    fire: drawFire(rng, steps * count * cells, config.fireRate),
    target: new Float32Array(cells * 4).map(() => rng.next()),
    batch: count + 1,
    overflowWeight: 0.5,
    outsideWeight: 0,
    detailWeight: 0.5,
  };
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  a.forEach((v, i) => (max = Math.max(max, Number.isNaN(v - b[i]!) ? Infinity : Math.abs(v - b[i]!))));
  return max;
}

function relative(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  b.forEach((v, i) => {
    diff += (a[i]! - v) ** 2;
    norm += v * v;
  });
  expect(norm).toBeGreaterThan(0);
  return Math.sqrt(diff / norm);
}

const base: NcaConfig = { ...DEFAULT_CONFIG, channels: 6, hidden: 10, gridWidth: 11, gridHeight: 9 };
const configs: Array<[string, Partial<NcaConfig>]> = [
  ['default (zero padding, pre+post masks)', {}],
  ['wrap, rotated, hidden a multiple of 8', { padding: 'wrap', angle: 0.7, hidden: 16, channels: 8 }],
  [
    'notebook (reflect, tanh, post mask, clamp, threshold 0)',
    { padding: 'reflect', sobelScale: 1, tanh: true, aliveThreshold: 0, aliveMasking: 'post', clampRgba: true },
  ],
  ['fire rate 1, 4 channels', { fireRate: 1, channels: 4, hidden: 3 }],
];

describe('RolloutKernel', () => {
  it('runs its fused multiply-add build where relaxed SIMD validates (these tests turn it on)', () => {
    expect(bestVariant()).toBe('relaxed-simd');
  });

  const variants: RolloutVariant[] = ['simd', 'relaxed-simd'];
  it.each(configs.flatMap(([name, overrides]) => variants.map((v) => [`${name}, ${v}`, overrides, v] as const)))(
    '%s: final states, losses and gradients equal batchGradient (tfjs)',
    async (_, overrides, variant) => {
      const config = { ...base, ...overrides };
      const t = task(config, 2, 6, 11);
      const reference = await batchGradient(t);
      const kernel = await RolloutKernel.load(variant);
      expect(kernel.variant).toBe(variant);
      // Both ways of the backward pass: with the forward pass's hidden layer kept, and recomputed.
      for (const storeHidden of [true, false]) {
        const result = kernel.gradient(t, { storeHidden });
        expect(maxAbs(result.final, reference.final)).toBeLessThan(1e-4);
        expect(maxAbs(result.losses, reference.losses)).toBeLessThan(1e-5);
        reference.grads.forEach((g, i) => expect(relative(result.grads[i]!, g), `gradient ${i}, storeHidden ${storeHidden}`).toBeLessThan(1e-3));
      }
      // Not a trivial case: the pattern moved and some cells are dead at the end.
      expect(maxAbs(reference.final, t.states.subarray(0, reference.final.length))).toBeGreaterThan(0.05);
    },
  );

  it('counts the cell-steps it computes: a still seed with every cell firing runs the 9 cells around it', async () => {
    const kernel = await RolloutKernel.load();
    const config: NcaConfig = { ...DEFAULT_CONFIG, channels: 8, hidden: 8, gridWidth: 9, gridHeight: 7, fireRate: 1 };
    const zero = {
      dense1Weight: new Float32Array(24 * 8),
      dense1Bias: new Float32Array(8),
      dense2Weight: new Float32Array(64),
      dense2Bias: new Float32Array(8),
    };
    const seed = new Float32Array(2 * 63 * 8);
    for (const n of [0, 1]) {
      seed.fill(1, (n * 63 + 3 * 9 + 4) * 8 + 3, (n * 63 + 3 * 9 + 4) * 8 + 8);
    }
    const result = kernel.gradient({
      config,
      params: zero,
      states: seed,
      count: 2,
      steps: 5,
      fire: new Uint8Array(5 * 2 * 63).fill(1),
      target: new Float32Array(63 * 4),
      batch: 2,
      overflowWeight: 0,
      outsideWeight: 0,
      detailWeight: 0.5,
    });
    expect(result.activeCellSteps).toBe(9 * 5 * 2);
  });

  it('gives the same bits on the same task, run twice on one instance and on a fresh one', async () => {
    const t = task(base, 3, 5, 12);
    const kernel = await RolloutKernel.load();
    const a = kernel.gradient(t);
    kernel.gradient(task({ ...base, gridWidth: 20 }, 1, 3, 1)); // another shape in between
    const b = kernel.gradient(t);
    const c = (await RolloutKernel.load()).gradient(t);
    for (const other of [b, c]) {
      expect(other.final).toEqual(a.final);
      other.grads.forEach((g, i) => expect(g).toEqual(a.grads[i]));
    }
  });

  it('shards add up: the gradient of a batch is the sum of its halves', async () => {
    const t = task(base, 4, 5, 13);
    const cells = base.gridWidth * base.gridHeight;
    const half = (lo: number, hi: number): GradientTask => {
      const fire = new Uint8Array(t.steps * (hi - lo) * cells);
      for (let s = 0; s < t.steps; s++) {
        fire.set(t.fire.subarray((s * t.count + lo) * cells, (s * t.count + hi) * cells), s * (hi - lo) * cells);
      }
      return { ...t, count: hi - lo, states: t.states.slice(lo * cells * base.channels, hi * cells * base.channels), fire };
    };
    const [whole, a, b] = [await kernelBatchGradient(t), await kernelBatchGradient(half(0, 1)), await kernelBatchGradient(half(1, 4))];
    whole.grads.forEach((g, i) =>
      expect(
        relative(
          a.grads[i]!.map((v, j) => v + b.grads[i]![j]!),
          g,
        ),
      ).toBeLessThan(1e-5),
    );
    expect(Array.from(whole.losses)).toEqual([...a.losses, ...b.losses]);
  });

  it('lets a blow-up show: huge weights give a non-finite loss, as the reference does', async () => {
    const t = task(base, 1, 6, 14);
    t.params.dense2Weight.fill(1e30);
    const result = await kernelBatchGradient(t);
    expect(Number.isFinite(result.losses[0]!)).toBe(false);
  });

  it('refuses a rollout that wasm32 cannot address, before allocating it', async () => {
    const huge = task({ ...base, gridWidth: 8, gridHeight: 8 }, 1, 1, 15);
    const big: GradientTask = { ...huge, config: { ...huge.config, gridWidth: 2048, gridHeight: 2048, channels: 64 }, steps: 96 };
    await expect(kernelBatchGradient(big)).rejects.toThrow(RolloutKernelError);
    await expect(kernelBatchGradient(big)).rejects.toMatchObject({ code: 'KERNEL_MEMORY' });
  });
});
