import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { overflowPenalty } from './loss.ts';

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
