import * as tf from '@tensorflow/tfjs-core';

/** SPEC §4: mean squared error of RGBA (channels 0..3) against the target, per sample: [B]. */
export function perSampleLoss(state: tf.Tensor4D, target: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w] = state.shape;
    const rgba = tf.slice(state, [0, 0, 0, 0], [b, h, w, 4]);
    return tf.mean(tf.squaredDifference(rgba, target), [1, 2, 3]);
  });
}
