import { describe, expect, it } from 'vitest';
import { resampleRgba } from './resample.ts';

/** A straight-alpha RGBA image from a function of (x, y). */
function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      data.set(pixel(x, y), (y * width + x) * 4);
    }
  }
  return data;
}

describe('resampleRgba', () => {
  it('keeps a flat colour flat and premultiplies it, shrinking and growing', () => {
    const flat = image(30, 20, () => [200, 100, 50, 128]);
    for (const [w, h] of [
      [9, 6],
      [60, 40],
      [30, 20],
    ] as const) {
      const out = resampleRgba(flat, 30, 20, w, h);
      for (let i = 0; i < w * h; i++) {
        expect(out[i * 4 + 3]).toBeCloseTo(128 / 255, 5);
        expect(out[i * 4]).toBeCloseTo((200 / 255) * (128 / 255), 5);
        expect(out[i * 4 + 2]).toBeCloseTo((50 / 255) * (128 / 255), 5);
      }
    }
  });

  it('averages detail away when shrinking (no aliasing of a fine checker)', () => {
    const checker = image(64, 64, (x, y) => ((x + y) % 2 === 0 ? [255, 255, 255, 255] : [0, 0, 0, 255]));
    const out = resampleRgba(checker, 64, 64, 8, 8);
    for (let i = 0; i < 64; i++) {
      expect(Math.abs(out[i * 4]! - 0.5)).toBeLessThan(0.02);
    }
  });

  it('carries no colour out of transparent pixels, and colour never exceeds alpha', () => {
    // Opaque red left half, transparent green right half: straight filtering would tint the edge green.
    const edge = image(40, 10, (x) => (x < 20 ? [255, 0, 0, 255] : [0, 255, 0, 0]));
    const out = resampleRgba(edge, 40, 10, 10, 3);
    for (let i = 0; i < 30; i++) {
      expect(out[i * 4 + 1]).toBe(0);
      expect(out[i * 4]!).toBeLessThanOrEqual(out[i * 4 + 3]!);
    }
    expect(out[3]).toBeCloseTo(1, 2);
    expect(out[9 * 4 + 3]).toBeCloseTo(0, 2);
  });
});
