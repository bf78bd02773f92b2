export { WeightsFormatError } from './errors.ts';
export { decodeSafetensors, encodeSafetensors, validateTensorEntry, MAX_HEADER_BYTES, MAX_TENSOR_ELEMENTS, MAX_TENSOR_RANK } from './safetensors.ts';
export { bfloat16ToFloat32, float16ToFloat32, float32ToFloat16 } from './float16.ts';
export { DEFAULT_CONFIG, GRID_SIDE, MATURE_ALPHA, TEXTURE_CONFIG, configToJson, parseConfig, parseGridSize, perceptionFilters } from './config.ts';
export { isCount, isPlainObject } from './json.ts';
export { MIGRATIONS } from './migrations.ts';
export { CHECKPOINT_FORMAT, CHECKPOINT_MIGRATIONS, CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, isCheckpointFile } from './checkpoint.ts';
export {
  MAX_BUDGET_MINUTES,
  MIN_BUDGET_MINUTES,
  MAX_ITERATIONS,
  MAX_STEPS,
  parseRunPlan,
  recipeProblem,
  trainingSettingsProblem,
  TRAINING_SETTING_NAMES,
  TEXTURE_LOSS_NAMES,
} from './runPlan.ts';
export { importDistill, DistillFormatError, DISTILL_CONFIG, DISTILL_CREDIT } from './distill.ts';
export { importDistillTextures, DISTILL_TEXTURE_CONFIG, DISTILL_TEXTURES_CREDIT } from './distillTextures.ts';
export { decodeRgbaPng } from './png.ts';
export type { RgbaImage } from './png.ts';
export { readStateDict, writeStateDictSafetensors, writeTorchArchive, MAX_ARCHIVE_ENTRY_BYTES } from './torch/archive.ts';
export { readPickle } from './torch/pickle.ts';
export { exportNotebook, importNotebook, NOTEBOOK_CONFIG, NOTEBOOK_STATE_DICT, ourInput } from './torch/notebook.ts';
export { FORMAT_NAME, FORMAT_VERSION, PARAM_NAMES, paramShapes, parameterCount, readModel, writeModel } from './model.ts';

export type { WeightsFormatErrorCode } from './errors.ts';
export type { RawTensor, SafetensorsDType, SafetensorsFile, TensorEntry } from './safetensors.ts';
export type { AliveMasking, Display, NcaConfig, Padding, StartState } from './config.ts';
export type { Migration } from './migrations.ts';
export type { AdamState, Checkpoint, Resumption, SettingChange, TrainingState } from './checkpoint.ts';
export type { DamageRadius, ExemplarPlan, LrSchedule, RunPlan, TargetSource, TextureLossName, TimeBudget, TrainingSettings } from './runPlan.ts';
export type { NcaModel, NcaParams, NcaTarget, ParamName, WeightsDType } from './model.ts';
export type { StateDict, StateTensor } from './torch/archive.ts';
export type { PickleValue, StorageRef, TensorRef } from './torch/pickle.ts';
export { encodeGif } from './gif.ts';
export type { GifFrame, GifTiming } from './gif.ts';
