import * as tf from '@tensorflow/tfjs-core';
import type { Padding } from '@nca-studio/weights-format';

/**
 * Pads H and W of a [B, H, W, C] state by one cell for a 3x3 neighbourhood.
 * Wrap and reflect are built from slice + concat rather than tf.mirrorPad: their gradients are
 * exact on every backend (tfjs's MirrorPad gradient drops the reflected contributions).
 */
export function padState(x: tf.Tensor4D, padding: Padding): tf.Tensor4D {
  if (padding === 'zero') {
    return tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
  }
  return padAxis(padAxis(x, 1, padding), 2, padding);
}

function padAxis(x: tf.Tensor4D, axis: 1 | 2, padding: 'wrap' | 'reflect'): tf.Tensor4D {
  const n = x.shape[axis];
  const [before, after] = padding === 'wrap' ? [n - 1, 0] : [1, n - 2];
  return tf.concat([sliceAxis(x, axis, before), x, sliceAxis(x, axis, after)], axis);
}

function sliceAxis(x: tf.Tensor4D, axis: 1 | 2, index: number): tf.Tensor4D {
  const begin = [0, 0, 0, 0];
  const size = [...x.shape];
  begin[axis] = index;
  size[axis] = 1;
  return tf.slice(x, begin, size);
}
