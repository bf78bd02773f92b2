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

  it('bernoulli makes the same draws as next() one by one, and leaves the same state', () => {
    const [a, b] = [createRng(77), createRng(77)];
    const fire = new Uint8Array(10_000);
    a.bernoulli(fire, 0.3);
    const oneByOne = Uint8Array.from({ length: fire.length }, () => (b.next() < 0.3 ? 1 : 0));
    expect(fire).toEqual(oneByOne);
    expect(a.getState()).toBe(b.getState());
    // A threshold between two draws' values splits them as next() < p does.
    const [c, d] = [createRng(5), createRng(5)];
    const value = d.next();
    const edge = new Uint8Array(1);
    c.bernoulli(edge, value);
    expect(edge[0]).toBe(0);
    c.setState(createRng(5).getState());
    c.bernoulli(edge, value + 2 ** -40);
    expect(edge[0]).toBe(1);
  });
});
