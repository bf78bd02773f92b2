import { describe, expect, it } from 'vitest';
import { prepareTarget, TargetError, type Pixels } from './prepareTarget.ts';

const disc = (size: number, opaqueOutside = false): Pixels => {
  const data = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - size / 2 + 0.5) ** 2 + (y - size / 2 + 0.5) ** 2 < (size / 3) ** 2;
      data.set(inside ? [20, 40, 230, 255] : opaqueOutside ? [255, 255, 255, 255] : [255, 255, 255, 0], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
};

function refusal(run: () => unknown): TargetError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(TargetError);
    return error as TargetError;
  }
  throw new Error('expected a refusal');
}

describe('prepareTarget', () => {
  it('shrinks, pads, premultiplies, and trains on exactly the bytes it stores', () => {
    const target = prepareTarget(disc(100), 'disc', { size: 20, padding: 3 });
    expect([target.width, target.height]).toEqual([26, 26]);
    expect(target.rgba.every((v, i) => v === Math.fround(target.rgba8[i]! / 255))).toBe(true);
    const at = (x: number, y: number): number[] => Array.from(target.rgba8.subarray((y * 26 + x) * 4, (y * 26 + x) * 4 + 4));
    expect(at(1, 1)).toEqual([0, 0, 0, 0]);
    expect(at(13, 13)).toEqual([20, 40, 230, 255]);
    for (let i = 0; i < 26 * 26; i++) {
      for (let c = 0; c < 3; c++) {
        expect(target.rgba8[i * 4 + c]!).toBeLessThanOrEqual(target.rgba8[i * 4 + 3]!);
      }
    }
  });

  it('keeps the aspect ratio: the longest side becomes the size', () => {
    const wide: Pixels = { width: 60, height: 30, data: new Uint8Array(60 * 30 * 4).fill(200) };
    const target = prepareTarget(wide, 'wide', { size: 20, padding: 2 });
    expect([target.width, target.height]).toEqual([24, 14]);
  });

  it('refuses an opaque picture unless a background is keyed out', () => {
    expect(refusal(() => prepareTarget(disc(40, true), 'flat', { size: 16, padding: 2 })).code).toBe('TARGET_NO_ALPHA');
    const keyed = prepareTarget(disc(40, true), 'flat', { size: 16, padding: 2, background: 'white' });
    expect(keyed.rgba8[(2 * 20 + 2) * 4 + 3]).toBe(0);
    expect(keyed.rgba8[(10 * 20 + 10) * 4 + 3]).toBe(255);
    expect(refusal(() => prepareTarget(disc(40, true), 'flat', { size: 16, padding: 2, background: 'mauve-ish' })).code).toBe('BAD_COLOUR');
  });

  it('refuses nothing visible, a speck, and a picture over the pixel limit', () => {
    const empty: Pixels = { width: 10, height: 10, data: new Uint8Array(400) };
    expect(refusal(() => prepareTarget(empty, 'empty', { size: 8, padding: 1 })).message).toMatch(/no pixel is visible/);
    const speck = new Uint8Array(200 * 200 * 4);
    speck.set([0, 0, 255, 255], (100 * 200 + 100) * 4);
    expect(refusal(() => prepareTarget({ width: 200, height: 200, data: speck }, 'speck', { size: 16, padding: 1 })).message).toMatch(/under the 2x2/);
    // Only the size is read: no 100k x 100k buffer is ever made.
    const huge = refusal(() => prepareTarget({ width: 100_000, height: 100_000, data: new Uint8Array(4) }, 'huge', { size: 16, padding: 1 }));
    expect(huge.code).toBe('TARGET_TOO_LARGE');
    expect(huge.message).toMatch(/100000x100000/);
  });
});
