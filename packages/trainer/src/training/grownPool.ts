import { createRng } from '@nca-studio/core';

/**
 * A pool of grown patterns: in every sample, the target's premultiplied RGBA where it is
 * visible and random hidden channels in [-0.5, 0.5) there, empty elsewhere: the work of a
 * pool in mid-training, without training a model first.
 */
export function grownPool(target: Float32Array, size: number, channels: number, seed: number): Float32Array {
  const rng = createRng(seed + 7919);
  const cells = target.length / 4;
  const pool = new Float32Array(size * cells * channels);
  for (let n = 0; n < size; n++) {
    for (let cell = 0; cell < cells; cell++) {
      if (target[cell * 4 + 3]! <= 0) {
        continue;
      }
      const at = (n * cells + cell) * channels;
      pool.set(target.subarray(cell * 4, cell * 4 + 4), at);
      for (let ch = 4; ch < channels; ch++) {
        pool[at + ch] = rng.next() - 0.5;
      }
    }
  }
  return pool;
}
