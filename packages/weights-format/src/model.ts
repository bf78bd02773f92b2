// The NCA weights file (docs/design.md §5): a safetensors container whose metadata names the
// format, its version and the config, and whose tensors are the update rule's two dense layers,
// optionally with the training target.
import { configToJson, parseConfig, perceptionFilters, validateConfig } from './config.ts';
import type { NcaConfig } from './config.ts';
import { WeightsFormatError } from './errors.ts';
import { isCount, isPlainObject } from './json.ts';
import type { WeightsFormatErrorCode } from './errors.ts';
import { migrate, parseFormatVersion } from './migrations.ts';
import { decodeSafetensors, encodeSafetensors, MAX_TENSOR_ELEMENTS } from './safetensors.ts';
import type { RawTensor, SafetensorsDType } from './safetensors.ts';
import { bytesToFloat32, dequantizeUint8, float16BytesToFloat32, float32ToBytes, float32ToFloat16Bytes, quantizeUint8 } from './tensor-data.ts';
import type { Quantization } from './tensor-data.ts';

export const FORMAT_NAME = 'nca-weights';
export const FORMAT_VERSION = 2;

export type WeightsDType = 'float32' | 'float16' | 'uint8';

/** Row-major. dense1.weight [3C (4C with the Laplacian), hidden], dense1.bias [hidden], dense2.weight [hidden, C], dense2.bias [C]. */
export interface NcaParams {
  dense1Weight: Float32Array;
  dense1Bias: Float32Array;
  dense2Weight: Float32Array;
  dense2Bias: Float32Array;
}

export interface NcaTarget {
  width: number;
  height: number;
  /** RGBA, height * width * 4 bytes, RGB premultiplied by alpha as trained. */
  data: Uint8Array;
  name?: string;
  /** The target_size the image was shrunk to, before padding. */
  size?: number;
  /** Pixels of padding added on each side. */
  padding?: number;
}

export interface NcaModel {
  config: NcaConfig;
  params: NcaParams;
  target?: NcaTarget;
  /** Stored as JSON in metadata "training": preset, iterations, final_loss, backend, date, tool_version... */
  training?: Record<string, unknown>;
  /** Stored as JSON in metadata "source": provenance and credit of an imported model. */
  source?: Record<string, unknown>;
}

const DTYPES: Record<WeightsDType, SafetensorsDType> = { float32: 'F32', float16: 'F16', uint8: 'U8' };
const FLOAT16_MAX = 65504;
/** Halfway between 65504 and the next step (65536): from here on float16 rounds to infinity. */
const FLOAT16_OVERFLOW = 65520;
const TARGET_TENSOR = 'target';

/** The update rule's parameters, in the order every list of them (gradients, Adam's moments) uses. */
export const PARAM_NAMES = ['dense1Weight', 'dense1Bias', 'dense2Weight', 'dense2Bias'] as const satisfies ReadonlyArray<keyof NcaParams>;

export type ParamName = (typeof PARAM_NAMES)[number];

/** Each parameter's shape for a config: the perception (3C, or 4C) to hidden to the update (C). */
export function paramShapes(
  config: Pick<NcaConfig, 'channels' | 'hidden'> & Partial<Pick<NcaConfig, 'laplacian'>>,
): Record<ParamName, [number] | [number, number]> {
  const { channels: c, hidden: h } = config;
  return { dense1Weight: [perceptionFilters(config) * c, h], dense1Bias: [h], dense2Weight: [h, c], dense2Bias: [c] };
}

const STORED_NAMES: Record<ParamName, string> = {
  dense1Weight: 'dense1.weight',
  dense1Bias: 'dense1.bias',
  dense2Weight: 'dense2.weight',
  dense2Bias: 'dense2.bias',
};

/** The stored tensor name of each parameter and its shape for a config. */
function paramTensors(
  config: Pick<NcaConfig, 'channels' | 'hidden'> & Partial<Pick<NcaConfig, 'laplacian'>>,
): { name: string; key: ParamName; shape: number[] }[] {
  const shapes = paramShapes(config);
  return PARAM_NAMES.map((key) => ({ name: STORED_NAMES[key], key, shape: shapes[key] }));
}

/** 3C * hidden + hidden + hidden * C + C: 8336 for the default 16 channels, 128 hidden. */
export function parameterCount(config: Pick<NcaConfig, 'channels' | 'hidden'> & Partial<Pick<NcaConfig, 'laplacian'>>): number {
  return paramTensors(config).reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0);
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Where a flat index lies in a row-major tensor, for messages. */
function position(index: number, shape: readonly number[]): string {
  const columns = shape[1];
  return shape.length === 2 && columns !== undefined ? `[${Math.floor(index / columns)}, ${index % columns}]` : `[${index}]`;
}

export function assertFinite(name: string, values: Float32Array, shape: readonly number[], source: string | undefined): void {
  const index = values.findIndex((value) => !Number.isFinite(value));
  if (index >= 0) {
    throw new WeightsFormatError(
      'NON_FINITE',
      `tensor '${name}' has a non-finite value (${values[index]}) at ${position(index, shape)}; weights must be finite`,
      source,
    );
  }
}

function stringifyJson(key: string, value: unknown): string {
  if (!isPlainObject(value)) {
    throw new WeightsFormatError('BAD_METADATA', `${key} must be a plain object`);
  }
  try {
    return JSON.stringify(value);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new WeightsFormatError('BAD_METADATA', `${key} cannot be stored as JSON (${why})`);
  }
}

function validateTarget(target: NcaTarget): void {
  const { width, height, data, name, size, padding } = target;
  if (!isCount(width) || !isCount(height) || width < 1 || height < 1 || width * height * 4 > MAX_TENSOR_ELEMENTS) {
    throw new WeightsFormatError('BAD_SHAPE', `target width and height must be positive integers, got ${width} x ${height}`);
  }
  if (!(data instanceof Uint8Array) || data.length !== width * height * 4) {
    const got = data instanceof Uint8Array ? `${data.length} bytes` : typeof data;
    throw new WeightsFormatError('BAD_SHAPE', `target data must be ${height} x ${width} x 4 = ${width * height * 4} RGBA bytes, got ${got}`);
  }
  if ((name !== undefined && typeof name !== 'string') || (size !== undefined && !isCount(size)) || (padding !== undefined && !isCount(padding))) {
    throw new WeightsFormatError('BAD_METADATA', 'target name must be a string, size and padding non-negative integers');
  }
}

function encodeParam(name: string, values: Float32Array, dtype: WeightsDType): { bytes: Uint8Array; quantization?: Quantization } {
  if (dtype === 'float16') {
    const index = values.findIndex((value) => Math.abs(value) >= FLOAT16_OVERFLOW);
    if (index >= 0) {
      throw new WeightsFormatError(
        'NON_FINITE',
        `tensor '${name}' value ${values[index]} at [${index}] overflows float16 (max ${FLOAT16_MAX}); write float32 instead`,
      );
    }
    return { bytes: float32ToFloat16Bytes(values) };
  }
  return dtype === 'uint8' ? quantizeUint8(values) : { bytes: float32ToBytes(values) };
}

/**
 * Writes a model as an NCA weights file. The config, every parameter's shape (BAD_SHAPE) and
 * finiteness (NON_FINITE) are checked first, so the writer never makes a file its reader refuses.
 */
export function writeModel(model: NcaModel, options: { dtype?: WeightsDType } = {}): Uint8Array<ArrayBuffer> {
  const dtype = options.dtype ?? 'float32';
  if (!Object.hasOwn(DTYPES, dtype)) {
    throw new WeightsFormatError('BAD_TENSOR_ENTRY', `dtype ${JSON.stringify(dtype)} is not one of float32, float16, uint8`);
  }
  const config = validateConfig(model.config);
  const tensors: Record<string, RawTensor> = {};
  const quantization: Record<string, Quantization> = {};
  for (const { name, key, shape } of paramTensors(config)) {
    const values = model.params[key];
    const expected = shape.reduce((a, b) => a * b, 1);
    if (!(values instanceof Float32Array) || values.length !== expected) {
      const got = values instanceof Float32Array ? `${values.length} values` : 'no Float32Array';
      throw new WeightsFormatError(
        'BAD_SHAPE',
        `params.${key} (${name}) has ${got}, expected ${shapeText(shape)} = ${expected} ` + `for channels ${config.channels}, hidden ${config.hidden}`,
      );
    }
    assertFinite(name, values, shape, undefined);
    const encoded = encodeParam(name, values, dtype);
    tensors[name] = { dtype: DTYPES[dtype], shape, bytes: encoded.bytes };
    if (encoded.quantization !== undefined) {
      quantization[name] = encoded.quantization;
    }
  }

  const metadata: Record<string, string> = {
    format: FORMAT_NAME,
    format_version: String(FORMAT_VERSION),
    config: JSON.stringify(configToJson(config)),
  };
  const { target } = model;
  if (target !== undefined) {
    validateTarget(target);
    const { name, size, padding, width, height } = target;
    metadata['target'] = JSON.stringify({ name, size, padding, width, height });
    tensors[TARGET_TENSOR] = { dtype: 'U8', shape: [height, width, 4], bytes: target.data };
  }
  if (model.training !== undefined) {
    metadata['training'] = stringifyJson('training', model.training);
  }
  if (model.source !== undefined) {
    metadata['source'] = stringifyJson('source', model.source);
  }
  if (dtype === 'uint8') {
    metadata['quantization'] = JSON.stringify(quantization);
  }
  return encodeSafetensors({ metadata, tensors });
}

/** Parses a JSON metadata value, or returns undefined where the key is absent. */
function jsonMetadata(
  metadata: Record<string, string>,
  key: string,
  code: WeightsFormatErrorCode,
  source: string | undefined,
): Record<string, unknown> | undefined {
  const raw = own(metadata, key);
  if (raw === undefined) {
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new WeightsFormatError(code, `metadata '${key}' is not valid JSON`, source);
  }
  if (!isPlainObject(value)) {
    throw new WeightsFormatError(code, `metadata '${key}' must be a JSON object`, source);
  }
  return value;
}

function quantizationOf(name: string, table: Record<string, unknown> | undefined, source: string | undefined): Quantization {
  const entry = table === undefined ? undefined : own(table, name);
  if (entry === undefined) {
    throw new WeightsFormatError('BAD_METADATA', `tensor '${name}' is U8 but metadata 'quantization' has no entry for it`, source);
  }
  if (!isPlainObject(entry)) {
    throw new WeightsFormatError('BAD_METADATA', `quantization of '${name}' must be {"scale", "offset"}`, source);
  }
  const { scale, offset } = entry;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0 || typeof offset !== 'number' || !Number.isFinite(offset)) {
    throw new WeightsFormatError(
      'BAD_METADATA',
      `quantization of '${name}' must have a finite scale >= 0 and a finite offset, got ${JSON.stringify(entry)}`,
      source,
    );
  }
  return { scale, offset };
}

function decodeValues(name: string, tensor: RawTensor, quantization: Record<string, unknown> | undefined, source: string | undefined): Float32Array {
  switch (tensor.dtype) {
    case 'F32':
      return bytesToFloat32(tensor.bytes);
    case 'F16':
      return float16BytesToFloat32(tensor.bytes);
    case 'U8':
      return dequantizeUint8(tensor.bytes, quantizationOf(name, quantization, source));
  }
}

function readTarget(tensors: Record<string, RawTensor>, metadata: Record<string, string>, source: string | undefined): NcaTarget | undefined {
  const tensor = own(tensors, TARGET_TENSOR);
  if (tensor === undefined) {
    // Target metadata without the pixels describes nothing we can return; it is ignored.
    return undefined;
  }
  const [height, width, depth] = tensor.shape;
  if (tensor.dtype !== 'U8' || tensor.shape.length !== 3 || depth !== 4 || !height || !width) {
    throw new WeightsFormatError('BAD_SHAPE', `tensor 'target' is ${tensor.dtype} ${shapeText(tensor.shape)}, expected U8 [height, width, 4] (RGBA)`, source);
  }
  const target: NcaTarget = { width, height, data: tensor.bytes };
  const info = jsonMetadata(metadata, 'target', 'BAD_METADATA', source) ?? {};
  const bad = (why: string): WeightsFormatError => new WeightsFormatError('BAD_METADATA', `metadata 'target': ${why}`, source);
  for (const [key, size] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (info[key] !== undefined && info[key] !== size) {
      throw bad(`${key} ${JSON.stringify(info[key])} does not match the target tensor's ${size}`);
    }
  }
  const { name, size, padding } = info;
  if (name !== undefined) {
    if (typeof name !== 'string') {
      throw bad('name must be a string');
    }
    target.name = name;
  }
  for (const [key, value] of [
    ['size', size],
    ['padding', padding],
  ] as const) {
    if (value !== undefined) {
      if (!isCount(value)) {
        throw bad(`${key} must be a non-negative integer, got ${JSON.stringify(value)}`);
      }
      target[key] = value;
    }
  }
  return target;
}

/**
 * Reads an NCA weights file: container, format name, version (older ones migrated, newer
 * refused), config, every tensor's presence, shape and finiteness. float16 and uint8 tensors
 * come back as Float32Array. Every failure is a WeightsFormatError naming `source`.
 */
export function readModel(input: ArrayBuffer | Uint8Array, options: { source?: string } = {}): NcaModel {
  const { source } = options;
  const container = decodeSafetensors(input, { source });
  const format = own(container.metadata, 'format');
  if (format !== FORMAT_NAME) {
    throw new WeightsFormatError(
      'WRONG_FORMAT',
      format === undefined
        ? `not an NCA weights file: metadata has no 'format' (expected "${FORMAT_NAME}")`
        : `format is ${JSON.stringify(format)}, expected "${FORMAT_NAME}"`,
      source,
    );
  }
  const version = parseFormatVersion(own(container.metadata, 'format_version'), FORMAT_VERSION, source);
  const { metadata, tensors } = migrate(container, version, FORMAT_VERSION, source);

  const storedConfig = jsonMetadata(metadata, 'config', 'BAD_CONFIG', source);
  if (storedConfig === undefined) {
    throw new WeightsFormatError('BAD_CONFIG', `metadata has no 'config'`, source);
  }
  const config = parseConfig(storedConfig, { source });

  const quantization = jsonMetadata(metadata, 'quantization', 'BAD_METADATA', source);
  const params = {} as NcaParams;
  for (const { name, key, shape } of paramTensors(config)) {
    const tensor = own(tensors, name);
    if (tensor === undefined) {
      throw new WeightsFormatError('MISSING_TENSOR', `missing tensor '${name}' (expected ${shapeText(shape)})`, source);
    }
    if (shapeText(tensor.shape) !== shapeText(shape)) {
      throw new WeightsFormatError(
        'BAD_SHAPE',
        `tensor '${name}' has shape ${shapeText(tensor.shape)}, expected ${shapeText(shape)} ` + `for channels ${config.channels}, hidden ${config.hidden}`,
        source,
      );
    }
    const values = decodeValues(name, tensor, quantization, source);
    assertFinite(name, values, shape, source);
    params[key] = values;
  }

  const model: NcaModel = { config, params };
  const target = readTarget(tensors, metadata, source);
  if (target !== undefined) {
    model.target = target;
  }
  const training = jsonMetadata(metadata, 'training', 'BAD_METADATA', source);
  if (training !== undefined) {
    model.training = training;
  }
  const provenance = jsonMetadata(metadata, 'source', 'BAD_METADATA', source);
  if (provenance !== undefined) {
    model.source = provenance;
  }
  return model;
}
