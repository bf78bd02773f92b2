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

/**
 * The outside penalty: the mean square of every channel of the cells where the target has
 * nothing (alpha 0), over the whole batch and every channel, as the overflow penalty is
 * averaged. A picture that fills most of its grid leaves a thin margin, and without it a haze
 * of living cells with small values spreads there at almost no cost in the RGBA error, until it
 * fills the grid and training falls apart; with it, the cells outside end each rollout empty.
 * Zero for a pattern that keeps inside its picture.
 */
export function outsidePenalty(state: tf.Tensor4D, target: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const outside = tf.expandDims(tf.cast(tf.equal(tf.slice(target, [0, 0, 3], [-1, -1, 1]), 0), 'float32'), 0);
    return tf.mean(tf.mul(tf.square(state), outside)) as tf.Scalar;
  });
}

/**
 * The detail term: the squared difference between the RGBA errors (state - target) of every
 * pair of 4-neighbours inside the grid, summed and divided by cells x 4 like the RGBA error,
 * over the batch. It is the error of the picture's steps from cell to cell: zero for an error
 * that is the same in both cells, however large, so it weighs what the plain error barely
 * sees while it is still fitting the broad areas: the edges and the features a few cells wide
 * (eyes, a mouth).
 */
export function detailTerm(state: tf.Tensor4D, target: tf.Tensor3D): tf.Scalar {
  return tf.tidy(() => {
    const [b, h, w] = state.shape;
    const error = tf.sub(tf.slice(state, [0, 0, 0, 0], [b, h, w, 4]), target) as tf.Tensor4D;
    const across = tf.sub(tf.slice(error, [0, 0, 1, 0], [b, h, w - 1, 4]), tf.slice(error, [0, 0, 0, 0], [b, h, w - 1, 4]));
    const down = tf.sub(tf.slice(error, [0, 1, 0, 0], [b, h - 1, w, 4]), tf.slice(error, [0, 0, 0, 0], [b, h - 1, w, 4]));
    return tf.div(tf.add(tf.sum(tf.square(across)), tf.sum(tf.square(down))), b * h * w * 4) as tf.Scalar;
  });
}
