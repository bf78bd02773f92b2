import { describe, expect, it } from 'vitest';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import { mulberry32 } from './test-support.ts';

const toHalf = (value: number): number => float32ToFloat16(Float32Array.of(value))[0] ?? -1;
const fromHalf = (bits: number): number => float16ToFloat32(Uint16Array.of(bits))[0] ?? NaN;

describe('float32ToFloat16', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [2 ** -14, 0x0400], // smallest normal
    [1023 * 2 ** -24, 0x03ff], // largest subnormal
    [2 ** -24, 0x0001], // smallest subnormal
    [-(2 ** -24), 0x8001],
    [0, 0x0000],
    [-0, 0x8000],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [NaN, 0x7e00],
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
  ])('converts %s to bits %i', (value, bits) => {
    expect(toHalf(value).toString(16)).toBe(bits.toString(16));
  });

  it('rounds ties to even', () => {
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 0x3c00 and 0x3c01: keep the even one
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway between 0x3c01 and 0x3c02: up to even
    expect(toHalf(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above halfway: up
    expect(toHalf(1 + 2 ** -11 - 2 ** -20)).toBe(0x3c00); // just below: down
    expect(toHalf(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: to even zero
    expect(toHalf(2 ** -25 * (1 + 2 ** -23))).toBe(0x0001);
    expect(toHalf(3 * 2 ** -25)).toBe(0x0002); // subnormal tie 1.5 -> 2
    expect(toHalf(2 ** -26)).toBe(0x0000);
    expect(toHalf(-(2 ** -26))).toBe(0x8000);
  });

  it('rounds to infinity from 65520 up, and to the largest finite below', () => {
    expect(toHalf(65519)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00);
    expect(toHalf(-65520)).toBe(0xfc00);
    expect(toHalf(1e10)).toBe(0x7c00);
    expect(toHalf(2047 * 2 ** -25)).toBe(0x0400); // rounds up out of the subnormals into the first normal
  });

  it('matches a brute-force nearest-even search on 20,000 random float32 values', () => {
    // Every finite positive half value, ascending, by bit pattern.
    const halves = float16ToFloat32(Uint16Array.from({ length: 0x7c00 }, (_, i) => i));
    const nearest = (x: number): number => {
      let lo = 0;
      let hi = halves.length - 1;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if ((halves[mid] ?? 0) <= x) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
      const below = halves[lo] ?? 0;
      const above = halves[hi] ?? 0;
      if (x - below < above - x) {
        return lo;
      }
      if (x - below > above - x) {
        return hi;
      }
      return lo % 2 === 0 ? lo : hi;
    };
    const seed = 20240611;
    const random = mulberry32(seed);
    const wrong: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const x = Math.fround(2 ** (random() * 42 - 26) * (1 + random()));
      const expected = x >= 65520 ? 0x7c00 : nearest(x);
      if (toHalf(x) !== expected || toHalf(-x) !== (expected | 0x8000)) {
        wrong.push(`x = ${x}: got 0x${toHalf(x).toString(16)}, expected 0x${expected.toString(16)}`);
      }
    }
    expect(wrong, `seed ${seed}`).toEqual([]);
  });
});

describe('float16ToFloat32', () => {
  it.each([
    [0x3c00, 1],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x03ff, 1023 * 2 ** -24],
    [0x0400, 2 ** -14],
    [0xc000, -2],
    [0x7c00, Infinity],
    [0xfc00, -Infinity],
  ])('converts bits %i to %s', (bits, value) => {
    expect(fromHalf(bits)).toBe(value);
  });

  it('keeps the sign of zero and decodes NaN', () => {
    expect(Object.is(fromHalf(0x8000), -0)).toBe(true);
    expect(Object.is(fromHalf(0x0000), 0)).toBe(true);
    expect(fromHalf(0x7e00)).toBeNaN();
    expect(fromHalf(0xfc01)).toBeNaN();
  });

  it('round-trips every non-NaN bit pattern exactly', () => {
    const all = Uint16Array.from({ length: 0x10000 }, (_, i) => i);
    const back = float32ToFloat16(float16ToFloat32(all));
    const wrong: string[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x3ff) !== 0;
      // NaN payloads and signs are not kept: every NaN comes back as the quiet NaN.
      const got = (back[bits] ?? 0) & (isNaN ? 0x7fff : 0xffff);
      if (got !== (isNaN ? 0x7e00 : bits)) {
        wrong.push(`0x${bits.toString(16)} -> 0x${got.toString(16)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
