// The texture loss of docs/design.md §4.9: a multi-scale sliced Wasserstein distance between the
// distribution of small RGB patches of a state (as it is shown, x / 2 + 0.5) and of the exemplar.
// It needs no pretrained network: at each scale (the picture average-pooled by 1, 2, 4, ...) every
// 3x3 patch is a point in 27 dimensions; both point clouds are projected on random directions,
// and each projection's sorted values are matched to the exemplar's quantiles. The gradient of
// that matching goes back through the projections, the patches and the pooling to the state's
// RGB channels, and enters the rollout's backward pass (GradientTask.finalGrad).
import type { Rng } from '../rng.ts';

export interface TextureLossSettings {
  /** Scales: 1 is the cells themselves, each further one halves the picture. */
  scales: number;
  /** Random directions each scale's patches are projected on, drawn afresh at every call. */
  directions: number;
}

export const TEXTURE_LOSS_DEFAULTS: Readonly<TextureLossSettings> = Object.freeze({ scales: 4, directions: 32 });

/** Patch side: a 3x3 neighbourhood, the reach of one CA step. */
const PATCH = 3;
const DIMENSIONS = PATCH * PATCH * 3;

/** An RGB picture, [H, W, 3] floats in [0, 1] (the exemplar) or any range (a state's colours). */
interface Picture {
  width: number;
  height: number;
  rgb: Float32Array;
}

/** Averages 2x2 blocks (a trailing odd row or column is dropped). */
function halve(picture: Picture): Picture {
  const width = Math.floor(picture.width / 2);
  const height = Math.floor(picture.height / 2);
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number): number => picture.rgb[(yy * picture.width + xx) * 3 + c]!;
        rgb[(y * width + x) * 3 + c] = 0.25 * (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1));
      }
    }
  }
  return { width, height, rgb };
}

/** The pyramid of a picture: itself, then halved `scales - 1` times (while at least a patch wide). */
function pyramid(picture: Picture, scales: number): Picture[] {
  const levels = [picture];
  while (levels.length < scales && levels.at(-1)!.width >= 2 * PATCH && levels.at(-1)!.height >= 2 * PATCH) {
    levels.push(halve(levels.at(-1)!));
  }
  return levels;
}

/**
 * Projections of every 3x3 patch of `picture` on `direction` (27 weights, [dy][dx][c]). `wrap`:
 * patches around every cell of a torus (a state); otherwise only the patches inside (an exemplar).
 */
function project(picture: Picture, direction: Float32Array, wrap: boolean): Float32Array {
  const { width, height, rgb } = picture;
  const [x0, y0, w, h] = wrap ? [0, 0, width, height] : [1, 1, width - 2, height - 2];
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = (y + y0 + dy + height) % height;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = (x + x0 + dx + width) % width;
          const p = (yy * width + xx) * 3;
          const d = ((dy + 1) * 3 + dx + 1) * 3;
          sum += direction[d]! * rgb[p]! + direction[d + 1]! * rgb[p + 1]! + direction[d + 2]! * rgb[p + 2]!;
        }
      }
      out[y * w + x] = sum;
    }
  }
  return out;
}

/** A unit vector in 27 dimensions, uniform on the sphere (normalised Gaussians, Box-Muller). */
function randomDirection(rng: Rng): Float32Array {
  const d = new Float32Array(DIMENSIONS);
  let norm = 0;
  for (let i = 0; i < DIMENSIONS; i++) {
    const u = Math.max(rng.next(), 1e-12);
    const g = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
    d[i] = g;
    norm += g * g;
  }
  const scale = 1 / Math.sqrt(norm);
  return d.map((v) => v * scale);
}

/** The exemplar, ready to be compared with: its pyramid (RGB in [0, 1]). */
export interface TextureExemplar {
  width: number;
  height: number;
  levels: Picture[];
}

/** An exemplar from RGBA bytes [H, W, 4] (alpha ignored: a texture is opaque). */
export function textureExemplar(rgba: Uint8Array, width: number, height: number, settings: TextureLossSettings = TEXTURE_LOSS_DEFAULTS): TextureExemplar {
  if (rgba.length !== width * height * 4 || width < 2 * PATCH || height < 2 * PATCH) {
    throw new RangeError(`textureExemplar: ${rgba.length} bytes for ${width}x${height} RGBA (at least ${2 * PATCH}x${2 * PATCH})`);
  }
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = rgba[i * 4 + c]! / 255;
    }
  }
  return { width, height, levels: pyramid({ width, height, rgb }, settings.scales) };
}

/** The colours a state shows (docs/design.md §3.6, without the display's clamp, so gradients pass). */
function stateColours(state: Float32Array, width: number, height: number, channels: number): Picture {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = state[i * channels + c]! / 2 + 0.5;
    }
  }
  return { width, height, rgb };
}

/** Sorted ascending: the exemplar's values at the quantiles of `n` equal parts. */
function quantiles(sorted: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    out[r] = sorted[Math.min(sorted.length - 1, Math.floor(((r + 0.5) * sorted.length) / n))]!;
  }
  return out;
}

/** First index of `sorted` whose value is >= v. */
function lowerBound(sorted: Float32Array, v: number): number {
  let [lo, hi] = [0, sorted.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

export interface TextureLossResult {
  /** Each sample's loss: the mean over scales of the mean squared quantile mismatch. */
  losses: Float32Array;
  /** d(sum of losses / batch)/d(state) [count, H, W, C]: non-zero on channels 0..2 only. */
  grad: Float32Array;
}

/**
 * The loss of `count` states [count, H, W, C] against the exemplar, and its gradient for the
 * rollout's backward pass. The directions are drawn from `rng` (the same for every sample of
 * the call): each call measures on a fresh random set, which is what makes the distance sliced.
 */
export function textureLoss(
  states: Float32Array,
  count: number,
  grid: { width: number; height: number; channels: number },
  exemplar: TextureExemplar,
  rng: Rng,
  batch: number = count,
  settings: TextureLossSettings = TEXTURE_LOSS_DEFAULTS,
): TextureLossResult {
  const { width, height, channels } = grid;
  const perSample = width * height * channels;
  const losses = new Float32Array(count);
  const grad = new Float32Array(count * perSample);
  const scales = Math.min(settings.scales, exemplar.levels.length);
  const directions = Array.from({ length: scales }, () => Array.from({ length: settings.directions }, () => randomDirection(rng)));
  // The exemplar's sorted projections, once per call.
  const targets = directions.map((set, s) =>
    set.map((d) => {
      const values = project(exemplar.levels[s]!, d, false);
      return values.sort();
    }),
  );
  for (let n = 0; n < count; n++) {
    const levels = pyramid(stateColours(states.subarray(n * perSample, (n + 1) * perSample), width, height, channels), scales);
    let total = 0;
    // d(loss)/d(colour) at each level, then pooled back down to the cells.
    const dLevels = levels.map((level) => new Float32Array(level.rgb.length));
    levels.forEach((level, s) => {
      const cells = level.width * level.height;
      const weight = 1 / (scales * settings.directions * cells);
      directions[s]!.forEach((d, k) => {
        const values = project(level, d, true);
        const sorted = values.slice().sort();
        const wanted = quantiles(targets[s]![k]!, cells);
        // Each value's rank; tied values take consecutive ranks in the order they come.
        const taken = new Int32Array(cells);
        const dl = dLevels[s]!;
        for (let i = 0; i < cells; i++) {
          const first = lowerBound(sorted, values[i]!);
          const rank = first + taken[first]!++;
          const e = values[i]! - wanted[rank]!;
          total += e * e * weight;
          // d(e^2)/d(value) spread over the patch's 27 pixels by the direction.
          const g = (2 * e * weight) / batch;
          const [y, x] = [Math.floor(i / level.width), i % level.width];
          for (let dy = -1; dy <= 1; dy++) {
            const yy = (y + dy + level.height) % level.height;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = (x + dx + level.width) % level.width;
              const p = (yy * level.width + xx) * 3;
              const o = ((dy + 1) * 3 + dx + 1) * 3;
              dl[p] = dl[p]! + g * d[o]!;
              dl[p + 1] = dl[p + 1]! + g * d[o + 1]!;
              dl[p + 2] = dl[p + 2]! + g * d[o + 2]!;
            }
          }
        }
      });
    });
    // The pooling's adjoint, coarse to fine: each cell of a level shares its gradient among the 4 it averaged.
    for (let s = levels.length - 1; s > 0; s--) {
      const [fine, coarse] = [levels[s - 1]!, levels[s]!];
      const [df, dc] = [dLevels[s - 1]!, dLevels[s]!];
      for (let y = 0; y < coarse.height; y++) {
        for (let x = 0; x < coarse.width; x++) {
          for (let c = 0; c < 3; c++) {
            const g = 0.25 * dc[(y * coarse.width + x) * 3 + c]!;
            for (const [yy, xx] of [
              [2 * y, 2 * x],
              [2 * y, 2 * x + 1],
              [2 * y + 1, 2 * x],
              [2 * y + 1, 2 * x + 1],
            ] as const) {
              const at = (yy * fine.width + xx) * 3 + c;
              df[at] = df[at]! + g;
            }
          }
        }
      }
    }
    // colour = x / 2 + 0.5.
    const d0 = dLevels[0]!;
    const out = grad.subarray(n * perSample, (n + 1) * perSample);
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) {
        out[i * channels + c] = d0[i * 3 + c]! / 2;
      }
    }
    losses[n] = total;
  }
  return { losses, grad };
}
