import * as tf from '@tensorflow/tfjs-core';

/** docs/design.md §4: mean squared error of RGBA (channels 0..3) against the target, per sample: [B]. */
export function perSampleLoss(state: tf.Tensor4D, target: tf.Tensor3D): tf.Tensor1D {
  return tf.tidy(() => {
    const [b, h, w] = state.shape;
    const rgba = tf.slice(state, [0, 0, 0, 0], [b, h, w, 4]);
    return tf.mean(tf.squaredDifference(rgba, target), [1, 2, 3]);
  });
}

/**
 * An overflow penalty like the one later NCA notebooks (textures, isotropic NCA) train with:
 * the mean square of each state value's excess beyond [-1, 1], over the whole batch and every
 * channel. Zero for a state inside the box, so it leaves a
 * healthy pattern alone and pulls back only the runaway values that make a model explode
 * after the steps it was trained for.
 */
export function overflowPenalty(state: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(state, tf.clipByValue(state, -1, 1)))) as tf.Scalar);
}
