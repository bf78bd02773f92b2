import { describe, expect, it } from 'vitest';
import { rootOfUnity } from './rootOfUnity.ts';

describe('rootOfUnity', () => {
  it('agrees with Math.cos and Math.sin to a few ulps on every size the spectrum uses', () => {
    let worst = 0;
    for (const n of [1, 2, 3, 5, 7, 8, 40, 56, 64, 72, 96, 128, 255, 256, 512]) {
      for (let k = -n; k < 2 * n; k++) {
        const [c, s] = rootOfUnity(k, n);
        const angle = (2 * Math.PI * (((k % n) + n) % n)) / n;
        worst = Math.max(worst, Math.abs(c - Math.cos(angle)), Math.abs(s - Math.sin(angle)));
      }
    }
    expect(worst).toBeLessThan(2e-15);
  });

  it('is exact at the quarter turns and symmetric about them', () => {
    expect(rootOfUnity(0, 12)).toEqual([1, 0]);
    expect(rootOfUnity(3, 12)).toEqual([0, 1]);
    expect(rootOfUnity(6, 12)).toEqual([-1, 0]);
    expect(rootOfUnity(9, 12)).toEqual([0, -1]);
    for (let k = 1; k < 100; k++) {
      const [c, s] = rootOfUnity(k, 100);
      const [c2, s2] = rootOfUnity(100 - k, 100);
      expect([c2, s2]).toEqual([c, 0 - s]);
    }
  });
});
