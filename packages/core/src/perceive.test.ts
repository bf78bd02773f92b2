import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { perceive } from './perceive.ts';

// One channel on a 3x3 grid:   1 2 3 / 4 5 6 / 7 8 9
const grid = (): tf.Tensor4D => tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);

/** [identity, gx, gy] of the cell at (y, x). */
function at(p: tf.Tensor4D, y: number, x: number): number[] {
  const data = p.arraySync()[0]![y]![x]!;
  return data.map((v) => Math.round(v * 1e5) / 1e5);
}

describe('perceive', () => {
  it('computes identity and Sobel gradients at an interior cell', () => {
    const p = perceive(grid(), { padding: 'zero', sobelScale: 1, angle: 0 });
    expect(p.shape).toEqual([1, 3, 3, 3]);
    expect(at(p, 1, 1)).toEqual([5, 8, 24]);
  });

  it('scales the gradients by sobelScale', () => {
    const p = perceive(grid(), { padding: 'zero', sobelScale: 1 / 8, angle: 0 });
    expect(at(p, 1, 1)).toEqual([5, 1, 3]);
  });

  it('zero padding treats outside cells as 0', () => {
    const p = perceive(grid(), { padding: 'zero', sobelScale: 1, angle: 0 });
    expect(at(p, 0, 0)).toEqual([1, 9, 13]);
    expect(at(p, 2, 2)).toEqual([9, -21, -17]);
  });

  it('wrap padding makes a torus', () => {
    const p = perceive(grid(), { padding: 'wrap', sobelScale: 1, angle: 0 });
    expect(at(p, 0, 0)).toEqual([1, -4, -12]);
    expect(at(p, 1, 1)).toEqual([5, 8, 24]);
  });

  it('reflect padding mirrors about the border cell', () => {
    const p = perceive(grid(), { padding: 'reflect', sobelScale: 1, angle: 0 });
    expect(at(p, 0, 1)).toEqual([2, 8, 0]);
    expect(at(p, 1, 0)).toEqual([4, 0, 24]);
    expect(at(p, 0, 0)).toEqual([1, 0, 0]);
  });

  it('orders channels filter-major', () => {
    // Two channels: the second is ten times the first.
    const two = tf.tensor4d(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].flatMap((v) => [v, 10 * v]),
      [1, 3, 3, 2],
    );
    const p = perceive(two, { padding: 'zero', sobelScale: 1, angle: 0 });
    expect(at(p, 1, 1)).toEqual([5, 50, 8, 80, 24, 240]);
  });

  it('a rotation by 90 degrees maps (gx, gy) to (-gy, gx)', () => {
    const plain = perceive(grid(), { padding: 'wrap', sobelScale: 1, angle: 0 }).arraySync()[0]!;
    const turned = perceive(grid(), { padding: 'wrap', sobelScale: 1, angle: Math.PI / 2 }).arraySync()[0]!;
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        const [id, gx, gy] = plain[y]![x]!;
        const [id2, gx2, gy2] = turned[y]![x]!;
        expect(id2).toBeCloseTo(id!, 5);
        expect(gx2).toBeCloseTo(-gy!, 4);
        expect(gy2).toBeCloseTo(gx!, 4);
      }
    }
  });

  it('keeps batch samples apart', () => {
    const batch = tf.concat([grid(), tf.zeros([1, 3, 3, 1])], 0) as tf.Tensor4D;
    const p = perceive(batch, { padding: 'wrap', sobelScale: 1, angle: 0 });
    expect(at(p, 1, 1)).toEqual([5, 8, 24]);
    expect(p.slice([1], [1]).abs().max().arraySync()).toBe(0);
  });
});
