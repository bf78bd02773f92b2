import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { Adam, normalizeGradient } from './adam.ts';

const random = (n: number, seed: number, scale = 1): Float32Array => {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
};

/** Adam as tfjs ops, one rounding to float32 per op: the reference the array version replaced. */
function tfjsAdamStep(x: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, t: number, lr: number): void {
  const stepSize = (lr * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
  tf.tidy(() => {
    m.assign(tf.add(tf.mul(m, 0.9), tf.mul(g, 1 - 0.9)));
    v.assign(tf.add(tf.mul(v, 0.999), tf.mul(tf.square(g), 1 - 0.999)));
    x.assign(tf.sub(x, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), 1e-7))));
  });
}

describe('Adam on arrays', () => {
  it('gives the bits of the tfjs ops it replaced, step after step', () => {
    const n = 257;
    const start = random(n, 1);
    const x = tf.variable(tf.tensor1d(start));
    const m = tf.variable(tf.zeros([n]));
    const v = tf.variable(tf.zeros([n]));
    const params = [start.slice()];
    const adam = new Adam([n]);
    for (let t = 1; t <= 20; t++) {
      const g = random(n, 100 + t, t % 3 === 0 ? 1e-3 : 2);
      const lr = t > 10 ? 2e-4 : 2e-3;
      tf.tidy(() => tfjsAdamStep(x, m, v, tf.tensor1d(g), t, lr));
      adam.apply(params, [g], lr);
    }
    expect(Array.from(params[0]!)).toEqual(Array.from(x.dataSync()));
    expect(Array.from(adam.getState().m[0]!)).toEqual(Array.from(m.dataSync()));
    expect(Array.from(adam.getState().v[0]!)).toEqual(Array.from(v.dataSync()));
    expect(adam.getState().t).toBe(20);
    tf.dispose([x, m, v]);
  });

  it('continues exactly from a saved state', () => {
    const grads = Array.from({ length: 6 }, (_, k) => random(33, 7 + k));
    const straight = new Adam([33]);
    const a = [random(33, 2)];
    grads.forEach((g) => straight.apply(a, [g], 1e-3));
    const first = new Adam([33]);
    const b = [random(33, 2)];
    grads.slice(0, 3).forEach((g) => first.apply(b, [g], 1e-3));
    const second = new Adam([33]);
    second.setState(first.getState());
    grads.slice(3).forEach((g) => second.apply(b, [g], 1e-3));
    expect(Array.from(b[0]!)).toEqual(Array.from(a[0]!));
  });

  it('normalizeGradient divides by the L2 norm (+1e-8), in place', () => {
    const g = random(1000, 5, 3);
    const expected = tf.tidy(() => tf.div(tf.tensor1d(g), tf.add(tf.norm(tf.tensor1d(g)), 1e-8)).dataSync());
    normalizeGradient(g);
    g.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
    expect(Math.hypot(...g)).toBeCloseTo(1, 5);
    const zero = new Float32Array(4);
    normalizeGradient(zero);
    expect(Array.from(zero)).toEqual([0, 0, 0, 0]);
  });
});
