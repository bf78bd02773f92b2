import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng.ts';

/**
 * SPEC §3.3's fire draws for `count` cells, one byte each (1: the cell fires), in cell order.
 * Every fire mask of the project is drawn here, from our own RNG (not tf.random), so a run
 * repeats exactly on every backend, and training on any number of workers, or a viewer checked
 * against core, consumes the RNG identically.
 */
export function drawFire(rng: Rng, count: number, fireRate: number): Uint8Array {
  const fire = new Uint8Array(count);
  if (fireRate >= 1) {
    fire.fill(1);
  } else if (fireRate > 0) {
    rng.bernoulli(fire, fireRate);
  }
  return fire;
}

/** SPEC §3.3: one draw per cell, shared by all its channels: [B, H, W, 1], 1 where the cell fires. */
export function fireMask(rng: Rng, shape: readonly [number, number, number], fireRate: number): tf.Tensor4D {
  const [b, h, w] = shape;
  return tf.tensor4d(Float32Array.from(drawFire(rng, b * h * w, fireRate)), [b, h, w, 1]);
}

/** Adds `ds` to the cells that fire, leaves the others unchanged. */
export function stochasticUpdate(state: tf.Tensor4D, ds: tf.Tensor4D, fire: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.add(state, tf.mul(ds, fire)));
}
