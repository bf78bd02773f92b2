import * as tf from '@tensorflow/tfjs-core';
import { seedArray, type GridShape } from './seed.ts';

/**
 * docs/design.md §3.5: all zeros except one cell (the centre by default) whose channels 3..C-1 are 1.
 * Returns [batch, H, W, C].
 */
export function seedState(grid: GridShape, batch = 1, at?: { x: number; y: number }): tf.Tensor4D {
  return tf.tensor4d(seedArray(grid, batch, at), [batch, grid.height, grid.width, grid.channels]);
}
