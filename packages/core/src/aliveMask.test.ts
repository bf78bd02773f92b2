import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { aliveMask } from './aliveMask.ts';

/** A 5x5 grid, 4 channels, with the given alpha values at (y, x). */
function withAlpha(cells: Array<[number, number, number]>): tf.Tensor4D {
  const data = new Float32Array(5 * 5 * 4);
  for (const [y, x, a] of cells) {
    data[(y * 5 + x) * 4 + 3] = a;
  }
  return tf.tensor4d(data, [1, 5, 5, 4]);
}

function maskRows(mask: tf.Tensor4D): string[] {
  return (mask.arraySync()[0] as number[][][]).map((row) => row.map(([v]) => (v === 1 ? '#' : '.')).join(''));
}

describe('aliveMask', () => {
  it('a mature cell keeps its 3x3 neighbourhood alive; a dead cell beside nothing mature dies', () => {
    const state = withAlpha([
      [2, 2, 0.5],
      [0, 0, 0.05],
    ]);
    expect(maskRows(aliveMask(state, { padding: 'zero', aliveThreshold: 0.1 }))).toEqual(['.....', '.###.', '.###.', '.###.', '.....']);
  });

  it('is strict: alpha equal to the threshold is not mature', () => {
    const state = withAlpha([[2, 2, 0.25]]);
    expect(maskRows(aliveMask(state, { padding: 'zero', aliveThreshold: 0.25 }))).toEqual(Array(5).fill('.....'));
  });

  it('threshold 0 counts any positive alpha', () => {
    const state = withAlpha([[4, 4, 1e-6]]);
    expect(maskRows(aliveMask(state, { padding: 'zero', aliveThreshold: 0 }))).toEqual(['.....', '.....', '.....', '...##', '...##']);
  });

  it('follows the torus under wrap padding', () => {
    const state = withAlpha([[0, 0, 1]]);
    expect(maskRows(aliveMask(state, { padding: 'wrap', aliveThreshold: 0.1 }))).toEqual(['##..#', '##..#', '.....', '.....', '##..#']);
  });

  it('has a zero gradient', () => {
    const state = withAlpha([[2, 2, 0.5]]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(aliveMask(x as tf.Tensor4D, { padding: 'zero', aliveThreshold: 0.1 })))(state);
    expect(g.abs().max().arraySync()).toBe(0);
  });
});
