import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng.ts';

/**
 * SPEC §3.3: one draw per cell, shared by all its channels: 1 where the cell fires.
 * Drawn from our own RNG (not tf.random) so runs repeat exactly on every backend.
 */
export function fireMask(rng: Rng, shape: readonly [number, number, number], fireRate: number): tf.Tensor4D {
  const [b, h, w] = shape;
  const mask = new Float32Array(b * h * w);
  if (fireRate >= 1) {
    mask.fill(1);
  } else if (fireRate > 0) {
    for (let i = 0; i < mask.length; i++) {
      mask[i] = rng.next() < fireRate ? 1 : 0;
    }
  }
  return tf.tensor4d(mask, [b, h, w, 1]);
}

/** Adds `ds` to the cells that fire, leaves the others unchanged. */
export function stochasticUpdate(state: tf.Tensor4D, ds: tf.Tensor4D, fire: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(state, tf.mul(ds, fire)));
}
