import * as tf from '@tensorflow/tfjs-core';
import { PARAM_NAMES, paramShapes, type NcaConfig, type NcaParams } from '@nca-studio/weights-format';

/** The update rule's weights as tensors (variables while training). */
export interface CaParams {
  dense1Weight: tf.Tensor2D; // [3C (4C with the Laplacian), hidden]
  dense1Bias: tf.Tensor1D; // [hidden]
  dense2Weight: tf.Tensor2D; // [hidden, C]
  dense2Bias: tf.Tensor1D; // [C]
}

export { PARAM_NAMES };

/** Arrays (as stored in a weights file) to tensors. */
export function paramsToTensors(params: NcaParams, config: Pick<NcaConfig, 'channels' | 'hidden'> & Partial<Pick<NcaConfig, 'laplacian'>>): CaParams {
  const shapes = paramShapes(config);
  return Object.fromEntries(PARAM_NAMES.map((name) => [name, tf.tensor(params[name], shapes[name])])) as unknown as CaParams;
}

/** Tensors back to arrays for a weights file. */
export async function tensorsToParams(params: CaParams): Promise<NcaParams> {
  const [dense1Weight, dense1Bias, dense2Weight, dense2Bias] = await Promise.all(PARAM_NAMES.map(async (name) => new Float32Array(await params[name].data())));
  return { dense1Weight: dense1Weight!, dense1Bias: dense1Bias!, dense2Weight: dense2Weight!, dense2Bias: dense2Bias! };
}

export function disposeParams(params: CaParams): void {
  for (const name of PARAM_NAMES) {
    params[name].dispose();
  }
}
