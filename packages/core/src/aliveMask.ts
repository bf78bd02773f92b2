import * as tf from '@tensorflow/tfjs-core';
import { MATURE_ALPHA, type NcaConfig } from '@nca-studio/weights-format';
import { padState } from './pad.ts';

/**
 * docs/design.md §3.4: 1 where the 3x3 max of alpha (channel 3) exceeds the threshold, else 0; shape
 * [B, H, W, 1]. The neighbourhood follows the padding mode (a torus wraps). The mask is a
 * constant for training: its gradient is zero, so backprop never walks through the max-pool.
 */
export function aliveMask(state: tf.Tensor4D, config: Pick<NcaConfig, 'padding' | 'aliveThreshold'>): tf.Tensor4D {
  const mask = tf.customGrad((...inputs: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const x = inputs[0] as tf.Tensor;
    const value = tf.tidy(() => {
      const [b, h, w] = (x as tf.Tensor4D).shape;
      const alpha = tf.slice(x as tf.Tensor4D, [0, 0, 0, 3], [b, h, w, 1]);
      const neighbourhoodMax = tf.maxPool(padState(alpha, config.padding), 3, 1, 'valid');
      // step(v) is 1 for v > 0: exactly "max alpha > threshold".
      return tf.step(tf.sub(neighbourhoodMax, config.aliveThreshold));
    });
    return { value, gradFunc: (_dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(x) };
  });
  return mask(state) as tf.Tensor4D;
}

/** Cells of [.., H, W, C] states whose alpha is above MATURE_ALPHA: how much of a pattern has grown. */
export function countMature(states: ArrayLike<number>, channels: number): number {
  let mature = 0;
  for (let i = 3; i < states.length; i += channels) {
    mature += states[i]! > MATURE_ALPHA ? 1 : 0;
  }
  return mature;
}
