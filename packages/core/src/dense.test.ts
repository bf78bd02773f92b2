import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { dense } from './dense.ts';

const plain = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);

describe('dense', () => {
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
  const r = tf.randomNormal([7, 3], 0, 1, 'float32', 4);

  it('has the value of matMul + bias', () => {
    expect(tf.max(tf.abs(tf.sub(dense(x, w, b), plain(x, w, b)))).arraySync()).toBeLessThan(1e-6);
  });

  it('has the gradients autodiff gives the plain version', () => {
    const loss =
      (f: typeof plain) =>
      (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(tf.square(f(xx, ww, bb)), r));
    const fast = tf.grads(loss((a, c, d) => dense(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D)))([x, w, b]);
    const reference = tf.grads(loss(plain))([x, w, b]);
    fast.forEach((g, i) => {
      const ref = reference[i]!;
      expect(g.shape).toEqual(ref.shape);
      const rel = (tf.norm(tf.sub(g, ref)).arraySync() as number) / (tf.norm(ref).arraySync() as number);
      expect(rel).toBeLessThan(1e-5);
    });
  });
});
