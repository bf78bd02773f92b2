// Core's training, with no tfjs: what the wasm kernel and WebGPU routes, their worker threads
// and the page's training worker load (`@nca-studio/core/training`). The tfjs reference
// gradient (batchGradient) and inference stay in the package's main entry.
export { TrainingRun, TrainingError, driveTraining, freshTrainingState, gridOf } from './trainingRun.ts';
export { Adam, normalizeGradient } from './adam.ts';
export { learningRate } from './learningRate.ts';
export { budgetedSettings, budgetUnsettled, DEFAULT_DECAY_AT, rebudget, settleBudget } from './timeBudget.ts';
export { GRADIENT_ROUTES, TEXTURE_ROUTES, adapterName, isSoftwareAdapter } from './routes.ts';
export { SamplePool, prepareBatch } from './samplePool.ts';
export { sampleLosses } from './sampleLoss.ts';
export { sampleBySample, shardedGradient, type ShardSplit } from './shards.ts';
export { GradientPool, GradientPoolError, serveGradients } from './gradientPool.ts';
export { finalLoss, targetBytes, trainedModelFile } from './modelFile.ts';
export { TEXTURE_LOSS_DEFAULTS, textureExemplar, textureLoss, textureLossSettings } from './textureLoss.ts';
export { evaluateTexture, shownColours, textureDistance, textureFiguresLine, textureStatistics } from './textureEvaluation.ts';
export type { TextureEvalOptions, TextureReport, TextureStatistics } from './textureEvaluation.ts';
export {
  alphaIou,
  detailError,
  evaluateModel,
  figuresLine,
  GROWTH_GOALS,
  judgedEarly,
  judgeModel,
  runModel,
  SOLID_ALPHA,
  trainingStepRange,
} from './evaluation.ts';
export { RolloutKernel, RolloutKernelError, bestVariant, kernelBatchGradient, kernelMemoryBytes, rolloutProfile, sharedKernel } from '../wasm/rolloutKernel.ts';
export { kernelRun } from '../wasm/kernelRun.ts';
export { WebgpuRollout, WebgpuRolloutError, webgpuGradient } from '../webgpu/webgpuRollout.ts';
export { webgpuRolloutBytes } from '../webgpu/rolloutBuffers.ts';
export { rolloutShader } from '../webgpu/rolloutShader.ts';
export { requestRolloutDevice } from '../webgpu/gpu.ts';
export { createParams } from '../freshParams.ts';
export { createRng } from '../rng.ts';
export { drawFire } from '../fireDraw.ts';
export { seedArray, startArray } from '../seed.ts';
export { eraseDisc, insideDisc, randomCentre, randomDisc } from '../damageDisc.ts';

export type { AdamState } from './adam.ts';
export type { AdapterInfo, GradientRoute } from './routes.ts';
export type { GradientFunction, GradientResult, GradientTask } from './gradientTask.ts';
export type { GradientPort, GradientReply, GradientScope, WorkerLoad } from './gradientPool.ts';
export type { DriveHooks, IterationInfo, TrainingErrorCode, TrainingRecipe, TrainingState } from './trainingRun.ts';
export type { TrainedBy } from './modelFile.ts';
export type { ErrorSplit, EvalOptions, EvalReport, EvaluatedModel, Verdict } from './evaluation.ts';
export type { ForwardResult, ForwardTask, RolloutKernelErrorCode, RolloutProfile, RolloutVariant } from '../wasm/rolloutKernel.ts';
export type { KernelRunResult } from '../wasm/kernelRun.ts';
export type { WebgpuRolloutErrorCode } from '../webgpu/webgpuRollout.ts';
export type { GpuAdapter, GpuDevice } from '../webgpu/gpu.ts';
export type { Rng } from '../rng.ts';
export type { GridShape } from '../seed.ts';
export type { Disc } from '../damageDisc.ts';
export type { TextureExemplar, TextureLossResult, TextureLossSettings } from './textureLoss.ts';
