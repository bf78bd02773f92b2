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
import type { NcaModel } from '@nca-studio/weights-format';
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
  const { channels: c, aliveThreshold, fireRate } = model.config;
  const params = paramsToTensors(model.params, model.config);
  // [3, 3, C, 3]: identity, Sobel x / 8, Sobel y / 8 for every channel.
  const taps = new Float32Array(9 * c * 3);
  const sobel = [-1, 0, 1, -2, 0, 2, -1, 0, 1];
  for (let i = 0; i < 9; i++) {
    const [row, col] = [Math.floor(i / 3), i % 3];
    for (let ch = 0; ch < c; ch++) {
      taps[(i * c + ch) * 3] = i === 4 ? 1 : 0;
      taps[(i * c + ch) * 3 + 1] = sobel[i]! / 8;
      taps[(i * c + ch) * 3 + 2] = sobel[col * 3 + row]! / 8;
    }
  }
  const kernel = tf.tensor4d(taps, [3, 3, c, 3]);
  let current: tf.Tensor4D = tf.tensor4d(state, [1, size, size, c]);
  const step = (x: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const perception = tf.depthwiseConv2d(x, kernel, 1, 'same');
      const hidden = tf.relu(tf.add(tf.matMul(tf.reshape(perception, [size * size, 3 * c]), params.dense1Weight), params.dense1Bias));
      const ds = tf.reshape(tf.add(tf.matMul(hidden, params.dense2Weight), params.dense2Bias), [1, size, size, c]);
      const fire = tf.cast(tf.less(tf.randomUniform([1, size, size, 1]), fireRate), 'float32');
      const alive = (s: tf.Tensor4D): tf.Tensor => tf.greater(tf.maxPool(tf.slice(s, [0, 0, 0, 3], [1, size, size, 1]), 3, 1, 'same'), aliveThreshold);
      const updated = tf.add(x, tf.mul(ds, fire)) as tf.Tensor4D;
      return tf.mul(updated, tf.cast(tf.logicalAnd(alive(x), alive(updated)), 'float32'));
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
