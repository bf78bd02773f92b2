import { describe, expect, it } from 'vitest';
import { randomDisc } from '../damageDisc.ts';
import { createRng } from '../rng.ts';
import { seedArray } from '../seed.ts';
import { prepareBatch, SamplePool } from './samplePool.ts';

const grid = { height: 12, width: 12, channels: 4 };
const cells = 12 * 12 * 4;

describe('SamplePool', () => {
  it('starts as seeds and samples distinct indices', () => {
    const pool = new SamplePool(10, grid);
    expect(pool.gather([3])).toEqual(seedArray(grid));
    const rng = createRng(1);
    for (let i = 0; i < 50; i++) {
      const picked = pool.sample(6, rng);
      expect(new Set(picked).size).toBe(6);
      expect(picked.every((n) => n >= 0 && n < 10)).toBe(true);
    }
  });

  it('writes a batch back where it came from', () => {
    const pool = new SamplePool(5, grid);
    const batch = new Float32Array(2 * cells);
    batch.fill(7, 0, cells);
    batch.fill(9, cells);
    pool.scatter([4, 1], batch);
    expect(pool.gather([4])[0]).toBe(7);
    expect(pool.gather([1])[5]).toBe(9);
    expect(pool.gather([0])).toEqual(seedArray(grid));
  });
});

describe('prepareBatch', () => {
  it('replaces the worst (first) sample by a seed and damages the best (last) ones', () => {
    const batch = new Float32Array(4 * cells).fill(0.5);
    const discs = prepareBatch(batch, 4, grid, 2, createRng(3), { min: 0.05, max: 0.2 });
    expect(batch.subarray(0, cells)).toEqual(seedArray(grid));
    // Sample 1 is neither re-seeded nor damaged.
    expect(batch.subarray(cells, 2 * cells).every((v) => v === 0.5)).toBe(true);
    expect(discs).toHaveLength(2);
    for (const [n, disc] of [
      [2, discs[0]!],
      [3, discs[1]!],
    ] as const) {
      const sample = batch.subarray(n * cells, (n + 1) * cells);
      const centre = (Math.round(disc.y) * 12 + Math.round(disc.x)) * 4;
      expect(Array.from(sample.subarray(centre, centre + 4))).toEqual([0, 0, 0, 0]);
      const zeroed = Array.from({ length: 144 }, (_, i) => sample[i * 4] === 0).filter(Boolean).length;
      expect(zeroed).toBeGreaterThan(0);
      expect(zeroed).toBeLessThan(144);
    }
  });

  it('keeps the worst sample when not re-seeding, and still damages only the best', () => {
    const batch = new Float32Array(4 * cells).fill(0.5);
    const discs = prepareBatch(batch, 4, grid, 3, createRng(3), { min: 0.05, max: 0.2 }, false);
    expect(batch.subarray(0, cells).every((v) => v === 0.5)).toBe(true);
    expect(discs).toHaveLength(3);
    expect(batch.subarray(cells, 2 * cells).some((v) => v === 0)).toBe(true);
  });
});

describe('randomDisc', () => {
  it('centres in the middle half with the radius range as fractions of the grid', () => {
    const rng = createRng(5);
    const big = { height: 72, width: 72, channels: 16 };
    for (let i = 0; i < 500; i++) {
      const d = randomDisc(big, rng, { min: 0.05, max: 0.2 });
      expect(d.x).toBeGreaterThanOrEqual(18);
      expect(d.x).toBeLessThanOrEqual(54);
      expect(d.y).toBeGreaterThanOrEqual(18);
      expect(d.y).toBeLessThanOrEqual(54);
      expect(d.radius).toBeGreaterThanOrEqual(3.6);
      expect(d.radius).toBeLessThanOrEqual(14.4);
    }
  });

  it('draws larger discs when the range asks for them', () => {
    const rng = createRng(6);
    const grid32 = { height: 32, width: 32, channels: 16 };
    const radii = Array.from({ length: 500 }, () => randomDisc(grid32, rng, { min: 0.1, max: 0.3 }).radius);
    expect(Math.min(...radii)).toBeGreaterThanOrEqual(3.2);
    expect(Math.max(...radii)).toBeLessThanOrEqual(9.6);
    // Spread over the range, not stuck at one end.
    expect(Math.max(...radii) - Math.min(...radii)).toBeGreaterThan(5);
  });
});
