import { describe, expect, it } from 'vitest';
import { damageDisc } from './damageDiscTensor.ts';
import { seedState } from './seedState.ts';
import * as tf from '@tensorflow/tfjs-core';

describe('seedState', () => {
  it('is zero except the centre cell, whose channels 3..C-1 are 1', () => {
    const seed = seedState({ height: 5, width: 4, channels: 6 }, 2);
    expect(seed.shape).toEqual([2, 5, 4, 6]);
    const cells = seed.arraySync();
    for (const sample of cells) {
      expect(sample[2]![2]).toEqual([0, 0, 0, 1, 1, 1]);
    }
    expect(seed.sum().arraySync()).toBe(2 * 3);
  });

  it('can be planted elsewhere', () => {
    const seed = seedState({ height: 3, width: 3, channels: 4 }, 1, { x: 0, y: 2 });
    expect(seed.arraySync()[0]![2]![0]).toEqual([0, 0, 0, 1]);
    expect(seed.sum().arraySync()).toBe(1);
  });
});

describe('damageDisc', () => {
  it('zeroes every channel inside the disc of the chosen samples only', () => {
    const state = tf.ones([2, 7, 7, 3]) as tf.Tensor4D;
    const damaged = damageDisc(state, [{ x: 3, y: 3, radius: 1.5 }, null]);
    const rows = (damaged.arraySync()[0] as number[][][]).map((row) =>
      row.map((c) => (c.every((v) => v === 0) ? '.' : c.every((v) => v === 1) ? '#' : '?')).join(''),
    );
    expect(rows).toEqual(['#######', '#######', '##...##', '##...##', '##...##', '#######', '#######']);
    expect(damaged.slice([1], [1]).min().arraySync()).toBe(1);
  });

  it('refuses a disc list that does not match the batch', () => {
    expect(() => damageDisc(tf.ones([2, 4, 4, 4]) as tf.Tensor4D, [null])).toThrow(/1 discs for a batch of 2/);
  });
});
