import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from './npy.ts';

describe('encodeNpy', () => {
  it('writes the NumPy 1.0 header: magic, version, 64-byte aligned dict, little-endian float32', () => {
    const bytes = encodeNpy(Float32Array.from([1, -2.5, 0.125, 3, 4, 5]), [1, 2, 3]);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const headerLength = bytes[8]! | (bytes[9]! << 8);
    expect((10 + headerLength) % 64).toBe(0);
    const header = String.fromCharCode(...bytes.subarray(10, 10 + headerLength));
    expect(header).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(1, 2, 3\), \} *\n$/);
    // -2.5 as little-endian float32 is 00 00 20 c0.
    expect(Array.from(bytes.subarray(10 + headerLength + 4, 10 + headerLength + 8))).toEqual([0, 0, 0x20, 0xc0]);
    expect(bytes.length).toBe(10 + headerLength + 6 * 4);
  });

  it('writes a one-element tuple for a 1-D shape', () => {
    const bytes = encodeNpy(new Float32Array(3), [3]);
    expect(String.fromCharCode(...bytes.subarray(10, 80))).toContain("'shape': (3,)");
  });

  it('round-trips through decodeNpy, non-finite values included', () => {
    const data = Float32Array.from({ length: 72 * 72 * 16 }, (_, i) => Math.sin(i) * 1e3);
    data[5] = Number.NaN;
    data[6] = -Infinity;
    const back = decodeNpy(encodeNpy(data, [72, 72, 16]));
    expect(back.shape).toEqual([72, 72, 16]);
    expect(back.data).toEqual(data);
  });

  it('refuses a shape that does not match the data', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/shape \(2, 3\) holds 6 values, the data 5/);
  });
});
