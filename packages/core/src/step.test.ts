import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { paramsToTensors, type CaParams } from './params.ts';
import { createParams } from './freshParams.ts';
import { createRng } from './rng.ts';
import { seedState } from './seedState.ts';
import { clampRgba, run, step } from './step.ts';
import { trainingStep } from './trainingStep.ts';
import { fireMask } from './stochasticUpdate.ts';

const C = 4;
const config = (overrides: Partial<NcaConfig> = {}): NcaConfig => ({ ...DEFAULT_CONFIG, channels: C, hidden: 2, ...overrides });

/** Params whose update is the constant `ds` in every cell: hidden = [1, 0], W2 row 0 = ds. */
function constantUpdate(ds: number[]): CaParams {
  return {
    dense1Weight: tf.zeros([3 * C, 2]),
    dense1Bias: tf.tensor1d([1, 0]),
    dense2Weight: tf.tensor2d([ds, [9, 9, 9, 9]]),
    dense2Bias: tf.zeros([C]),
  };
}

/** 5x5 grid with one mature cell at the centre holding `cell`. */
function oneCell(cell: number[]): tf.Tensor4D {
  const data = new Float32Array(5 * 5 * C);
  data.set(cell, (2 * 5 + 2) * C);
  return tf.tensor4d(data, [1, 5, 5, C]);
}

const allFire = (): tf.Tensor4D => tf.ones([1, 5, 5, 1]);
const rounded = (t: tf.Tensor): number[] => Array.from(t.dataSync(), (v) => Math.round(v * 1e5) / 1e5);

describe('step', () => {
  it('pre-and-post masking keeps only the pre-update neighbourhood', () => {
    const next = step(oneCell([0, 0, 0, 1]), constantUpdate([0.1, 0.2, 0.3, 0.4]), config(), { fire: allFire() });
    const cells = next.arraySync()[0]!;
    expect(cells[2]![2]).toEqual([0.1, 0.2, 0.3, 1.4].map((v) => expect.closeTo(v, 5)));
    expect(cells[1]![1]).toEqual([0.1, 0.2, 0.3, 0.4].map((v) => expect.closeTo(v, 5)));
    expect(cells[0]![0]).toEqual([0, 0, 0, 0]);
    expect(cells[4]![2]).toEqual([0, 0, 0, 0]);
  });

  it('post-only masking lets the whole grid come alive', () => {
    const next = step(oneCell([0, 0, 0, 1]), constantUpdate([0.1, 0.2, 0.3, 0.4]), config({ aliveMasking: 'post' }), {
      fire: allFire(),
    });
    expect(next.arraySync()[0]![0]![0]).toEqual([0.1, 0.2, 0.3, 0.4].map((v) => expect.closeTo(v, 5)));
  });

  it('a cell that is not alive after the update is zeroed in every channel', () => {
    // The update drives alpha to -1: nothing is mature afterwards.
    const next = step(oneCell([0.5, 0.5, 0.5, 1]), constantUpdate([0, 0, 0, -2]), config(), { fire: allFire() });
    expect(next.abs().max().arraySync()).toBe(0);
  });

  it('fire rate 0 changes nothing', () => {
    const state = tf.concat([tf.randomUniform([1, 5, 5, 3], -1, 1), tf.ones([1, 5, 5, 1])], 3) as tf.Tensor4D;
    const next = step(state, constantUpdate([0.1, 0.2, 0.3, 0.4]), config({ fireRate: 0 }), { rng: createRng(1) });
    expect(rounded(next)).toEqual(rounded(state));
  });

  it('each cell fires with probability fire_rate, all its channels together', () => {
    const h = 64;
    const state = tf.concat([tf.zeros([1, h, h, 3]), tf.ones([1, h, h, 1])], 3) as tf.Tensor4D;
    for (const fireRate of [0.25, 0.5, 0.75]) {
      const next = step(state, constantUpdate([1, 1, 1, 1]), config({ fireRate }), { rng: createRng(42) });
      const cells = next.reshape([h * h, C]).arraySync() as number[][];
      const fired = cells.filter((c) => c[0] === 1);
      expect(fired.every((c) => c[1] === 1 && c[2] === 1 && c[3] === 2)).toBe(true);
      expect(cells.filter((c) => c[0] === 0).every((c) => c[1] === 0 && c[2] === 0 && c[3] === 1)).toBe(true);
      // Binomial(4096, p): 4 standard deviations is under 0.03.
      expect(Math.abs(fired.length / cells.length - fireRate)).toBeLessThan(0.03);
    }
  });

  it('the same RNG seed gives the same fire mask, another seed a different one', () => {
    const a = fireMask(createRng(7), [1, 16, 16], 0.5).dataSync();
    const b = fireMask(createRng(7), [1, 16, 16], 0.5).dataSync();
    const c = fireMask(createRng(8), [1, 16, 16], 0.5).dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('clamps RGBA to [0, 1] when asked', () => {
    const params = constantUpdate([2, -2, 0.5, 2]);
    const clamped = step(oneCell([0, 0, 0, 1]), params, config({ clampRgba: true }), { fire: allFire() });
    expect(clamped.arraySync()[0]![2]![2]).toEqual([1, 0, 0.5, 1]);
    const free = step(oneCell([0, 0, 0, 1]), params, config(), { fire: allFire() });
    expect(free.arraySync()[0]![2]![2]).toEqual([2, -2, 0.5, 3]);
  });

  it('clampRgba leaves hidden channels alone', () => {
    const state = tf.tensor4d([1.5, -0.5, 0.25, 2, 7, -3], [1, 1, 1, 6]);
    expect(Array.from(clampRgba(state).dataSync())).toEqual([1, 0, 0.25, 1, 7, -3]);
  });

  it('passes the update through tanh when asked', () => {
    const params = constantUpdate([0, 0, 0, 3]);
    const next = step(oneCell([0, 0, 0, 1]), params, config({ tanh: true }), { fire: allFire() });
    expect(next.arraySync()[0]![2]![2]![3]).toBeCloseTo(1 + Math.tanh(3), 5);
  });

  it('a zero-initialised model leaves a seed unchanged for 100 steps', () => {
    const cfg: NcaConfig = { ...DEFAULT_CONFIG };
    const params = paramsToTensors(createParams(cfg, createRng(3)), cfg);
    const seed = seedState({ height: 12, width: 12, channels: cfg.channels });
    const grown = run(seed, params, cfg, 100, createRng(4));
    expect(Array.from(grown.dataSync())).toEqual(Array.from(seed.dataSync()));
  });

  it('run disposes every intermediate tensor', () => {
    const cfg: NcaConfig = { ...DEFAULT_CONFIG };
    const params = paramsToTensors(createParams(cfg, createRng(3)), cfg);
    const seed = seedState({ height: 8, width: 8, channels: cfg.channels });
    const before = tf.memory().numTensors;
    const out = run(seed, params, cfg, 20, createRng(4));
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
  });

  it('run calls its hook before each step and after the last, and takes the state it returns', () => {
    const params = constantUpdate([0, 0, 0, 0.25]);
    const seed = oneCell([0, 0, 0, 1]);
    const seen: number[] = [];
    const before = tf.memory().numTensors;
    const out = run(seed, params, config({ fireRate: 1 }), 3, createRng(1), {
      each: (state, t) => {
        seen.push(t);
        // After one step, wipe the state: nothing can grow back from zeros.
        return t === 1 ? tf.zerosLike(state) : undefined;
      },
    });
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(Array.from(out.dataSync()).every((v) => v === 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before + 1);
    out.dispose();
  });

  it('run with trainingStep equals run with step (same RNG draws)', () => {
    const cfg: NcaConfig = { ...DEFAULT_CONFIG, hidden: 16 };
    const rng = createRng(5);
    const p = createParams(cfg, rng);
    p.dense2Weight.forEach((_, i) => (p.dense2Weight[i] = (rng.next() - 0.5) * 0.2));
    const params = paramsToTensors(p, cfg);
    const seed = seedState({ height: 12, width: 12, channels: cfg.channels });
    const a = run(seed, params, cfg, 12, createRng(8));
    const b = run(seed, params, cfg, 12, createRng(8), { step: trainingStep });
    const [x, y] = [a.dataSync(), b.dataSync()];
    expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!)))).toBeLessThan(1e-5);
    expect(Math.max(...x.map(Math.abs))).toBeGreaterThan(0.01);
    tf.dispose([a, b, seed]);
  });
});

describe('gradient of one step', () => {
  it('autodiff matches central finite differences (relative error < 1e-3)', () => {
    const cfg = config({ hidden: 8, padding: 'wrap' });
    const rng = createRng(11);
    const rand = (shape: number[], lo: number, hi: number): tf.Tensor =>
      tf.tensor(
        Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next()),
        shape,
      );
    // Alpha well above the threshold everywhere, so the (constant) alive mask cannot flip.
    const state = tf.concat([rand([1, 4, 4, 3], -1, 1), rand([1, 4, 4, 1], 0.5, 1)], 3) as tf.Tensor4D;
    const w1 = rand([3 * C, 8], -0.5, 0.5);
    const b1 = rand([8], -0.1, 0.1);
    const w2 = rand([8, C], -0.5, 0.5);
    const b2 = rand([C], -0.1, 0.1);
    const fire = fireMask(createRng(5), [1, 4, 4], 0.5);
    const weights = rand([1, 4, 4, C], -1, 1);
    const loss = (s: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Scalar =>
      tf.sum(
        tf.mul(
          weights,
          step(
            s as tf.Tensor4D,
            { dense1Weight: a as tf.Tensor2D, dense1Bias: b as tf.Tensor1D, dense2Weight: c as tf.Tensor2D, dense2Bias: d as tf.Tensor1D },
            cfg,
            { fire },
          ),
        ),
      );
    const inputs = [state, w1, b1, w2, b2];
    const grads = tf.grads(loss)(inputs);
    inputs.forEach((x, i) => {
      for (let trial = 0; trial < 3; trial++) {
        // Mostly along the gradient, so the directional derivative is large and float32
        // round-off in the loss cannot dominate; the random part checks the other directions too.
        const noise = rand(x.shape, -1, 1);
        const direction = tf.add(tf.div(grads[i]!, tf.norm(grads[i]!)), tf.mul(tf.div(noise, tf.norm(noise)), 0.5));
        const eps = 3e-3;
        const shifted = (sign: number): number => {
          const args = inputs.map((y, j) => (j === i ? tf.add(y, tf.mul(direction, sign * eps)) : y));
          return loss(args[0]!, args[1]!, args[2]!, args[3]!, args[4]!).arraySync() as number;
        };
        const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
        const analytic = tf.sum(tf.mul(grads[i]!, direction)).arraySync() as number;
        expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-3);
      }
    });
  });
});
