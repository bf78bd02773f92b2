// Float32 values <-> the little-endian bytes of each stored dtype. DataView pins the byte order,
// so the file is the same on a big-endian machine.
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';

/** uint8 storage: value = offset + scale * q, q in 0..255. */
export interface Quantization {
  scale: number;
  offset: number;
}

export function float32ToBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return bytes;
}

export function bytesToFloat32(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(bytes.byteLength / 4);
  for (let i = 0; i < values.length; i++) {
    values[i] = view.getFloat32(i * 4, true);
  }
  return values;
}

export function float32ToFloat16Bytes(values: Float32Array): Uint8Array {
  const halves = float32ToFloat16(values);
  const bytes = new Uint8Array(halves.length * 2);
  const view = new DataView(bytes.buffer);
  halves.forEach((half, i) => view.setUint16(i * 2, half, true));
  return bytes;
}

export function float16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const halves = new Uint16Array(bytes.byteLength / 2);
  for (let i = 0; i < halves.length; i++) {
    halves[i] = view.getUint16(i * 2, true);
  }
  return float16ToFloat32(halves);
}

/**
 * Per-tensor affine quantization: offset = min, scale = (max - min) / 255, so the error is at
 * most scale / 2. A constant tensor gets scale 0 and every q = 0. Values must be finite.
 */
export function quantizeUint8(values: Float32Array): { bytes: Uint8Array; quantization: Quantization } {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  if (values.length === 0) {
    min = 0;
    max = 0;
  }
  const scale = (max - min) / 255;
  const bytes = new Uint8Array(values.length);
  if (scale > 0) {
    values.forEach((value, i) => {
      bytes[i] = Math.min(255, Math.max(0, Math.round((value - min) / scale)));
    });
  }
  return { bytes, quantization: { scale, offset: min } };
}

export function dequantizeUint8(bytes: Uint8Array, { scale, offset }: Quantization): Float32Array {
  const values = new Float32Array(bytes.length);
  bytes.forEach((q, i) => {
    values[i] = offset + scale * q;
  });
  return values;
}
