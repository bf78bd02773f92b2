// Core's training algorithm on this page, on tfjs-backend-webgl (the viewer's GPU context):
// the proof that training needs no Node, and the start of training in the browser.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
// Every WebGL kernel (the viewer registers only those its step runs): training runs many more.
import '@tensorflow/tfjs-backend-webgl/dist/register_all_kernels';
import * as tf from '@tensorflow/tfjs-core';
import {
  batchGradient,
  freshTrainingState,
  kernelBatchGradient,
  RolloutKernel,
  TrainingRun,
  webgpuGradient,
  type GradientResult,
  type GradientTask,
  type RolloutVariant,
  type TrainingRecipe,
} from '@nca-studio/core';
import { getGpu } from '../engine/gpu.ts';
import { requestGpuDevice } from '../train/gpuDevice.ts';

export interface PageTraining {
  backend: string;
  losses: number[];
  /** Live tensors before the run and after it: equal when nothing leaks. */
  tensorsBefore: number;
  tensorsAfter: number;
  seconds: number;
}

/**
 * Trains `recipe` for its iterations on `target` ([H, W, 4] premultiplied), from a fresh state,
 * with the gradient on tfjs-backend-webgl or on core's wasm rollout kernel.
 */
export async function trainOnPage(recipe: TrainingRecipe, target: Float32Array, gradient: 'tfjs' | 'kernel' = 'tfjs'): Promise<PageTraining> {
  await getGpu();
  const tensorsBefore = tf.memory().numTensors;
  const began = performance.now();
  const run = new TrainingRun(recipe, freshTrainingState(recipe, target), gradient === 'kernel' ? kernelBatchGradient : batchGradient);
  const losses: number[] = [];
  while (!run.done) {
    losses.push((await run.iterate()).loss);
  }
  return { backend: tf.getBackend(), losses, tensorsBefore, tensorsAfter: tf.memory().numTensors, seconds: (performance.now() - began) / 1000 };
}

/** One rollout and its gradient on core's wasm rollout kernel (the build asked for, or this browser's best), on this page. */
export async function kernelGradientOnPage(task: GradientTask, variant?: RolloutVariant): Promise<GradientResult & { variant: RolloutVariant }> {
  const kernel = await RolloutKernel.load(variant);
  return { ...kernel.gradient(task), variant: kernel.variant };
}

let fused: ((task: GradientTask) => Promise<GradientResult>) | null = null;

/** One rollout and its gradient on core's fused WebGPU shaders, on this page's navigator.gpu. */
export async function webgpuGradientOnPage(task: GradientTask): Promise<GradientResult> {
  fused ??= webgpuGradient(await requestGpuDevice());
  return fused(task);
}
