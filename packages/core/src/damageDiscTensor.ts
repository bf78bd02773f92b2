import * as tf from '@tensorflow/tfjs-core';
import { eraseDisc, type Disc } from './damageDisc.ts';

/**
 * Erases (sets every channel to 0) the cells inside one disc per batch sample; `null` leaves
 * that sample alone. The tensor form of eraseDisc.
 */
export function damageDisc(state: tf.Tensor4D, discs: ReadonlyArray<Disc | null>): tf.Tensor4D {
  const [b, h, w] = state.shape;
  if (discs.length !== b) {
    throw new RangeError(`damageDisc: ${discs.length} discs for a batch of ${b}`);
  }
  const keep = new Float32Array(b * h * w).fill(1);
  discs.forEach((disc, n) => {
    if (disc !== null) {
      eraseDisc(keep.subarray(n * h * w, (n + 1) * h * w), { height: h, width: w, channels: 1 }, disc);
    }
  });
  return tf.tidy(() => tf.mul(state, tf.tensor4d(keep, [b, h, w, 1])));
}
