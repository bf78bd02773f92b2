import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';
import { fireMask } from './stochasticUpdate.ts';
import { drawFire } from './fireDraw.ts';

describe('fire draws', () => {
  it('drawFire repeats for a seed and fires at the given rate', () => {
    const a = drawFire(createRng(9), 1000, 0.5);
    expect(a).toEqual(drawFire(createRng(9), 1000, 0.5));
    const ones = a.reduce((s, v) => s + v, 0);
    expect(ones).toBeGreaterThan(430);
    expect(ones).toBeLessThan(570);
    expect(drawFire(createRng(9), 10, 1).every((v) => v === 1)).toBe(true);
    expect(drawFire(createRng(9), 10, 0).every((v) => v === 0)).toBe(true);
  });

  it('fireMask is drawFire as a [B, H, W, 1] tensor, consuming the RNG the same way', () => {
    const [ra, rb] = [createRng(4), createRng(4)];
    const mask = fireMask(ra, [2, 3, 5], 0.5);
    expect(mask.shape).toEqual([2, 3, 5, 1]);
    expect(Array.from(mask.dataSync())).toEqual(Array.from(drawFire(rb, 30, 0.5)));
    expect(ra.next()).toBe(rb.next());
  });
});
