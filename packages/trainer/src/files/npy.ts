// NumPy's .npy format, version 1.0, for float32 arrays in C order: the magic "\x93NUMPY", the
// version bytes, a little-endian uint16 header length, a Python dict literal padded with spaces
// and a newline so the data starts 64-byte aligned, then the raw little-endian values.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PREAMBLE = MAGIC.length + 4; // magic, major, minor, uint16 header length
const ALIGN = 64;
/** Version 1.0 stores the header length in 16 bits. */
const MAX_HEADER = 0xffff;

function shapeTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Encodes a float32 array of `shape` (C order, last axis fastest) as a .npy file. */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (!shape.every((n) => Number.isSafeInteger(n) && n >= 0) || count !== data.length) {
    throw new RangeError(`encodeNpy: shape ${shapeTuple(shape)} holds ${count} values, the data ${data.length}`);
  }
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeTuple(shape)}, }`;
  const unpadded = PREAMBLE + dict.length + 1;
  const header = dict + ' '.repeat((ALIGN - (unpadded % ALIGN)) % ALIGN) + '\n';
  if (header.length > MAX_HEADER) {
    throw new RangeError(`encodeNpy: shape ${shapeTuple(shape)} needs a header too long for .npy version 1.0`);
  }
  const out = new Uint8Array(PREAMBLE + header.length + data.length * 4);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) {
    out[PREAMBLE + i] = header.charCodeAt(i);
  }
  const offset = PREAMBLE + header.length;
  for (let i = 0; i < data.length; i++) {
    view.setFloat32(offset + i * 4, data[i]!, true);
  }
  return out;
}

/** Reads back a .npy file written by `encodeNpy` (little-endian float32, C order, version 1.x). */
export function decodeNpy(bytes: Uint8Array): { data: Float32Array; shape: number[] } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < PREAMBLE || MAGIC.some((b, i) => bytes[i] !== b) || bytes[6] !== 1) {
    throw new RangeError('decodeNpy: not a .npy version 1 file');
  }
  const headerLength = view.getUint16(8, true);
  const header = String.fromCharCode(...bytes.subarray(PREAMBLE, PREAMBLE + headerLength));
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header) || shapeText === undefined) {
    throw new RangeError(`decodeNpy: expected little-endian float32 in C order, got header ${header.trim()}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = PREAMBLE + headerLength;
  if (bytes.length !== offset + count * 4) {
    throw new RangeError(`decodeNpy: shape (${shape.join(', ')}) needs ${count * 4} data bytes, the file has ${bytes.length - offset}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    data[i] = view.getFloat32(offset + i * 4, true);
  }
  return { data, shape };
}
