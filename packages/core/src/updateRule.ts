import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig } from '@nca-studio/weights-format';
import { dense } from './dense.ts';
import type { CaParams } from './params.ts';

/** docs/design.md §3.2: the per-cell MLP, `ds = W2 relu(W1 p + b1) + b2`, optionally through tanh. */
export function updateRule(perception: tf.Tensor4D, params: CaParams, config: Pick<NcaConfig, 'tanh'>): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, inputs] = perception.shape;
    const cells = tf.reshape(perception, [b * h * w, inputs]) as tf.Tensor2D;
    const hidden = tf.relu(dense(cells, params.dense1Weight, params.dense1Bias));
    let ds = dense(hidden, params.dense2Weight, params.dense2Bias);
    if (config.tanh) {
      ds = tf.tanh(ds);
    }
    return tf.reshape(ds, [b, h, w, params.dense2Bias.shape[0]]);
  });
}
