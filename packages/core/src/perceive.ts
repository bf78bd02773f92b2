import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig } from '@nca-studio/weights-format';
import { identityKernel, laplacianKernel, sobelX, sobelY, type Kernel3x3 } from './kernels.ts';
import { padState } from './pad.ts';

/**
 * docs/design.md §3.1: identity, Sobel-x and Sobel-y cross-correlations of every channel, gradients
 * optionally rotated, concatenated filter-major: [identity c0..C-1, sobel_x c0..C-1, sobel_y c0..C-1],
 * then the Laplacian's C values where the config has it (§3.6; rotation leaves it unchanged).
 * Built from slices of the padded state (no depthwise conv) so that its gradient exists on
 * every backend, wasm included.
 */
export function perceive(state: tf.Tensor4D, config: Pick<NcaConfig, 'padding' | 'sobelScale' | 'angle'> & Partial<Pick<NcaConfig, 'laplacian'>>): tf.Tensor4D {
  return tf.tidy(() => {
    const padded = padState(state, config.padding);
    const [b, h, w, c] = state.shape;
    const window = (dy: number, dx: number): tf.Tensor4D => tf.slice(padded, [0, 1 + dy, 1 + dx, 0], [b, h, w, c]);
    let gx = correlate(window, sobelX(config.sobelScale));
    let gy = correlate(window, sobelY(config.sobelScale));
    if (config.angle !== 0) {
      const cos = Math.cos(config.angle);
      const sin = Math.sin(config.angle);
      [gx, gy] = [tf.sub(tf.mul(gx, cos), tf.mul(gy, sin)), tf.add(tf.mul(gx, sin), tf.mul(gy, cos))];
    }
    const filters = [correlate(window, identityKernel()), gx, gy];
    if (config.laplacian) {
      filters.push(correlate(window, laplacianKernel(config.sobelScale)));
    }
    return tf.concat(filters, 3) as tf.Tensor4D;
  });
}

/** Sum of the kernel's non-zero taps times the shifted windows. */
function correlate(window: (dy: number, dx: number) => tf.Tensor4D, kernel: Kernel3x3): tf.Tensor4D {
  let sum: tf.Tensor4D | null = null;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      const k = kernel[i]![j]!;
      if (k === 0) {
        continue;
      }
      const tap: tf.Tensor4D = k === 1 ? window(i - 1, j - 1) : tf.mul(window(i - 1, j - 1), k);
      sum = sum === null ? tap : (tf.add(sum, tap) as tf.Tensor4D);
    }
  }
  if (sum === null) {
    throw new Error('perceive: a kernel with no non-zero tap');
  }
  return sum;
}
