import { describe, expect, it } from 'vitest';
import { createRng } from './rng.ts';

describe('createRng', () => {
  it('resumes exactly from a saved state', () => {
    const a = createRng(123);
    a.next();
    a.next();
    const saved = a.getState();
    const expected = [a.next(), a.next(), a.int(0, 9)];
    const b = createRng(0);
    b.setState(saved);
    expect([b.next(), b.next(), b.int(0, 9)]).toEqual(expected);
  });

  it('draws integers over the whole inclusive range, uniformly', () => {
    const rng = createRng(9);
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 40_000; i++) {
      counts[rng.int(64, 67) - 64]++;
    }
    for (const c of counts) {
      expect(Math.abs(c - 10_000)).toBeLessThan(400);
    }
  });
});
