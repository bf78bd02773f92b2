import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { textureDistance, textureStatistics } from './textureEvaluation.ts';

/** Blobs: a random sum of a few soft discs per 16x16 block, RGB in [0, 1]; `seed` places them. */
function blobs(size: number, seed: number, colour: [number, number, number] = [0.9, 0.5, 0.1]): Float32Array {
  const rng = createRng(seed);
  const rgb = new Float32Array(size * size * 3).fill(0.1);
  for (let k = 0; k < (size * size) / 64; k++) {
    const [cx, cy] = [rng.next() * size, rng.next() * size];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - cx, y - cy);
        if (d < 3) {
          colour.forEach((v, c) => (rgb[(y * size + x) * 3 + c] = v));
        }
      }
    }
  }
  return rgb;
}

describe('textureDistance: random-filter Gram matrices at three scales', () => {
  const exemplar = textureStatistics(blobs(64, 1), 64, 64);

  it('is 0 for the exemplar, small for another sample of the same texture, large for a flat picture or other blobs', () => {
    expect(textureDistance(exemplar, exemplar)).toBe(0);
    const same = textureDistance(textureStatistics(blobs(96, 2), 96, 96), exemplar);
    const flat = textureDistance(textureStatistics(new Float32Array(64 * 64 * 3).fill(0.3), 64, 64), exemplar);
    const blue = textureDistance(textureStatistics(blobs(64, 2, [0.1, 0.4, 0.9]), 64, 64), exemplar);
    expect(same).toBeLessThan(0.15);
    expect(flat).toBeGreaterThan(4 * same);
    expect(blue).toBeGreaterThan(4 * same);
  });
});
