import { describe, expect, it } from 'vitest';
import { prepareExemplar } from './prepareExemplar.ts';
import { TargetError } from './prepareTarget.ts';

function picture(
  width: number,
  height: number,
  rgba: (x: number, y: number) => [number, number, number, number],
): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(rgba(x, y), (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

describe('prepareExemplar', () => {
  it('flattens transparency onto white and keeps a small picture at its own size, byte for byte', () => {
    const pixels = picture(8, 7, (x) => (x < 4 ? [255, 0, 0, 128] : [10, 20, 30, 255]));
    const exemplar = prepareExemplar(pixels, 'stripes', 128);
    expect([exemplar.width, exemplar.height]).toEqual([8, 7]);
    // Half-covered red over white: pink, opaque.
    expect(Array.from(exemplar.rgba8.subarray(0, 4))).toEqual([255, 127, 127, 255]);
    expect(Array.from(exemplar.rgba8.subarray(4 * 4, 4 * 4 + 4))).toEqual([10, 20, 30, 255]);
  });

  it('shrinks the longer side to the size, never enlarges, and keeps a flat colour flat', () => {
    const wide = prepareExemplar(
      picture(256, 100, () => [40, 160, 90, 255]),
      'wide',
      128,
    );
    expect([wide.width, wide.height]).toEqual([128, 50]);
    for (let i = 0; i < wide.width * wide.height; i++) {
      expect(Array.from(wide.rgba8.subarray(i * 4, i * 4 + 4))).toEqual([40, 160, 90, 255]);
    }
    // A chequerboard of single pixels averages to grey when halved.
    const fine = prepareExemplar(
      picture(64, 64, (x, y) => ((x + y) % 2 === 0 ? [0, 0, 0, 255] : [255, 255, 255, 255])),
      'fine',
      32,
    );
    expect([fine.width, fine.height]).toEqual([32, 32]);
    expect(Math.abs(fine.rgba8[(16 * 32 + 16) * 4]! - 128)).toBeLessThanOrEqual(2);
  });

  it('refuses what is too small to compare patches of, naming the picture', () => {
    expect(() =>
      prepareExemplar(
        picture(5, 40, () => [0, 0, 0, 255]),
        'thin',
        128,
      ),
    ).toThrow(TargetError);
    expect(() =>
      prepareExemplar(
        picture(40, 20, () => [0, 0, 0, 255]),
        'band',
        10,
      ),
    ).toThrow(/band: 10x5 pixels is too small for a texture exemplar \(at least 6x6\)/);
  });
});
