import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { SafetensorsFile } from './safetensors.ts';
import { WeightsFormatError } from './errors.ts';

const ascii = (text: string): number[] => [...text].map((ch) => ch.charCodeAt(0));

describe('encodeSafetensors layout', () => {
  const tiny: SafetensorsFile = {
    metadata: { note: 'hi!' },
    tensors: {
      a: { dtype: 'F32', shape: [2], bytes: Uint8Array.of(0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0) }, // 1.5, -2
      b: { dtype: 'U8', shape: [3], bytes: Uint8Array.of(1, 2, 3) },
    },
  };

  it('writes the exact safetensors bytes: u64 length, header JSON, space padding, raw data', () => {
    const header =
      '{"__metadata__":{"note":"hi!"},' + '"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},' + '"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]}}';
    expect(header.length).toBe(137); // so 7 spaces pad the data start to 8 + 144 = 152
    const expected = Uint8Array.from([
      0x90,
      0,
      0,
      0,
      0,
      0,
      0,
      0, // 144, little-endian u64
      ...ascii(header),
      ...ascii('       '),
      0x00,
      0x00,
      0xc0,
      0x3f,
      0x00,
      0x00,
      0x00,
      0xc0, // a: 1.5, -2 as little-endian float32
      1,
      2,
      3, // b
    ]);
    expect([...encodeSafetensors(tiny)]).toEqual([...expected]);
  });

  it('reads back what it wrote', () => {
    const file = decodeSafetensors(encodeSafetensors(tiny));
    expect(file).toEqual(tiny);
    expect(Object.keys(file.tensors)).toEqual(['a', 'b']);
  });

  it('aligns the data start to 8 bytes whatever the header length', () => {
    for (let n = 1; n <= 16; n++) {
      const bytes = encodeSafetensors({ metadata: {}, tensors: { ['x'.repeat(n)]: { dtype: 'U8', shape: [1], bytes: Uint8Array.of(7) } } });
      const headerLength = new DataView(bytes.buffer).getUint32(0, true);
      expect((8 + headerLength) % 8).toBe(0);
      expect(bytes[8 + headerLength]).toBe(7);
      const header = String.fromCharCode(...bytes.subarray(8, 8 + headerLength));
      expect(header).toMatch(/^\{.*\} {0,7}$/);
    }
  });

  it('writes an empty file as {} and six spaces, without __metadata__', () => {
    expect([...encodeSafetensors({ metadata: {}, tensors: {} })]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
    expect(decodeSafetensors(encodeSafetensors({ metadata: {}, tensors: {} }))).toEqual({ metadata: {}, tensors: {} });
  });

  it('counts the header in UTF-8 bytes, not characters', () => {
    const file: SafetensorsFile = { metadata: { name: 'lézard 🦎' }, tensors: {} };
    const bytes = encodeSafetensors(file);
    const headerLength = new DataView(bytes.buffer).getUint32(0, true);
    expect(bytes.length).toBe(8 + headerLength);
    expect(decodeSafetensors(bytes).metadata['name']).toBe('lézard 🦎');
  });

  it('round-trips F16 and zero-sized tensors, and names that are Object prototype keys', () => {
    const file: SafetensorsFile = {
      metadata: { constructor: 'x' },
      tensors: {
        half: { dtype: 'F16', shape: [2, 1], bytes: Uint8Array.of(0x00, 0x3c, 0x00, 0xc0) },
        empty: { dtype: 'F32', shape: [0, 3], bytes: new Uint8Array(0) },
        ['__proto__']: { dtype: 'U8', shape: [], bytes: Uint8Array.of(9) },
      },
    };
    const back = decodeSafetensors(encodeSafetensors(file));
    expect(Object.hasOwn(back.tensors, '__proto__')).toBe(true);
    expect(back.tensors['__proto__']?.bytes).toEqual(Uint8Array.of(9));
    expect(back.tensors['half']).toEqual(file.tensors['half']);
    expect(back.tensors['empty']?.shape).toEqual([0, 3]);
    expect(back.metadata).toEqual({ constructor: 'x' });
  });

  it('reads from an ArrayBuffer and from a Uint8Array view into a larger buffer', () => {
    const bytes = encodeSafetensors(tiny);
    const big = new Uint8Array(bytes.length + 13);
    big.set(bytes, 5);
    expect(decodeSafetensors(big.subarray(5, 5 + bytes.length))).toEqual(tiny);
    expect(decodeSafetensors(bytes.buffer as ArrayBuffer)).toEqual(tiny);
  });

  it('returns plain Uint8Array copies even from a subclass whose slice shares memory (like Node Buffer)', () => {
    class SharingSlice extends Uint8Array {
      override slice(start?: number, end?: number): Uint8Array<ArrayBuffer> {
        return this.subarray(start, end);
      }
    }
    const bytes = encodeSafetensors(tiny);
    const input = new SharingSlice(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const file = decodeSafetensors(input);
    input.fill(0);
    expect(Object.getPrototypeOf(file.tensors['b']?.bytes)).toBe(Uint8Array.prototype);
    expect(file.tensors['b']?.bytes).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('copies tensor bytes out of the input', () => {
    const bytes = encodeSafetensors(tiny);
    const file = decodeSafetensors(bytes);
    bytes.fill(0);
    expect(file.tensors['b']?.bytes).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('refuses to write tensors whose bytes do not match dtype and shape', () => {
    const write = (file: SafetensorsFile): unknown => encodeSafetensors(file);
    const bad = { metadata: {}, tensors: { w: { dtype: 'F32' as const, shape: [3], bytes: new Uint8Array(8) } } };
    expect(() => write(bad)).toThrow(/tensor 'w': has 8 bytes, expected 12 \(F32 \[3\]\)/);
    const badDtype = { metadata: {}, tensors: { w: { dtype: 'F64', shape: [1], bytes: new Uint8Array(8) } } } as unknown as SafetensorsFile;
    expect(() => write(badDtype)).toThrow(WeightsFormatError);
    const badMeta = { metadata: { n: 3 }, tensors: {} } as unknown as SafetensorsFile;
    expect(() => write(badMeta)).toThrow(/metadata 'n' must be a string/);
  });
});
