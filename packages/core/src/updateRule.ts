import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig } from '@nca-studio/weights-format';
import { dense } from './dense.ts';
import type { CaParams } from './params.ts';

/**
 * docs/design.md §3.2: the per-cell MLP, `ds = W2 relu(W1 p + b1) + b2`, optionally through tanh.
 * With the texture model's bound b (§3.6): p clipped to [-b, b], the ReLU capped at b, ds clipped.
 */
export function updateRule(perception: tf.Tensor4D, params: CaParams, config: Pick<NcaConfig, 'tanh' | 'clip'>): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, inputs] = perception.shape;
    const { clip } = config;
    let cells = tf.reshape(perception, [b * h * w, inputs]) as tf.Tensor2D;
    if (clip !== null) {
      cells = tf.clipByValue(cells, -clip, clip);
    }
    let hidden = tf.relu(dense(cells, params.dense1Weight, params.dense1Bias));
    if (clip !== null) {
      hidden = tf.minimum(hidden, clip);
    }
    let ds = dense(hidden, params.dense2Weight, params.dense2Bias);
    if (config.tanh) {
      ds = tf.tanh(ds);
    }
    if (clip !== null) {
      ds = tf.clipByValue(ds, -clip, clip);
    }
    return tf.reshape(ds, [b, h, w, params.dense2Bias.shape[0]]);
  });
}
