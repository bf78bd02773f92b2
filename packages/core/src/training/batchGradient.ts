import * as tf from '@tensorflow/tfjs-core';
import type { GradientResult, GradientTask } from './gradientTask.ts';
import { paramsToTensors } from '../params.ts';
import { trainingStep } from '../trainingStep.ts';
import { detailTerm, outsidePenalty, overflowPenalty, perSampleLoss } from './loss.ts';
import { sampleLosses } from './sampleLoss.ts';

/**
 * The rollout and its gradient for one shard of a batch, on whatever tfjs backend is active.
 * The main thread and every worker run this same function, so splitting a batch over workers
 * changes only the float summation order.
 */
export async function batchGradient(task: GradientTask): Promise<GradientResult> {
  const { config, count, steps } = task;
  const h = config.gridHeight;
  const w = config.gridWidth;
  const c = config.channels;
  const cells = count * h * w;
  const params = paramsToTensors(task.params, config);
  const target = tf.tensor3d(task.target, [h, w, 4]);
  const x0 = tf.tensor4d(task.states, [count, h, w, c]);
  const fires: tf.Tensor4D[] = [];
  for (let s = 0; s < steps; s++) {
    fires.push(tf.tensor4d(Float32Array.from(task.fire.subarray(s * cells, (s + 1) * cells)), [count, h, w, 1]));
  }
  let final: tf.Tensor4D | null = null;
  const inputs = [params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias];
  const grads = tf.grads((w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor) => {
    const p = { dense1Weight: w1 as tf.Tensor2D, dense1Bias: b1 as tf.Tensor1D, dense2Weight: w2 as tf.Tensor2D, dense2Bias: b2 as tf.Tensor1D };
    let x = x0;
    for (let s = 0; s < steps; s++) {
      x = trainingStep(x, p, config, fires[s]!);
    }
    final = tf.keep(x);
    const perSample = perSampleLoss(x, target);
    const loss = tf.div(tf.sum(perSample), task.batch) as tf.Scalar;
    // The penalties are means over this shard: weighted by its share so shards still add up.
    const share = count / task.batch;
    const overflow = task.overflowWeight > 0 ? tf.add(loss, tf.mul(overflowPenalty(x), task.overflowWeight * share)) : loss;
    const outside = task.outsideWeight > 0 ? tf.add(overflow, tf.mul(outsidePenalty(x, target), task.outsideWeight * share)) : overflow;
    return task.detailWeight > 0 ? tf.add(outside, tf.mul(detailTerm(x, target), task.detailWeight * share)) : outside;
  })(inputs);
  const finalValues = new Float32Array(await final!.data());
  const result: GradientResult = {
    grads: await Promise.all(grads.map(async (g) => new Float32Array(await g.data()))),
    // The reported losses by the one formula every route and the pool use (sampleLosses), so a
    // pool ranks its samples the same before and after a resume.
    losses: sampleLosses(finalValues, task.target, count, h * w, c),
    final: finalValues,
  };
  tf.dispose([...grads, ...inputs, target, x0, ...fires, final!]);
  return result;
}
