import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.ts';
import { TEXTURE_LOSS_DEFAULTS, textureExemplar, textureLoss } from './textureLoss.ts';
import { fourier2d, spectrumTarget } from './textureSpectrum.ts';

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
  const settings = { scales: 3, directions: 16, features: false, spectrum: 0 };
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
  const settings = { scales: 2, directions: 8, features: true, spectrum: 0 };
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

describe("textureLoss's spectrum term: the grey level's Fourier modulus against the exemplar's", () => {
  /** Black and white squares of side `side`, shifted by (dx, dy); `stripes` keeps only the columns' alternation. */
  function chequer(width: number, height: number, side: number, dx: number, dy: number, stripes = false): Uint8Array {
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const column = Math.floor((x + dx) / side);
        const row = stripes ? 0 : Math.floor((y + dy) / side);
        const v = (column + row) % 2 === 0 ? 235 : 20;
        rgba.set([v, v, v, 255], (y * width + x) * 4);
      }
    }
    return rgba;
  }
  const grid = { width: 24, height: 24, channels: 4 };
  const exemplar = textureExemplar(chequer(64, 64, 4, 0, 0), 64, 64);
  const spectrumOnly = (rgba: Uint8Array): number => {
    const state = stateOf(rgba, 24, 24, 4, 1);
    const at = (spectrum: number): number => textureLoss(state, 1, grid, exemplar, createRng(3), 1, { ...TEXTURE_LOSS_DEFAULTS, spectrum }).losses[0]!;
    return at(1) - at(0);
  };

  it("is small for the exemplar's squares wherever they sit, and tells them from stripes of the same width", () => {
    const shifted = spectrumOnly(chequer(24, 24, 4, 1, 3));
    const stripes = spectrumOnly(chequer(24, 24, 4, 1, 3, true));
    expect(stripes).toBeGreaterThan(4 * shifted);
    expect(spectrumOnly(new Uint8Array(24 * 24 * 4).fill(128))).toBeGreaterThan(4 * shifted);
  });

  it('has the gradient of its value (central differences)', () => {
    const settings = { scales: 2, directions: 8, features: false, spectrum: 0.7 };
    const rng = createRng(5);
    const state = Float32Array.from({ length: 2 * 24 * 24 * 4 }, () => rng.next() * 2 - 1);
    const at = (s: Float32Array) => textureLoss(s, 2, grid, exemplar, createRng(7), 2, settings);
    const { grad } = at(state);
    for (const i of [0, 2, 4 * 37 + 1, 24 * 24 * 4 + 4 * 301 + 2]) {
      expect(grad[i]!).toBeCloseTo(
        centralDifference((s) => at(s).losses, state, i),
        4,
      );
    }
  });
});

describe('fourier2d', () => {
  it('puts a cosine wave at its two frequencies, and its adjoint over the size undoes it', () => {
    const [width, height] = [12, 10];
    const re = Float64Array.from({ length: width * height }, (_, i) => Math.cos((2 * Math.PI * 3 * (i % width)) / width));
    const im = new Float64Array(width * height);
    const original = re.slice();
    fourier2d(re, im, width, height, false);
    const peaks = Array.from(re.keys()).filter((i) => Math.hypot(re[i]!, im[i]!) > 1e-6);
    expect(peaks).toEqual([3, width - 3]);
    expect(re[3]).toBeCloseTo((width * height) / 2, 9);
    fourier2d(re, im, width, height, true);
    re.forEach((v, i) => expect(v / (width * height)).toBeCloseTo(original[i]!, 12));
  });

  it("gives a torus the exemplar's power symmetric in frequency and summing to its grey variance", () => {
    const rng = createRng(11);
    const [ew, eh] = [37, 29];
    const rgb = Float32Array.from({ length: ew * eh * 3 }, () => rng.next());
    const target = spectrumTarget({ width: ew, height: eh, rgb }, 16, 12);
    let power = 0;
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 16; x++) {
        const mirror = ((12 - y) % 12) * 16 + ((16 - x) % 16);
        expect(target.modulus[y * 16 + x]).toBeCloseTo(target.modulus[mirror]!, 9);
        power += (target.modulus[y * 16 + x]! / (16 * 12)) ** 2;
      }
    }
    // Independent channels averaged: the grey level's variance is a third of a uniform's (1/12).
    expect(power).toBeGreaterThan(0.5 / 36);
    expect(power).toBeLessThan(2 / 36);
  });
});
