import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig, Padding } from '@nca-studio/weights-format';
import { aliveMask } from './aliveMask.ts';
import { rotatedKernels } from './kernels.ts';
import { padState } from './pad.ts';
import type { CaParams } from './params.ts';
import { clampRgba } from './step.ts';
import { refuseTextureOptions } from './stepOptions.ts';

/**
 * The same CA step as `step` with a fixed fire mask, and a hand-written backward pass for
 * training. Autodiff through `step` keeps every intermediate of every step alive (at batch 8 on
 * 72x72 a 16-step rollout already overflowed the wasm heap); this keeps only the
 * step's input, fire mask and alive mask, and recomputes perception and the hidden layer in the
 * backward pass. Masks are constants, as in `step`. trainingStep.test.ts checks value and gradients
 * against autodiff of `step`.
 */
export function trainingStep(state: tf.Tensor4D, params: CaParams, config: NcaConfig, fire: tf.Tensor4D): tf.Tensor4D {
  refuseTextureOptions(config, 'trainingStep (the tfjs training route)');
  const c = state.shape[3];
  const order = interleavedOrder(c);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, w1, b1, w2, b2] = args as [tf.Tensor4D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    const save = args[5] as tf.GradSaveFunc;
    const [b, h, w] = x.shape;
    const { alive, updated, w1i } = tf.tidy(() => {
      // Rows of W1 reordered to the depthwise conv's channel-major perception (c * 3 + filter).
      const w1i = tf.gather(w1, tf.tensor1d(order.forward, 'int32'));
      const ds = mlp(perceiveInterleaved(x, config), w1i, b1, w2, b2, config.tanh).ds;
      const u = tf.add(x, tf.mul(tf.reshape(ds, [b, h, w, c]), fire)) as tf.Tensor4D;
      const post = aliveMask(u, config);
      const m = config.aliveMasking === 'pre-post' ? tf.mul(aliveMask(x, config), post) : post;
      return { alive: m as tf.Tensor4D, updated: tf.mul(u, m) as tf.Tensor4D, w1i };
    });
    save([x, fire, alive, w1i, b1, w2, b2, updated]);
    const value = config.clampRgba ? clampRgba(updated) : tf.clone(updated);
    return {
      value,
      // tidy: tfjs runs the whole backward pass in one scope, so without it every step's
      // temporaries would live until the end of backprop.
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, fs, ms, w1s, b1s, w2s, b2s, ys] = saved as [
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor4D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor2D,
            tf.Tensor1D,
            tf.Tensor4D,
          ];
          let g = dy as tf.Tensor4D;
          if (config.clampRgba) {
            // clipByValue passes the gradient where min <= y <= max (tfjs's convention).
            const rgba = tf.slice(ys, [0, 0, 0, 0], [b, h, w, 4]);
            const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(rgba, 0), tf.lessEqual(rgba, 1)), 'float32');
            const pass = c === 4 ? inside : tf.concat([inside, tf.onesLike(tf.slice(ys, [0, 0, 0, 4], [b, h, w, c - 4]))], 3);
            g = tf.mul(g, pass);
          }
          const du = tf.mul(g, ms) as tf.Tensor4D;
          const cells = b * h * w;
          const p = tf.reshape(perceiveInterleaved(xs, config), [cells, 3 * c]) as tf.Tensor2D;
          const { hidden, ds } = mlp(p, w1s, b1s, w2s, b2s, config.tanh);
          let dz = tf.reshape(tf.mul(du, fs), [cells, c]) as tf.Tensor2D;
          if (config.tanh) {
            dz = tf.mul(dz, tf.sub(1, tf.square(ds)));
          }
          // Weight gradients sum over every cell. Explicit transposes, because wasm runs
          // transposed matMuls about 8x slower (see dense.ts); and the narrow matrix goes on
          // the right, because the wasm matMul repacks its right operand on every call
          // (measured on [41472 x 128] activations: 2x to 5x faster this way round).
          const dw2 = tf.matMul(tf.transpose(hidden), dz);
          const db2 = tf.sum(dz, 0);
          const dh = tf.mul(tf.matMul(dz, tf.transpose(w2s)), tf.step(hidden));
          const dw1i = tf.transpose(tf.matMul(tf.transpose(dh), p));
          const dw1 = tf.gather(dw1i, tf.tensor1d(order.inverse, 'int32'));
          const db1 = tf.sum(dh, 0);
          const dp = tf.reshape(tf.matMul(dh, tf.transpose(w1s)), [b, h, w, 3 * c]) as tf.Tensor4D;
          const dx = tf.add(du, perceiveInterleavedAdjoint(dp, config));
          return [dx, dw1, db1, dw2, db2];
        }),
    };
  });
  return f(state, params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias) as tf.Tensor4D;
}

/** Index maps between filter-major (f * C + c) and channel-major (c * 3 + f) perception. */
function interleavedOrder(channels: number): { forward: Int32Array; inverse: Int32Array } {
  const forward = new Int32Array(3 * channels);
  const inverse = new Int32Array(3 * channels);
  for (let c = 0; c < channels; c++) {
    for (let f = 0; f < 3; f++) {
      forward[c * 3 + f] = f * channels + c;
      inverse[f * channels + c] = c * 3 + f;
    }
  }
  return { forward, inverse };
}

/** Perception by one depthwise convolution, channel-major: output channel c * 3 + filter. */
function perceiveInterleaved(x: tf.Tensor4D, config: Pick<NcaConfig, 'padding' | 'sobelScale' | 'angle'>): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const k = rotatedKernels(config);
    const kernel = tf.tensor4d(
      k.flatMap((row) => row.flatMap((filters) => Array.from({ length: c }, () => filters).flat())),
      [3, 3, c, 3],
    );
    return tf.depthwiseConv2d(padState(x, config.padding), kernel, 1, 'valid');
  });
}

/**
 * The adjoint of `perceiveInterleaved`: each correlation's adjoint is a correlation of the
 * zero-padded gradient with the kernel turned 180 degrees, summed over the three filters, then
 * the padding's own adjoint folds the border back.
 */
function perceiveInterleavedAdjoint(dp: tf.Tensor4D, config: NcaConfig): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c3] = dp.shape;
    const c = c3 / 3;
    const k = rotatedKernels(config);
    const flipped = tf.tensor4d(
      [0, 1, 2].flatMap((i) => [0, 1, 2].flatMap((j) => Array.from({ length: c }, () => k[2 - i]![2 - j]!).flat())),
      [3, 3, c3, 1],
    );
    const spread = tf.depthwiseConv2d(
      tf.pad(dp, [
        [0, 0],
        [2, 2],
        [2, 2],
        [0, 0],
      ]) as tf.Tensor4D,
      flipped,
      1,
      'valid',
    );
    const padded = tf.sum(tf.reshape(spread, [b, h + 2, w + 2, c, 3]), 4) as tf.Tensor4D;
    return unpadAdjoint(padded, config.padding);
  });
}

function mlp(cells: tf.Tensor, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D, useTanh: boolean): { hidden: tf.Tensor2D; ds: tf.Tensor2D } {
  const inputs = cells.shape[cells.rank - 1]!;
  const flat = tf.reshape(cells, [cells.size / inputs, inputs]) as tf.Tensor2D;
  const hidden = tf.fused.matMul({ a: flat, b: w1, bias: b1, activation: 'relu' }) as tf.Tensor2D;
  const z = tf.fused.matMul({ a: hidden, b: w2, bias: b2 }) as tf.Tensor2D;
  return { hidden, ds: useTanh ? tf.tanh(z) : z };
}

/** The adjoint of `padState`: folds the one-cell border back onto the cells it copied. */
function unpadAdjoint(padded: tf.Tensor4D, padding: Padding): tf.Tensor4D {
  return foldAxis(foldAxis(padded, 1, padding), 2, padding);
}

function foldAxis(x: tf.Tensor4D, axis: 1 | 2, padding: Padding): tf.Tensor4D {
  const n = x.shape[axis] - 2;
  const take = (start: number, size: number): tf.Tensor4D => {
    const begin = [0, 0, 0, 0];
    const sizes = [...x.shape];
    begin[axis] = start;
    sizes[axis] = size;
    return tf.slice(x, begin, sizes);
  };
  const inner = take(1, n);
  if (padding === 'zero') {
    return inner;
  }
  // Where the padded border cells were copied from (see padState).
  const [firstFrom, lastFrom] = padding === 'wrap' ? [n - 1, 0] : [1, n - 2];
  const at = (edge: tf.Tensor4D, index: number): tf.Tensor4D => {
    const pads: Array<[number, number]> = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 0],
    ];
    pads[axis] = [index, n - 1 - index];
    return tf.pad(edge, pads);
  };
  return tf.addN([inner, at(take(0, 1), firstFrom), at(take(n + 1, 1), lastFrom)]) as tf.Tensor4D;
}
