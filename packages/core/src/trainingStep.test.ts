import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { trainingStep } from './trainingStep.ts';
import type { CaParams } from './params.ts';
import { createRng } from './rng.ts';
import { step } from './step.ts';
import { fireMask } from './stochasticUpdate.ts';

const C = 6;
const H = 6;

function setup(seed: number) {
  const rng = createRng(seed);
  const rand = (shape: number[], lo: number, hi: number): tf.Tensor =>
    tf.tensor(
      Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.next()),
      shape,
    );
  // Alpha spread over [-0.2, 1.2] so that some cells are dead, some mature, some clamped.
  const state = tf.concat([rand([2, H, H, 3], -0.5, 1.5), rand([2, H, H, 1], -0.2, 1.2), rand([2, H, H, C - 4], -1, 1)], 3) as tf.Tensor4D;
  const params: CaParams = {
    dense1Weight: rand([3 * C, 10], -0.5, 0.5) as tf.Tensor2D,
    dense1Bias: rand([10], -0.1, 0.1) as tf.Tensor1D,
    dense2Weight: rand([10, C], -0.5, 0.5) as tf.Tensor2D,
    dense2Bias: rand([C], -0.1, 0.1) as tf.Tensor1D,
  };
  const fire = fireMask(rng, [2, H, H], 0.5);
  const weights = rand([2, H, H, C], -1, 1);
  return { state, params, fire, weights };
}

const configs: Array<[string, Partial<NcaConfig>]> = [
  ['default (zero padding, pre+post masks)', {}],
  ['wrap, rotated', { padding: 'wrap', angle: 0.7 }],
  ['notebook (reflect, tanh, post mask, clamp)', { padding: 'reflect', sobelScale: 1, tanh: true, aliveThreshold: 0, aliveMasking: 'post', clampRgba: true }],
];

describe('trainingStep', () => {
  it.each(configs)('%s: same value as step', (_, overrides) => {
    const config: NcaConfig = { ...DEFAULT_CONFIG, channels: C, hidden: 10, ...overrides };
    const { state, params, fire } = setup(1);
    const diff = tf.max(tf.abs(tf.sub(trainingStep(state, params, config, fire), step(state, params, config, { fire })))).arraySync() as number;
    expect(diff).toBeLessThan(1e-6);
  });

  it.each(configs)('%s: same gradients as autodiff of step over 3 steps', (_, overrides) => {
    const config: NcaConfig = { ...DEFAULT_CONFIG, channels: C, hidden: 10, ...overrides };
    const { state, params, fire, weights } = setup(2);
    const loss =
      (run: typeof trainingStep) =>
      (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor): tf.Scalar => {
        const p: CaParams = { dense1Weight: a as tf.Tensor2D, dense1Bias: b as tf.Tensor1D, dense2Weight: c as tf.Tensor2D, dense2Bias: d as tf.Tensor1D };
        let s = x as tf.Tensor4D;
        for (let i = 0; i < 3; i++) {
          s = run(s, p, config, fire);
        }
        return tf.sum(tf.mul(tf.square(s), weights));
      };
    const inputs = [state, params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias];
    const fast = tf.grads(loss(trainingStep))(inputs);
    const reference = tf.grads(loss((s, p, cfg, f) => step(s, p, cfg, { fire: f })))(inputs);
    reference.forEach((ref, i) => {
      const norm = tf.norm(ref).arraySync() as number;
      expect(norm).toBeGreaterThan(0);
      const rel = (tf.norm(tf.sub(fast[i]!, ref)).arraySync() as number) / norm;
      expect(rel).toBeLessThan(1e-3);
    });
  });

  it('keeps few tensors per step on the tape', () => {
    const config: NcaConfig = { ...DEFAULT_CONFIG, channels: C, hidden: 10 };
    const { state, params, fire } = setup(3);
    const vars = [params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias].map((t) => tf.variable(t));
    const p: CaParams = {
      dense1Weight: vars[0] as tf.Variable<tf.Rank.R2>,
      dense1Bias: vars[1] as tf.Variable<tf.Rank.R1>,
      dense2Weight: vars[2] as tf.Variable<tf.Rank.R2>,
      dense2Bias: vars[3] as tf.Variable<tf.Rank.R1>,
    };
    const measure = (run: (s: tf.Tensor4D) => tf.Tensor4D): number => {
      let peak = 0;
      const { value, grads } = tf.variableGrads(() => {
        let s = state;
        for (let i = 0; i < 10; i++) {
          s = run(s);
        }
        peak = tf.memory().numBytes;
        return tf.sum(s);
      }, vars);
      tf.dispose([value, ...Object.values(grads)]);
      return peak;
    };
    const base = tf.memory().numBytes;
    const fastPeak = measure((s) => trainingStep(s, p, config, fire)) - base;
    const plainPeak = measure((s) => step(s, p, config, { fire })) - base;
    expect(fastPeak).toBeLessThan(plainPeak / 4);
  });
});
