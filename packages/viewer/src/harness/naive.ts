// The bench's same-run reference: the op-by-op tfjs-webgl step a straightforward port runs
// (depthwiseConv2d, two matMuls, masks; about a dozen ops, its fire mask drawn on the CPU and
// uploaded every step), which the fused engine is measured against. Only its speed matters: its perception
// channels are interleaved per channel, not in core's filter-major order.
import * as tf from '@tensorflow/tfjs-core';
import { registerKernel } from '@tensorflow/tfjs-core';
import { depthwiseConv2dNativeConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/DepthwiseConv2dNative';
import { greaterConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Greater';
import { lessConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/Less';
import { logicalAndConfig } from '@tensorflow/tfjs-backend-webgl/dist/kernels/LogicalAnd';
import { paramsToTensors, disposeParams } from '@nca-studio/core';
import { perceptionFilters, type NcaModel } from '@nca-studio/weights-format';
import { getGpu } from '../engine/gpu.ts';

let registered = false;

export interface NaiveRun {
  msPerStep: number;
  stepsPerSecond: number;
  steps: number;
}

/** Times `steps` naive steps (0: about 2 s worth) from `state` ([H, W, C]) on a size x size grid. */
export async function benchmarkNaive(model: NcaModel, size: number, state: Float32Array, steps: number): Promise<NaiveRun> {
  await getGpu();
  if (!registered) {
    registered = true;
    for (const config of [depthwiseConv2dNativeConfig, greaterConfig, lessConfig, logicalAndConfig]) {
      registerKernel(config);
    }
  }
  const { channels: c, aliveThreshold, fireRate, clip, aliveMasking } = model.config;
  const params = paramsToTensors(model.params, model.config);
  // [3, 3, C, F]: identity, Sobel x / 8, Sobel y / 8 (and a texture's Laplacian / 8) for every channel.
  const f = perceptionFilters(model.config);
  const taps = new Float32Array(9 * c * f);
  const sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
  const laplacian = [1, 2, 1, 2, -12, 2, 1, 2, 1];
  for (let i = 0; i < 9; i++) {
    const [row, col] = [Math.floor(i / 3), i % 3];
    for (let ch = 0; ch < c; ch++) {
      taps[(i * c + ch) * f] = i === 4 ? 1 : 0;
      taps[(i * c + ch) * f + 1] = sobel[i]! / 8;
      taps[(i * c + ch) * f + 2] = sobel[col * 3 + row]! / 8;
      if (f === 4) {
        taps[(i * c + ch) * f + 3] = laplacian[i]! / 8;
      }
    }
  }
  const kernel = tf.tensor4d(taps, [3, 3, c, f]);
  const bounded = (t: tf.Tensor, low: number): tf.Tensor => (clip === null ? t : tf.clipByValue(t, low * clip, clip));
  let current: tf.Tensor4D = tf.tensor4d(state, [1, size, size, c]);
  const step = (x: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const perception = bounded(tf.reshape(tf.depthwiseConv2d(x, kernel, 1, 'same'), [size * size, f * c]), -1) as tf.Tensor2D;
      const hidden = bounded(tf.relu(tf.add(tf.matMul(perception, params.dense1Weight), params.dense1Bias)), 0) as tf.Tensor2D;
      const ds = bounded(tf.reshape(tf.add(tf.matMul(hidden, params.dense2Weight), params.dense2Bias), [1, size, size, c]), -1);
      const fire = tf.cast(tf.less(tf.randomUniform([1, size, size, 1]), fireRate), 'float32');
      const alive = (s: tf.Tensor4D): tf.Tensor => tf.greater(tf.maxPool(tf.slice(s, [0, 0, 0, 3], [1, size, size, 1]), 3, 1, 'same'), aliveThreshold);
      const updated = bounded(tf.add(x, tf.mul(ds, fire)), -1) as tf.Tensor4D;
      return aliveMasking === 'none' ? updated : tf.mul(updated, tf.cast(tf.logicalAnd(alive(x), alive(updated)), 'float32'));
    });
  const run = async (n: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const next = step(current);
      current.dispose();
      current = next;
    }
    const corner = tf.slice(current, [0, 0, 0, 0], [1, 1, 1, 1]);
    await corner.data();
    corner.dispose();
    return (performance.now() - start) / n;
  };
  try {
    const probe = await run(2);
    const count = steps > 0 ? steps : Math.max(2, Math.round(2000 / probe));
    const msPerStep = await run(count);
    return { msPerStep, stepsPerSecond: 1000 / msPerStep, steps: count };
  } finally {
    current.dispose();
    kernel.dispose();
    disposeParams(params);
  }
}
