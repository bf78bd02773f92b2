// Core's public API: the model and its CA step on tfjs-core (inference and the reference
// gradient), and everything of `./training/index.ts` (the training algorithm and the fast
// rollouts, which load no tfjs).
export * from './training/index.ts';
export { identityKernel, laplacianKernel, rotatedKernels, sobelX, sobelY } from './kernels.ts';
export { padState } from './pad.ts';
export { perceive } from './perceive.ts';
export { updateRule } from './updateRule.ts';
export { fireMask, stochasticUpdate } from './stochasticUpdate.ts';
export { aliveMask, countMature } from './aliveMask.ts';
export { step, run, clampRgba } from './step.ts';
export { trainingStep } from './trainingStep.ts';
export { seedState } from './seedState.ts';
export { refuseTextureOptions, textureOptions, UnsupportedOptionsError } from './stepOptions.ts';
export { damageDisc } from './damageDiscTensor.ts';
export { paramsToTensors, tensorsToParams, disposeParams, PARAM_NAMES } from './params.ts';
export {
  BudgetError,
  checkBudget,
  checkTrainingBudget,
  formatBytes,
  IMAGE_BYTES,
  KERNEL_ARENA_BYTES,
  kernelRunMemory,
  inferenceMemory,
  MACHINE_SHARE,
  PAGE_GPU_BYTES,
  POOL_BYTES,
  rolloutMemory,
  viewerMemory,
  WASM_HEAP_BYTES,
} from './budget.ts';
export { PRESETS, isPresetName, overrideSettings, changedSettings } from './presets.ts';
export { perSampleLoss, overflowPenalty, outsidePenalty } from './training/loss.ts';
export { batchGradient } from './training/batchGradient.ts';

export { prepareTarget, checkPictureSize, parseColour, pictureHeader, resampleRgba, targetShape, TargetError, MAX_INPUT_PIXELS } from './target/index.ts';

export type { Kernel3x3 } from './kernels.ts';
export type { FireSource, RunOptions, StepFunction, StepHook } from './step.ts';
export type { CaParams } from './params.ts';
export type { GridSize, MemoryEstimate, MemoryPart, TrainingShape } from './budget.ts';
export type { DamageRadius, LrSchedule, Preset, PresetName, TrainingSettings } from './presets.ts';
export type { Pixels, PictureHeader, Target, TargetErrorCode, TargetOptions } from './target/index.ts';
