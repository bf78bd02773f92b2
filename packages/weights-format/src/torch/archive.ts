// PyTorch's state-dict files, read and written without PyTorch: `torch.save` archives (a zip
// holding `<name>/data.pkl`, a pickle whose tensors point by key at the raw little-endian
// storages `<name>/data/<key>`) and safetensors state dicts.
import { unzipSync, zipSync, type Unzipped } from 'fflate';
import { WeightsFormatError } from '../errors.ts';
import { bfloat16ToFloat32, float16ToFloat32 } from '../float16.ts';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from '../safetensors.ts';
import { decodeUtf8Strict, encodeUtf8 } from '../utf8.ts';
import { readPickle, type PickleValue, type StorageType, type TensorRef } from './pickle.ts';
import { writeStateDictPickle } from './pickleWrite.ts';

/** One tensor of a state dict, as float32 in row-major order. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
  /** How it was stored. */
  dtype: 'float32' | 'float16' | 'bfloat16';
}

export type StateDict = Map<string, StateTensor>;

/** Larger than any NCA; a pickle or storage beyond it is refused before it is inflated. */
export const MAX_ARCHIVE_ENTRY_BYTES = 256 * 2 ** 20;

const ITEM_BYTES: Record<StorageType, number> = { FloatStorage: 4, HalfStorage: 2, BFloat16Storage: 2 };
const DTYPES: Record<StorageType, StateTensor['dtype']> = { FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16' };

function bad(code: 'BAD_ARCHIVE' | 'BAD_STATE_DICT', detail: string, source: string | undefined): WeightsFormatError {
  return new WeightsFormatError(code, detail, source);
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

/**
 * Reads a state dict from a `torch.save` archive or a safetensors file. Throws the format's
 * error (BAD_ARCHIVE, BAD_PICKLE, BAD_STATE_DICT, or a safetensors code) on anything else.
 */
export function readStateDict(bytes: Uint8Array, source?: string): StateDict {
  if (isZip(bytes)) {
    return readTorchArchive(bytes, source);
  }
  if (bytes.length >= 2 && bytes[0] === 0x80 && bytes[1]! <= 5) {
    throw bad(
      'BAD_ARCHIVE',
      'a bare pickle (the format of torch < 1.6, or torch.save(..., _use_new_zipfile_serialization=False)) is not read: save it again with a current torch.save',
      source,
    );
  }
  const file = decodeSafetensors(bytes, source === undefined ? {} : { source });
  const dict: StateDict = new Map();
  for (const [name, tensor] of Object.entries(file.tensors)) {
    if (tensor.dtype === 'U8') {
      throw bad('BAD_STATE_DICT', `tensor ${name} is U8; a state dict of floats (F32, F16) is expected`, source);
    }
    dict.set(name, {
      shape: tensor.shape,
      data: floats(tensor.bytes, tensor.dtype === 'F32' ? 'FloatStorage' : 'HalfStorage'),
      dtype: tensor.dtype === 'F32' ? 'float32' : 'float16',
    });
  }
  return dict;
}

function unzip(bytes: Uint8Array, keep: (name: string, size: number) => boolean, source: string | undefined): Unzipped {
  try {
    return unzipSync(bytes, { filter: (file) => keep(file.name, file.originalSize) });
  } catch (error) {
    if (error instanceof WeightsFormatError) {
      throw error;
    }
    throw bad('BAD_ARCHIVE', `not a readable zip archive (${error instanceof Error ? error.message : String(error)})`, source);
  }
}

function readTorchArchive(bytes: Uint8Array, source: string | undefined): StateDict {
  // Every entry's uncompressed size, from the central directory; then the pickle (and the byte
  // order); then only the storages it names, each checked against its declared size first.
  const sizes = new Map<string, number>();
  const head = unzip(
    bytes,
    (name, size) => {
      if (size > MAX_ARCHIVE_ENTRY_BYTES) {
        throw bad('BAD_ARCHIVE', `archive entry ${name} is ${size} bytes, over the ${MAX_ARCHIVE_ENTRY_BYTES} byte limit`, source);
      }
      sizes.set(name, size);
      return /(^|\/)(data\.pkl|byteorder)$/.test(name);
    },
    source,
  );
  const pickleName = Object.keys(head).find((name) => name.endsWith('data.pkl'));
  if (pickleName === undefined) {
    throw bad('BAD_ARCHIVE', 'a zip archive without data.pkl: not a torch.save file', source);
  }
  const prefix = pickleName.slice(0, -'data.pkl'.length);
  const order = head[`${prefix}byteorder`];
  if (order !== undefined && decodeUtf8Strict(order).trim() !== 'little') {
    throw bad('BAD_ARCHIVE', 'a big-endian archive: save it on a little-endian machine', source);
  }
  const root = readPickle(head[pickleName]!, source);
  if (!(root instanceof Map)) {
    throw bad('BAD_STATE_DICT', 'the pickle is not a dict of tensors (save model.state_dict(), not the model)', source);
  }
  const refs = new Map<string, TensorRef>();
  for (const [key, value] of root) {
    if (typeof key !== 'string' || !isTensor(value)) {
      throw bad('BAD_STATE_DICT', `entry ${JSON.stringify(key)} is not a tensor (save model.state_dict(), not the model)`, source);
    }
    refs.set(key, value);
  }
  // Declared sizes are checked against the entries before any storage is inflated.
  const wanted = new Map<string, TensorRef>();
  for (const [key, ref] of refs) {
    const name = `${prefix}data/${ref.storage.key}`;
    const size = sizes.get(name);
    const declared = ref.storage.numel * ITEM_BYTES[ref.storage.type];
    if (size !== declared) {
      throw bad('BAD_ARCHIVE', `tensor ${key}: its storage declares ${declared} bytes, the archive entry ${name} holds ${size ?? 'none'}`, source);
    }
    checkView(key, ref, source);
    wanted.set(name, ref);
  }
  const storages = unzip(bytes, (name) => wanted.has(name), source);
  const dict: StateDict = new Map();
  for (const [key, ref] of refs) {
    const raw = storages[`${prefix}data/${ref.storage.key}`]!;
    dict.set(key, { shape: ref.shape, data: gather(floats(raw, ref.storage.type), ref), dtype: DTYPES[ref.storage.type] });
  }
  return dict;
}

function isTensor(value: PickleValue): value is TensorRef {
  return (
    typeof value === 'object' && value !== null && !(value instanceof Map) && !Array.isArray(value) && !(value instanceof Uint8Array) && value.kind === 'tensor'
  );
}

/** The view's last element lies inside its storage. */
function checkView(key: string, ref: TensorRef, source: string | undefined): void {
  const empty = ref.shape.some((n) => n === 0);
  const last = ref.offset + ref.shape.reduce((sum, n, i) => sum + (n - 1) * ref.stride[i]!, 0);
  if (!empty && last >= ref.storage.numel) {
    throw bad(
      'BAD_ARCHIVE',
      `tensor ${key}: a view of size ${JSON.stringify(ref.shape)} at offset ${ref.offset} runs past its storage of ${ref.storage.numel} elements`,
      source,
    );
  }
}

function floats(raw: Uint8Array, type: StorageType): Float32Array {
  const copy = raw.slice();
  if (type === 'FloatStorage') {
    return new Float32Array(copy.buffer, 0, copy.length / 4);
  }
  const halves = new Uint16Array(copy.buffer, 0, copy.length / 2);
  return type === 'HalfStorage' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

/** The view as a row-major array (a state dict's tensors are contiguous, but need not be). */
function gather(storage: Float32Array, ref: TensorRef): Float32Array {
  const count = ref.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(count);
  const index = new Array<number>(ref.shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = ref.offset;
    for (let d = 0; d < index.length; d++) {
      at += index[d]! * ref.stride[d]!;
    }
    out[i] = storage[at]!;
    for (let d = index.length - 1; d >= 0; d--) {
      if (++index[d]! < ref.shape[d]!) {
        break;
      }
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A `torch.save` archive of float32 tensors that `torch.load(path, weights_only=True)` reads:
 * `<name>/data.pkl`, `<name>/data/<i>`, `<name>/version`, `<name>/byteorder`, stored uncompressed.
 */
export function writeTorchArchive(tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>, name = 'archive'): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const entries = [...tensors].map(([key, tensor], i) => {
    files[`${name}/data/${i}`] = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).slice();
    return { key, storageKey: String(i), shape: tensor.shape, numel: tensor.data.length };
  });
  return zipSync(
    {
      [`${name}/data.pkl`]: writeStateDictPickle(entries),
      ...files,
      [`${name}/version`]: encodeUtf8('3\n'),
      [`${name}/byteorder`]: encodeUtf8('little'),
    },
    { level: 0 },
  );
}

/** A safetensors state dict (what `safetensors.torch.save_file` writes), float32. */
export function writeStateDictSafetensors(
  tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const raw: Record<string, RawTensor> = {};
  for (const [key, tensor] of tensors) {
    raw[key] = { dtype: 'F32', shape: tensor.shape, bytes: new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength) };
  }
  return encodeSafetensors({ metadata, tensors: raw });
}
