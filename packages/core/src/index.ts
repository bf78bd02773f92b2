export { identityKernel, rotatedKernels, sobelX, sobelY } from './kernels.ts';
export { padState } from './pad.ts';
export { perceive } from './perceive.ts';
export { updateRule } from './updateRule.ts';
export { drawFire, fireMask, stochasticUpdate } from './stochasticUpdate.ts';
export { aliveMask, countMature } from './aliveMask.ts';
export { step, run, clampRgba } from './step.ts';
export { trainingStep } from './trainingStep.ts';
export { seedState, seedArray } from './seed.ts';
export { damageDisc, eraseDisc, insideDisc, randomCentre, randomDisc } from './damageDisc.ts';
export { createParams, paramsToTensors, tensorsToParams, disposeParams, PARAM_NAMES } from './params.ts';
export { createRng } from './rng.ts';
export {
  BudgetError,
  checkBudget,
  checkTrainingBudget,
  formatBytes,
  IMAGE_BYTES,
  inferenceMemory,
  MACHINE_SHARE,
  PAGE_GPU_BYTES,
  POOL_BYTES,
  rolloutMemory,
  viewerMemory,
  WASM_HEAP_BYTES,
} from './budget.ts';
export { PRESETS, isPresetName } from './presets.ts';
export { Adam } from './training/adam.ts';
export { perSampleLoss, overflowPenalty } from './training/loss.ts';
export { SamplePool, prepareBatch } from './training/samplePool.ts';
export { batchGradient } from './training/batchGradient.ts';
export { shardedGradient, type ShardSplit } from './training/shards.ts';
export { RolloutKernel, RolloutKernelError, bestVariant, kernelBatchGradient, kernelMemoryBytes, rolloutProfile } from './wasm/rolloutKernel.ts';
export { WebgpuRollout, WebgpuRolloutError, webgpuGradient, webgpuRolloutBytes } from './webgpu/webgpuRollout.ts';
export { rolloutShader } from './webgpu/rolloutShader.ts';
export { requestRolloutDevice } from './webgpu/gpu.ts';
export { TrainingRun, TrainingError, freshTrainingState, gridOf } from './training/trainingRun.ts';
export { learningRate } from './training/learningRate.ts';
export { CheckpointError, decodeCheckpoint, encodeCheckpoint, isCheckpointFile } from './training/checkpoint.ts';
export { finalLoss, trainedModelFile } from './training/modelFile.ts';

export { prepareTarget, checkPictureSize, parseColour, pictureHeader, resampleRgba, targetShape, TargetError, MAX_INPUT_PIXELS } from './target/index.ts';

export type { Kernel3x3 } from './kernels.ts';
export type { FireSource, RunOptions, StepFunction, StepHook } from './step.ts';
export type { GridShape } from './seed.ts';
export type { Disc } from './damageDisc.ts';
export type { CaParams } from './params.ts';
export type { Rng } from './rng.ts';
export type { GridSize, MemoryEstimate, MemoryPart, TrainingShape } from './budget.ts';
export type { DamageRadius, LrSchedule, Preset, PresetName, TrainingSettings } from './presets.ts';
export type { AdamState } from './training/adam.ts';
export type { GradientResult, GradientTask } from './training/batchGradient.ts';
export type { RolloutKernelErrorCode, RolloutProfile, RolloutVariant } from './wasm/rolloutKernel.ts';
export type { WebgpuRolloutErrorCode } from './webgpu/webgpuRollout.ts';
export type { GpuAdapter, GpuDevice } from './webgpu/gpu.ts';
export type { GradientFunction, IterationInfo, TrainingErrorCode, TrainingRecipe, TrainingState } from './training/trainingRun.ts';
export type { Pixels, PictureHeader, Target, TargetErrorCode, TargetOptions } from './target/index.ts';
export type { Checkpoint, RunPlan, TargetSource } from './training/checkpoint.ts';
export type { TrainedBy } from './training/modelFile.ts';
