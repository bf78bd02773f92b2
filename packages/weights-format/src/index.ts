export { WeightsFormatError } from './errors.ts';
export {
  decodeSafetensors,
  encodeSafetensors,
  validateTensorEntry,
  MAX_HEADER_BYTES,
  MAX_TENSOR_ELEMENTS,
  MAX_TENSOR_RANK,
} from './safetensors.ts';
export { float16ToFloat32, float32ToFloat16 } from './float16.ts';
export { DEFAULT_CONFIG, configToJson, parseConfig } from './config.ts';
export { MIGRATIONS } from './migrations.ts';
export { importDistill, DistillFormatError, DISTILL_CONFIG, DISTILL_CREDIT } from './distill.ts';
export { FORMAT_NAME, FORMAT_VERSION, parameterCount, readModel, writeModel } from './model.ts';

export type { WeightsFormatErrorCode } from './errors.ts';
export type { RawTensor, SafetensorsDType, SafetensorsFile, TensorEntry } from './safetensors.ts';
export type { AliveMasking, NcaConfig, Padding } from './config.ts';
export type { Migration } from './migrations.ts';
export type { NcaModel, NcaParams, NcaTarget, WeightsDType } from './model.ts';
