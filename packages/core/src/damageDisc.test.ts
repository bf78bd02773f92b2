import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { eraseDisc, insideDisc, randomCentre, randomDisc } from './damageDisc.ts';
import { damageDisc } from './damageDiscTensor.ts';
import { createRng } from './rng.ts';

describe('damage discs', () => {
  it('eraseDisc zeroes exactly the cells closer than the radius', () => {
    const grid = { height: 10, width: 10, channels: 2 };
    const state = new Float32Array(200).fill(1);
    eraseDisc(state, grid, { x: 5, y: 5, radius: 2 });
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 10; x++) {
        const erased = (x - 5) ** 2 + (y - 5) ** 2 < 4;
        expect(state[(y * 10 + x) * 2]).toBe(erased ? 0 : 1);
        expect(state[(y * 10 + x) * 2 + 1]).toBe(erased ? 0 : 1);
      }
    }
    expect(insideDisc({ x: 5, y: 5, radius: 2 }, 7, 5)).toBe(false);
  });

  it('damageDisc erases the same cells as eraseDisc, per sample', () => {
    const grid = { height: 9, width: 11, channels: 3 };
    const disc = { x: 4.3, y: 6.1, radius: 3.2 };
    const values = Float32Array.from({ length: 2 * 9 * 11 * 3 }, (_, i) => 1 + (i % 7));
    const expected = values.slice();
    eraseDisc(expected.subarray(0, 9 * 11 * 3), grid, disc);
    const out = damageDisc(tf.tensor4d(values, [2, 9, 11, 3]), [disc, null]);
    expect(Array.from(out.dataSync())).toEqual(Array.from(expected));
  });

  it('randomDisc draws its centre as randomCentre does, then its radius', () => {
    const grid = { width: 40, height: 20 };
    const a = randomDisc(grid, createRng(3), { min: 0.1, max: 0.3 });
    const b = randomCentre(grid, createRng(3));
    expect({ x: a.x, y: a.y }).toEqual(b);
    expect(a.x).toBeGreaterThanOrEqual(10);
    expect(a.x).toBeLessThan(30);
    expect(a.radius).toBeGreaterThanOrEqual(2);
    expect(a.radius).toBeLessThan(6);
  });
});
