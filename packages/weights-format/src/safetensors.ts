// The safetensors container: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// (tensor name -> dtype, shape, data_offsets; optional "__metadata__" of strings), padded with
// spaces to an 8-byte boundary, then the raw little-endian tensor data, contiguous.
import { firstDuplicateKey } from './duplicateKeys.ts';
import { WeightsFormatError } from './errors.ts';
import { isCount, isPlainObject } from './json.ts';
import { decodeUtf8Strict, encodeUtf8 } from './utf8.ts';

export type SafetensorsDType = 'F32' | 'F16' | 'U8';

/** One tensor as stored: its raw little-endian bytes. */
export interface RawTensor {
  dtype: SafetensorsDType;
  shape: number[];
  bytes: Uint8Array;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Record<string, RawTensor>;
}

/** One validated tensor entry of the header. Offsets are relative to the first data byte. */
export interface TensorEntry {
  dtype: SafetensorsDType;
  shape: number[];
  dataOffsets: [begin: number, end: number];
}

/**
 * An NCA header is about 1 KiB. 16 MiB leaves room for generous metadata while a hostile length
 * prefix can never make us decode or parse more than that (Python's safetensors stops at 100 MB).
 */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/**
 * 2^28 elements (1 GiB of F32) holds the largest sample pool a checkpoint carries (core's
 * POOL_BYTES; the `regenerating` recipe's is 1024 x 72 x 72 x 16, 85 M) and keeps every byte
 * count far inside safe integers and typed-array limits. Reading never allocates more than the
 * file holds: an entry's data must lie inside it.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** Our tensors have rank 1 to 3; 8 leaves room without letting a header list millions of dims. */
export const MAX_TENSOR_RANK = 8;

/**
 * A length prefix of 2^48 (256 TiB) or more is no header length: it is what text or another
 * format's magic number reads as (a PNG's first 8 bytes read as about 7e17).
 */
const IMPLAUSIBLE_HEADER_BYTES = 2 ** 48;

const PREFIX_BYTES = 8;
const DATA_ALIGNMENT = 8;
const METADATA_KEY = '__metadata__';
const OPEN_BRACE = 0x7b;
const SPACE = 0x20;

export const ITEM_BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F16: 2, U8: 1 };

function isDType(value: unknown): value is SafetensorsDType {
  return value === 'F32' || value === 'F16' || value === 'U8';
}

/** Checks a shape and returns its element count, before anything of that size is allocated. */
function elementCount(shape: unknown, where: string, source: string | undefined): number {
  const bad = (why: string): WeightsFormatError => new WeightsFormatError('BAD_TENSOR_ENTRY', `${where}: shape ${why}`, source);
  if (!Array.isArray(shape)) {
    throw bad(`must be an array of dimensions, got ${JSON.stringify(shape) ?? typeof shape}`);
  }
  if (shape.length > MAX_TENSOR_RANK) {
    throw bad(`has ${shape.length} dimensions, at most ${MAX_TENSOR_RANK} are allowed`);
  }
  let count = 1;
  for (const dim of shape) {
    if (!isCount(dim)) {
      throw bad(`${JSON.stringify(shape)} must hold non-negative integers`);
    }
    if (dim > MAX_TENSOR_ELEMENTS) {
      throw bad(`${JSON.stringify(shape)} has a dimension above ${MAX_TENSOR_ELEMENTS}`);
    }
    count *= dim;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw bad(`${JSON.stringify(shape)} has more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
  }
  return count;
}

/**
 * Validates one header entry: dtype, shape, and data_offsets consistent with them. With
 * `dataLength` (bytes after the header) it also checks that the data lies inside the file.
 * Nothing is allocated; the entry is only read.
 */
export function validateTensorEntry(name: string, entry: unknown, options: { source?: string; dataLength?: number } = {}): TensorEntry {
  const { source, dataLength } = options;
  const where = `tensor '${name}'`;
  const bad = (why: string): WeightsFormatError => new WeightsFormatError('BAD_TENSOR_ENTRY', `${where}: ${why}`, source);
  if (!isPlainObject(entry)) {
    throw bad('entry must be an object {"dtype", "shape", "data_offsets"}');
  }
  const { dtype, shape, data_offsets: offsets } = entry;
  if (!isDType(dtype)) {
    throw bad(`dtype ${JSON.stringify(dtype) ?? 'is missing'} is not supported (expected "F32", "F16" or "U8")`);
  }
  const count = elementCount(shape, where, source);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isCount(offsets[0]) || !isCount(offsets[1])) {
    throw bad(`data_offsets must be [begin, end] of two non-negative integers, got ${JSON.stringify(offsets) ?? 'nothing'}`);
  }
  const [begin, end] = offsets as [number, number];
  const expectedBytes = count * ITEM_BYTES[dtype];
  if (end < begin || end - begin !== expectedBytes) {
    throw bad(`data_offsets [${begin}, ${end}] span ${end - begin} bytes, expected ${expectedBytes} ` + `(${dtype} ${JSON.stringify(shape)})`);
  }
  if (dataLength !== undefined && end > dataLength) {
    throw bad(`data_offsets [${begin}, ${end}] run past the end of the data (${dataLength} bytes)`);
  }
  return { dtype, shape: [...(shape as number[])], dataOffsets: [begin, end] };
}

function toBytes(input: unknown, source: string | undefined): Uint8Array {
  // The tag check also accepts an ArrayBuffer from another realm (an iframe, a worker's copy).
  if (input instanceof ArrayBuffer || Object.prototype.toString.call(input) === '[object ArrayBuffer]') {
    return new Uint8Array(input as ArrayBuffer);
  }
  // A plain view even for a subclass: Node's Buffer.slice shares memory instead of copying.
  if (ArrayBuffer.isView(input)) {
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  }
  throw new WeightsFormatError(
    'NOT_SAFETENSORS',
    `expected the file's bytes as an ArrayBuffer or Uint8Array, got ${input === null ? 'null' : typeof input}`,
    source,
  );
}

function parseHeader(bytes: Uint8Array, headerBytes: number, source: string | undefined): Record<string, unknown> {
  const raw = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes);
  let header: unknown;
  let text: string;
  try {
    text = decodeUtf8Strict(raw);
    header = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new WeightsFormatError('BAD_HEADER_JSON', `header is not valid UTF-8 JSON (${why})`, source);
  }
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) {
    throw new WeightsFormatError('BAD_HEADER_JSON', `header has the key ${JSON.stringify(duplicate)} twice`, source);
  }
  if (!isPlainObject(header)) {
    const kind = Array.isArray(header) ? 'an array' : header === null ? 'null' : `a ${typeof header}`;
    throw new WeightsFormatError('BAD_HEADER_JSON', `header must be a JSON object, got ${kind}`, source);
  }
  // Python's safetensors rejects a header that does not start with '{' (leading whitespace
  // included), so we do too: whatever this reader accepts, Python loads.
  if (raw[0] !== OPEN_BRACE) {
    throw new WeightsFormatError('BAD_HEADER_JSON', `header must start with '{'`, source);
  }
  return header;
}

function parseMetadata(value: unknown, source: string | undefined): Record<string, string> {
  if (value === null) {
    return {};
  }
  if (!isPlainObject(value)) {
    throw new WeightsFormatError('BAD_METADATA', `${METADATA_KEY} must be an object of strings`, source);
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new WeightsFormatError(
        'BAD_METADATA',
        `${METADATA_KEY} value '${key}' must be a string (safetensors rule), got ${item === null ? 'null' : typeof item}`,
        source,
      );
    }
  }
  return Object.fromEntries(Object.entries(value)) as Record<string, string>;
}

/**
 * Parses and validates a safetensors file: length prefix against limits, header JSON, every
 * entry, and a data region covered exactly once by the tensors. Tensor bytes are copied out
 * only after all of that passed. Tensors come back in the order their data is laid out.
 */
export function decodeSafetensors(input: ArrayBuffer | Uint8Array, options: { source?: string } = {}): SafetensorsFile {
  const { source } = options;
  const bytes = toBytes(input, source);
  if (bytes.byteLength < PREFIX_BYTES) {
    throw new WeightsFormatError('TRUNCATED', `file is ${bytes.byteLength} bytes, too short for the 8-byte safetensors header length`, source);
  }
  const prefix = new DataView(bytes.buffer, bytes.byteOffset, PREFIX_BYTES);
  const low = prefix.getUint32(0, true);
  const high = prefix.getUint32(4, true);
  if (high >= IMPLAUSIBLE_HEADER_BYTES / 2 ** 32) {
    throw new WeightsFormatError('NOT_SAFETENSORS', 'not a safetensors file: the first 8 bytes are not a plausible header length', source);
  }
  const headerBytes = high * 2 ** 32 + low;
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new WeightsFormatError('HEADER_TOO_LARGE', `header length ${headerBytes} bytes exceeds the limit of ${MAX_HEADER_BYTES} bytes`, source);
  }
  if (headerBytes < 2) {
    throw new WeightsFormatError('NOT_SAFETENSORS', `not a safetensors file: header length ${headerBytes} is too small for a JSON object`, source);
  }
  const dataStart = PREFIX_BYTES + headerBytes;
  if (dataStart > bytes.byteLength) {
    throw new WeightsFormatError(
      'TRUNCATED',
      `file is truncated: header claims ${headerBytes} bytes but only ${bytes.byteLength - PREFIX_BYTES} follow`,
      source,
    );
  }
  const dataLength = bytes.byteLength - dataStart;
  const header = parseHeader(bytes, headerBytes, source);

  let metadata: Record<string, string> = {};
  const entries: { name: string; entry: TensorEntry }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, source);
    } else {
      entries.push({ name, entry: validateTensorEntry(name, value, { source }) });
    }
  }

  // The data region must be covered exactly once: sorted by offset, each tensor starts where
  // the previous one ended, and the last one ends at the end of the file.
  entries.sort((a, b) => a.entry.dataOffsets[0] - b.entry.dataOffsets[0] || a.entry.dataOffsets[1] - b.entry.dataOffsets[1]);
  let covered = 0;
  let previous: string | undefined;
  for (const { name, entry } of entries) {
    const [begin, end] = entry.dataOffsets;
    if (begin !== covered) {
      const why = begin < covered ? `overlap tensor '${previous ?? ''}', which ends at ${covered}` : `leave bytes ${covered}..${begin} of the data uncovered`;
      throw new WeightsFormatError('BAD_TENSOR_ENTRY', `tensor '${name}': data_offsets [${begin}, ${end}] ${why}`, source);
    }
    covered = end;
    previous = name;
  }
  if (covered > dataLength) {
    const cut = entries.find(({ entry }) => entry.dataOffsets[1] > dataLength);
    throw new WeightsFormatError(
      'TRUNCATED',
      `file is truncated: tensor '${cut?.name ?? ''}' ends at data byte ${cut?.entry.dataOffsets[1] ?? covered}, ` +
        `but only ${dataLength} data bytes follow the header`,
      source,
    );
  }
  if (covered < dataLength) {
    throw new WeightsFormatError(
      'BAD_TENSOR_ENTRY',
      `the last ${dataLength - covered} data bytes belong to no tensor (data_offsets cover ${covered} of ${dataLength})`,
      source,
    );
  }

  const tensors = Object.fromEntries(
    entries.map(({ name, entry }): [string, RawTensor] => {
      const [begin, end] = entry.dataOffsets;
      return [name, { dtype: entry.dtype, shape: entry.shape, bytes: bytes.slice(dataStart + begin, dataStart + end) }];
    }),
  );
  return { metadata, tensors };
}

/**
 * Writes a safetensors file with the tensors laid out in the order of `file.tensors` and the
 * header keys in that order too, so the same input always gives the same bytes. The result is
 * backed by a plain ArrayBuffer, so it can go straight into a Blob or a fetch body.
 */
export function encodeSafetensors(file: SafetensorsFile): Uint8Array<ArrayBuffer> {
  const fields: string[] = [];
  const metadata = Object.entries(file.metadata);
  for (const [key, value] of metadata) {
    if (typeof value !== 'string') {
      throw new WeightsFormatError('BAD_METADATA', `metadata '${key}' must be a string (safetensors rule), got ${typeof value}`);
    }
  }
  if (metadata.length > 0) {
    const pairs = metadata.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`);
    fields.push(`${JSON.stringify(METADATA_KEY)}:{${pairs.join(',')}}`);
  }

  const tensors = Object.entries(file.tensors);
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const where = `tensor '${name}'`;
    if (name === METADATA_KEY) {
      throw new WeightsFormatError('BAD_TENSOR_ENTRY', `${where}: the name is reserved for metadata`);
    }
    if (!isDType(tensor.dtype)) {
      throw new WeightsFormatError('BAD_TENSOR_ENTRY', `${where}: dtype ${JSON.stringify(tensor.dtype)} is not supported`);
    }
    const expectedBytes = elementCount(tensor.shape, where, undefined) * ITEM_BYTES[tensor.dtype];
    if (tensor.bytes.byteLength !== expectedBytes) {
      throw new WeightsFormatError(
        'BAD_TENSOR_ENTRY',
        `${where}: has ${tensor.bytes.byteLength} bytes, expected ${expectedBytes} (${tensor.dtype} ${JSON.stringify(tensor.shape)})`,
      );
    }
    const entry = `{"dtype":"${tensor.dtype}","shape":${JSON.stringify(tensor.shape)},"data_offsets":[${offset},${offset + expectedBytes}]}`;
    fields.push(`${JSON.stringify(name)}:${entry}`);
    offset += expectedBytes;
  }

  const json = encodeUtf8(`{${fields.join(',')}}`);
  const padding = (DATA_ALIGNMENT - (json.byteLength % DATA_ALIGNMENT)) % DATA_ALIGNMENT;
  const headerBytes = json.byteLength + padding;
  if (headerBytes > MAX_HEADER_BYTES) {
    throw new WeightsFormatError('HEADER_TOO_LARGE', `header would be ${headerBytes} bytes, above the limit of ${MAX_HEADER_BYTES}`);
  }

  const out = new Uint8Array(PREFIX_BYTES + headerBytes + offset);
  const prefix = new DataView(out.buffer);
  prefix.setUint32(0, headerBytes, true);
  prefix.setUint32(4, 0, true);
  out.set(json, PREFIX_BYTES);
  out.fill(SPACE, PREFIX_BYTES + json.byteLength, PREFIX_BYTES + headerBytes);
  let at = PREFIX_BYTES + headerBytes;
  for (const [, tensor] of tensors) {
    out.set(tensor.bytes, at);
    at += tensor.bytes.byteLength;
  }
  return out;
}
