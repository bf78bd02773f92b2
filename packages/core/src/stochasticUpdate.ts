import * as tf from '@tensorflow/tfjs-core';
import { drawFire } from './fireDraw.ts';
import type { Rng } from './rng.ts';

/** docs/design.md §3.3: one draw per cell, shared by all its channels: [B, H, W, 1], 1 where the cell fires. */
export function fireMask(rng: Rng, shape: readonly [number, number, number], fireRate: number): tf.Tensor4D {
  const [b, h, w] = shape;
  return tf.tensor4d(Float32Array.from(drawFire(rng, b * h * w, fireRate)), [b, h, w, 1]);
}

/** Adds `ds` to the cells that fire, leaves the others unchanged. */
export function stochasticUpdate(state: tf.Tensor4D, ds: tf.Tensor4D, fire: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(state, tf.mul(ds, fire)));
}
