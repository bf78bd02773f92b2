// The trainer's public API: the CLI and the Node side of every command. The training
// algorithm itself (pool, loss, Adam, one iteration) is core's.

// The CLI
export { main, buildProgram } from './cli.ts';
export { NcaError, EXIT_CODES, EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, errorExitCode } from './errors.ts';
export { BENCH_DEFAULTS, CONVERT_FORMATS, EXPORT_FORMATS, parseDamage, TRAIN_DEFAULTS } from './commands/choices.ts';

// Commands
export { train, trainCommand, formatLoad } from './commands/train.ts';
export {
  settleTrainPlan,
  resumedPlan,
  planFromPreset,
  chooseWorkers,
  choosePreset,
  gradientRoute,
  settingOverrides,
  configOverrides,
  SETTING_FLAGS,
} from './training/plan.ts';
export { evaluate, evalCommand, formatEval } from './commands/evaluate.ts';
export { trainingStepRange } from '@nca-studio/core';
export { inspect, inspectCommand, inspectionJson, loadModel, formatInspection } from './commands/inspect.ts';
export {
  convert,
  convertCommand,
  convertFolder,
  exportModel,
  readDistillFile,
  distillEntry,
  formatConversion,
  DISTILL_MANIFEST_TITLE,
} from './commands/convert.ts';
export { render, renderCommand, renderModel, stateStats, defaultFrameEvery } from './commands/render.ts';
export { benchTrainer, benchCommand, formatBench, formatProfile, rankKernels, TORCH_BASELINE } from './commands/bench.ts';

// Training on Node: the loop over core's TrainingRun, checkpoints, worker threads
export { trainLoop, freshCheckpoint } from './training/trainLoop.ts';
export { readCheckpoint, writeCheckpoint, CHECKPOINT_FILE } from './training/checkpoint.ts';
export { GradientWorkers, gradientFunction } from './training/gradientWorkers.ts';

// Backends, images, files
export { selectBackend } from './backends/backend.ts';
export { BACKEND_NAMES } from './backends/names.ts';
export { findWebgpuAdapter, describeAdapter, hardwareGpuPossible, webgpuDevice, webgpuForTests } from './backends/webgpu.ts';
export { loadTarget, loadExemplar, decodeTarget, targetFromFlags, emojiPath, emojiCodepoints, MAX_INPUT_PIXELS } from './images/target.ts';
export { stateToFrame, upscale, tile, encodePng } from './images/picture.ts';
export { writeFileAtomic } from './files/atomicWrite.ts';
export { encodeNpy, decodeNpy } from './files/npy.ts';

export type { NcaErrorCode } from './errors.ts';
export type { CommandIo } from './commands/io.ts';
export type { ConvertFormat, DamageSpec, ExportFormat } from './commands/choices.ts';
export type { TrainIo, TrainSummary } from './commands/train.ts';
export type { Execution, NewRun, PlanRequest, Resume, TrainFlags } from './training/plan.ts';
export type { EvalFlags, EvalOptions, EvalReport } from './commands/evaluate.ts';
export type { Inspection, CheckpointInspection } from './commands/inspect.ts';
export type { ConvertFlags, ConvertRequest, ConvertSummary, DistillEntry, ModelManifest } from './commands/convert.ts';
export type { RenderFlags, RenderOptions, RenderResult, RenderRequest, RenderSummary } from './commands/render.ts';
export type { BenchFlags, BenchOptions, BenchResult, BenchProfile, KernelTime, TorchResult } from './commands/bench.ts';
export type { LoopHooks, LoopResult } from './training/trainLoop.ts';
export type { BackendName, GradientRoute } from './backends/names.ts';
export type { BackendInfo } from './backends/backend.ts';
export type { WebgpuAdapter } from './backends/webgpu.ts';
export type { Target, TargetSource, TargetOptions } from './images/target.ts';
export type { Frame } from './images/picture.ts';
// Whether an in-process `nca train` ran to its end (exit 0, or judged not to grow): for scripts and tests.
export { ranToEnd } from './testing/cli.ts';
