import * as tf from '@tensorflow/tfjs-core';

export interface GridShape {
  height: number;
  width: number;
  channels: number;
}

/**
 * SPEC §3: all zeros except one cell (the centre by default) whose channels 3..C-1 are 1.
 * Returns [batch, H, W, C].
 */
export function seedState(grid: GridShape, batch = 1, at?: { x: number; y: number }): tf.Tensor4D {
  return tf.tensor4d(seedArray(grid, batch, at), [batch, grid.height, grid.width, grid.channels]);
}

/** The seed as a flat array, for writing into a pool without touching a backend. */
export function seedArray(grid: GridShape, batch = 1, at?: { x: number; y: number }): Float32Array {
  const { height, width, channels } = grid;
  const x = at?.x ?? Math.floor(width / 2);
  const y = at?.y ?? Math.floor(height / 2);
  const data = new Float32Array(batch * height * width * channels);
  for (let n = 0; n < batch; n++) {
    const base = ((n * height + y) * width + x) * channels;
    data.fill(1, base + 3, base + channels);
  }
  return data;
}
