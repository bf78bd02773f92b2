import { describe, expect, it } from 'vitest';
import { decodeRgbaPng } from './png.ts';
import { encodePng, mulberry32 } from './test-support.ts';

describe('decodeRgbaPng', () => {
  const random = mulberry32(3);
  const [width, height] = [7, 10];
  const pixels = Uint8Array.from({ length: width * height * 4 }, () => Math.floor(random() * 256));

  it('undoes every filter type, row by row', () => {
    expect(decodeRgbaPng(encodePng(width, height, pixels, [0, 1, 2, 3, 4]))).toEqual({ width, height, data: pixels });
    expect(decodeRgbaPng(encodePng(width, height, pixels, [4, 3, 2, 1])).data).toEqual(pixels);
  });

  it('refuses what it does not read, saying what', () => {
    const png = encodePng(width, height, pixels);
    expect(() => decodeRgbaPng(png.subarray(1))).toThrow(/bad signature/);
    expect(() => decodeRgbaPng(encodePng(width, height, pixels, [0], 2))).toThrow(/colour type 2.*expected 8-bit RGBA/);
    const damaged = png.slice();
    damaged[40] = damaged[40]! ^ 1;
    expect(() => decodeRgbaPng(damaged)).toThrow(/fails its CRC check/);
    expect(() => decodeRgbaPng(png.subarray(0, png.length - 12))).toThrow(/no IEND/);
    expect(() => decodeRgbaPng(encodePng(width, height, pixels, [5]))).toThrow(/filter type 5/);
  });
});
