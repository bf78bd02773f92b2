import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { textureExemplar, textureLoss } from './textureLoss.ts';

/** Random colours, each pixel drawn alone; `run` repeats each draw along x (the same colours, other patches). */
function noise(width: number, height: number, seed: number, run = 1): Uint8Array {
  const rng = createRng(seed);
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    let colour = [0, 0, 0];
    for (let x = 0; x < width; x++) {
      if (x % run === 0) {
        colour = [0, 1, 2].map(() => Math.floor(rng.next() * 256));
      }
      rgba.set([...colour, 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

/** A state [H, W, C] whose colours (x / 2 + 0.5) are the picture's, hidden channels random. */
function stateOf(rgba: Uint8Array, width: number, height: number, channels: number, seed: number): Float32Array {
  const rng = createRng(seed);
  const state = new Float32Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < channels; c++) {
      state[i * channels + c] = c < 3 ? (rgba[i * 4 + c]! / 255 - 0.5) * 2 : rng.next();
    }
  }
  return state;
}

/** d(mean loss of a 2-sample batch)/d(state[i]) by central differences. */
function centralDifference(lossOf: (state: Float32Array) => Float32Array, state: Float32Array, i: number, h = 1e-3): number {
  const plus = state.slice();
  const minus = state.slice();
  plus[i]! += h;
  minus[i]! -= h;
  const total = (s: Float32Array): number => lossOf(s).reduce((a, b) => a + b, 0) / 2;
  return (total(plus) - total(minus)) / (2 * h);
}

describe('textureLoss: the multi-scale sliced Wasserstein distance of 3x3 patches', () => {
  const grid = { width: 24, height: 16, channels: 6 };
  const settings = { scales: 3, directions: 16, features: false };
  const exemplar = textureExemplar(noise(64, 64, 1), 64, 64, settings);
  const lossOf = (rgba: Uint8Array): number => textureLoss(stateOf(rgba, 24, 16, 6, 1), 1, grid, exemplar, createRng(3), 1, settings).losses[0]!;

  it('is small for other pixels of the same texture, and larger for a flat picture and for other patches of the same colours', () => {
    const same = lossOf(noise(24, 16, 2));
    const grey = lossOf(new Uint8Array(24 * 16 * 4).fill(128));
    const pairs = lossOf(noise(24, 16, 2, 2));
    expect(grey).toBeGreaterThan(20 * same);
    expect(pairs).toBeGreaterThan(3 * same);
  });

  it('has the gradient of its value (central differences on colour and hidden channels)', () => {
    const rng = createRng(5);
    const state = Float32Array.from({ length: 2 * 24 * 16 * 6 }, () => rng.next() * 2 - 1);
    const at = (s: Float32Array) => textureLoss(s, 2, grid, exemplar, createRng(7), 2, settings);
    const { losses, grad } = at(state);
    expect(losses.every((l) => l > 0)).toBe(true);
    for (const i of [0, 1, 2, 6 * 37 + 1, 24 * 16 * 6 + 6 * 200 + 2, 6 * 50 + 4]) {
      const numeric = centralDifference((s) => at(s).losses, state, i);
      expect(grad[i]!).toBeCloseTo(numeric, 4);
    }
    // Hidden channels do not show: no gradient there.
    expect(grad[6 * 50 + 4]).toBe(0);
  });
});

describe("textureLoss's feature term: the same distance between a fixed random network's features", () => {
  const grid = { width: 20, height: 14, channels: 5 };
  const settings = { scales: 2, directions: 8, features: true };
  /** Blobs: a few bright discs on dark, their colours and sizes the texture. */
  function discs(width: number, height: number, seed: number, radius: number): Uint8Array {
    const rng = createRng(seed);
    const centres = Array.from({ length: Math.ceil((width * height) / 60) }, () => [rng.next() * width, rng.next() * height] as const);
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = centres.some(([cx, cy]) => (x - cx) ** 2 + (y - cy) ** 2 < radius * radius);
        rgba.set(inside ? [230, 200, 60, 255] : [20, 30, 60, 255], (y * width + x) * 4);
      }
    }
    return rgba;
  }
  const exemplar = textureExemplar(discs(48, 48, 1, 2.5), 48, 48, settings);
  const lossOf = (rgba: Uint8Array, features: boolean): number =>
    textureLoss(stateOf(rgba, 20, 14, 5, 1), 1, grid, exemplar, createRng(3), 1, { ...settings, features }).losses[0]!;

  it("adds to the patch term, and tells the exemplar's blobs from noise of the same two colours", () => {
    const same = discs(20, 14, 2, 2.5);
    expect(lossOf(same, true)).toBeGreaterThan(lossOf(same, false));
    const rng = createRng(9);
    const speckle = new Uint8Array(20 * 14 * 4);
    for (let i = 0; i < 20 * 14; i++) {
      speckle.set(rng.next() < 0.25 ? [230, 200, 60, 255] : [20, 30, 60, 255], i * 4);
    }
    const featureOnly = (rgba: Uint8Array): number => lossOf(rgba, true) - lossOf(rgba, false);
    expect(featureOnly(speckle)).toBeGreaterThan(2 * featureOnly(same));
  });

  it('has the gradient of its value (central differences)', () => {
    const rng = createRng(5);
    const state = Float32Array.from({ length: 2 * 20 * 14 * 5 }, () => rng.next() * 2 - 1);
    const at = (s: Float32Array) => textureLoss(s, 2, grid, exemplar, createRng(7), 2, settings);
    const { grad } = at(state);
    for (const i of [0, 2, 5 * 33 + 1, 20 * 14 * 5 + 5 * 101 + 2]) {
      expect(grad[i]!).toBeCloseTo(
        centralDifference((s) => at(s).losses, state, i),
        4,
      );
    }
  });
});
