import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { detailTerm, overflowPenalty } from './loss.ts';

describe('overflowPenalty', () => {
  it('is the mean square of the excess beyond [-1, 1]', async () => {
    const state = tf.tensor4d([-2, -1, 0, 0.5, 1, 3, 0.25, -0.75], [1, 2, 1, 4]);
    // Excess: -1 and 2 -> (1 + 4) / 8 values.
    expect(await overflowPenalty(state).data()).toEqual(new Float32Array([5 / 8]));
    expect(await overflowPenalty(tf.clipByValue(state, -1, 1) as tf.Tensor4D).data()).toEqual(new Float32Array([0]));
  });

  it('pulls only the values outside the box back towards it', async () => {
    const state = tf.tensor4d([-2, 0.5, 1.5, -0.5], [1, 1, 1, 4]);
    const grad = await tf
      .grad((x: tf.Tensor) => overflowPenalty(x as tf.Tensor4D))(state)
      .data();
    // d/dx of mean((x - clip(x))^2) = 2 (x - clip(x)) / n.
    expect(Array.from(grad)).toEqual([-0.5, 0, 0.25, 0]);
  });
});

describe('detailTerm', () => {
  // One sample, 2 x 2 cells, 5 channels (the fifth is hidden: the term never reads it).
  const target = tf.tensor3d([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5], [2, 2, 4]);
  const cells = (rgba: number[][]): tf.Tensor4D =>
    tf.tensor4d(
      rgba.flatMap((c) => [...c, 7]),
      [1, 2, 2, 5],
    );

  it('is the squared difference of neighbouring errors, over the 4 pairs of a 2 x 2 grid, divided as the RGBA error is', async () => {
    // Errors (state - target) per cell, every channel alike: 0.5, 0, 0.25, 0.
    const state = cells([
      [0.5, 0.5, 0.5, 0.5],
      [1, 1, 1, 1],
      [0.25, 0.25, 0.25, 0.25],
      [0.5, 0.5, 0.5, 0.5],
    ]);
    // Pairs: across (0,1) 0.5, (2,3) 0.25; down (0,2) 0.25, (1,3) 0. Squares 0.25 + 0.0625 + 0.0625 per channel, x 4, / (4 cells x 4).
    expect((await detailTerm(state, target).data())[0]).toBeCloseTo((4 * 0.375) / 16, 7);
  });

  it('is zero for an error that is the same in every cell, however large: the plain error covers that', async () => {
    const shifted = tf.add(target, 0.75) as tf.Tensor3D;
    const state = tf.concat([tf.expandDims(shifted, 0), tf.fill([1, 2, 2, 1], 3)], 3) as tf.Tensor4D;
    expect(Array.from(await detailTerm(state, target).data())).toEqual([0]);
  });
});
