import * as tf from '@tensorflow/tfjs-core';

/** A disc in grid coordinates (cell centres at integer x, y). */
export interface Disc {
  x: number;
  y: number;
  radius: number;
}

/**
 * Erases (sets every channel to 0) the cells inside one disc per batch sample; `null` leaves
 * that sample alone. A cell is inside when its distance to the centre is below the radius.
 */
export function damageDisc(state: tf.Tensor4D, discs: ReadonlyArray<Disc | null>): tf.Tensor4D {
  const [b, h, w] = state.shape;
  if (discs.length !== b) {
    throw new RangeError(`damageDisc: ${discs.length} discs for a batch of ${b}`);
  }
  const keep = new Float32Array(b * h * w).fill(1);
  discs.forEach((disc, n) => {
    if (disc === null) {
      return;
    }
    const r2 = disc.radius * disc.radius;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if ((x - disc.x) ** 2 + (y - disc.y) ** 2 < r2) {
          keep[(n * h + y) * w + x] = 0;
        }
      }
    }
  });
  return tf.tidy(() => tf.mul(state, tf.tensor4d(keep, [b, h, w, 1])));
}
