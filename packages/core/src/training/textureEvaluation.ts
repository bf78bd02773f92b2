// `nca eval` of a texture model (docs/design.md §4.9): how close what it weaves is to its
// exemplar, how long that lasts, and how a cut heals. The distance is not the training loss:
// the Gram matrices of a fixed random convolution layer (32 filters of 5x5, ReLU; texture
// statistics after Gatys et al., with the random-filter networks of Ustyuzhaninov et al., which
// describe textures without training) at three scales, compared relative to the exemplar's.
import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';
import { eraseDisc } from '../damageDisc.ts';
import { createRng } from '../rng.ts';
import { startArray } from '../seed.ts';
import type { RolloutKernel } from '../wasm/rolloutKernel.ts';
import { kernelRun } from '../wasm/kernelRun.ts';
import { halve, type RgbPicture } from './rgbPicture.ts';

const FILTERS = 32;
const SIDE = 5;
const SCALES = 3;
/** The filters' seed: fixed, so every model is measured with the same ones. */
const FILTER_SEED = 20210211;

let filters: Float32Array | null = null;

/** FILTERS zero-mean filters of SIDE x SIDE x 3, each of unit norm. */
function randomFilters(): Float32Array {
  if (filters !== null) {
    return filters;
  }
  const rng = createRng(FILTER_SEED);
  const size = SIDE * SIDE * 3;
  filters = new Float32Array(FILTERS * size);
  for (let f = 0; f < FILTERS; f++) {
    const w = filters.subarray(f * size, (f + 1) * size);
    let mean = 0;
    for (let i = 0; i < size; i++) {
      w[i] = rng.next() * 2 - 1;
      mean += w[i]! / size;
    }
    let norm = 0;
    for (let i = 0; i < size; i++) {
      w[i] = w[i]! - mean;
      norm += w[i]! * w[i]!;
    }
    for (let i = 0; i < size; i++) {
      w[i] = w[i]! / Math.sqrt(norm);
    }
  }
  return filters;
}

/** The Gram matrix [FILTERS x FILTERS] of the ReLU responses (valid positions), and the mean colour. */
function statistics(p: RgbPicture): { gram: Float64Array; mean: Float64Array } {
  const w = randomFilters();
  const size = SIDE * SIDE * 3;
  const gram = new Float64Array(FILTERS * FILTERS);
  const response = new Float64Array(FILTERS);
  const patch = new Float32Array(size);
  let n = 0;
  for (let y = 0; y + SIDE <= p.height; y++) {
    for (let x = 0; x + SIDE <= p.width; x++) {
      for (let dy = 0, o = 0; dy < SIDE; dy++) {
        for (let dx = 0; dx < SIDE; dx++) {
          const at = ((y + dy) * p.width + x + dx) * 3;
          patch[o++] = p.rgb[at]!;
          patch[o++] = p.rgb[at + 1]!;
          patch[o++] = p.rgb[at + 2]!;
        }
      }
      for (let f = 0; f < FILTERS; f++) {
        let sum = 0;
        for (let i = 0; i < size; i++) {
          sum += w[f * size + i]! * patch[i]!;
        }
        response[f] = Math.max(0, sum);
      }
      for (let a = 0; a < FILTERS; a++) {
        for (let b = a; b < FILTERS; b++) {
          gram[a * FILTERS + b] = gram[a * FILTERS + b]! + response[a]! * response[b]!;
        }
      }
      n++;
    }
  }
  for (let a = 0; a < FILTERS; a++) {
    for (let b = a; b < FILTERS; b++) {
      gram[a * FILTERS + b] = gram[a * FILTERS + b]! / Math.max(1, n);
      gram[b * FILTERS + a] = gram[a * FILTERS + b]!;
    }
  }
  const mean = new Float64Array(3);
  for (let i = 0; i < p.width * p.height; i++) {
    for (let c = 0; c < 3; c++) {
      mean[c] = mean[c]! + p.rgb[i * 3 + c]! / (p.width * p.height);
    }
  }
  return { gram, mean };
}

/** A picture's statistics at each scale. */
export type TextureStatistics = { gram: Float64Array; mean: Float64Array }[];

export function textureStatistics(rgb: Float32Array, width: number, height: number): TextureStatistics {
  const out: TextureStatistics = [];
  let p: RgbPicture = { width, height, rgb };
  for (let s = 0; s < SCALES && p.width >= SIDE && p.height >= SIDE; s++) {
    out.push(statistics(p));
    p = halve(p);
  }
  return out;
}

/**
 * The texture distance: over the scales, the mean of |G - G_ex|_F / |G_ex|_F, plus the mean
 * colour's distance (RGB, 0..1). 0 for the exemplar's own statistics; about 1.2 for a flat picture.
 */
export function textureDistance(a: TextureStatistics, exemplar: TextureStatistics): number {
  const scales = Math.min(a.length, exemplar.length);
  let sum = 0;
  for (let s = 0; s < scales; s++) {
    let diff = 0;
    let norm = 0;
    exemplar[s]!.gram.forEach((v, i) => {
      diff += (a[s]!.gram[i]! - v) ** 2;
      norm += v * v;
    });
    sum += Math.sqrt(diff / Math.max(norm, 1e-12));
  }
  const colour = Math.hypot(...[0, 1, 2].map((c) => a[0]!.mean[c]! - exemplar[0]!.mean[c]!));
  return sum / scales + colour;
}

/** The colours a texture state shows: clamp(x / 2 + 0.5, 0, 1) (docs/design.md §3.6). */
export function shownColours(state: Float32Array, cells: number, channels: number): Float32Array {
  const rgb = new Float32Array(cells * 3);
  for (let i = 0; i < cells; i++) {
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = Math.min(1, Math.max(0, state[i * channels + c]! / 2 + 0.5));
    }
  }
  return rgb;
}

export interface TextureEvalOptions {
  /** Independent runs averaged. Default 4. */
  seeds?: number;
  /** Grid side the model runs on. Default 128 (the article's). */
  size?: number;
  /** First RNG seed. Default 1. */
  seed?: number;
}

export interface TextureReport {
  size: number;
  seeds: number;
  /** Distance to the exemplar after 500, 1000 and 2000 steps from zeros. */
  distance: { steps: number; value: number }[];
  /** Distance at 2000 steps over distance at 500: above 1, the texture fades or drifts. */
  stability: number;
  /** Distance 200 steps after a disc of a quarter of the grid is cut (at 2000), and its ratio to before the cut. */
  healed: number;
  healRatio: number;
  /** Mean |RGB - RGB before the cut| inside the disc, 200 steps after it (0: healed as it was; it need not be). */
  healedChange: number;
}

const CHECKPOINTS = [500, 1000, 2000] as const;
const HEAL_STEPS = 200;

/** Runs a texture model from zeros on the kernel and measures it against its exemplar (RGBA bytes). */
export function evaluateTexture(
  model: { config: NcaConfig; params: NcaParams },
  exemplar: { width: number; height: number; data: Uint8Array },
  kernel: RolloutKernel,
  options: TextureEvalOptions = {},
): TextureReport {
  const seeds = options.seeds ?? 4;
  const size = options.size ?? 128;
  const config = { ...model.config, gridWidth: size, gridHeight: size };
  const grid = { width: size, height: size, channels: config.channels };
  const cells = size * size;
  const ex = textureStatistics(
    Float32Array.from({ length: exemplar.width * exemplar.height * 3 }, (_, i) => exemplar.data[Math.floor(i / 3) * 4 + (i % 3)]! / 255),
    exemplar.width,
    exemplar.height,
  );
  const distances = CHECKPOINTS.map(() => 0);
  let healed = 0;
  let change = 0;
  for (let k = 0; k < seeds; k++) {
    const rng = createRng((options.seed ?? 1) + k);
    let state = startArray(config, grid);
    let t = 0;
    CHECKPOINTS.forEach((at, i) => {
      state = kernelRun(kernel, { config, params: model.params }, state, 1, at - t, rng).states;
      t = at;
      distances[i] = distances[i]! + textureDistance(textureStatistics(shownColours(state, cells, config.channels), size, size), ex) / seeds;
    });
    const before = shownColours(state, cells, config.channels);
    const disc = { x: size / 2, y: size / 2, radius: size / 4 };
    eraseDisc(state, grid, disc);
    state = kernelRun(kernel, { config, params: model.params }, state, 1, HEAL_STEPS, rng).states;
    const after = shownColours(state, cells, config.channels);
    healed += textureDistance(textureStatistics(after, size, size), ex) / seeds;
    let inside = 0;
    let sum = 0;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if ((x + 0.5 - disc.x) ** 2 + (y + 0.5 - disc.y) ** 2 < disc.radius ** 2) {
          inside++;
          for (let c = 0; c < 3; c++) {
            sum += Math.abs(after[(y * size + x) * 3 + c]! - before[(y * size + x) * 3 + c]!) / 3;
          }
        }
      }
    }
    change += sum / Math.max(1, inside) / seeds;
  }
  const last = distances[distances.length - 1]!;
  return {
    size,
    seeds,
    distance: CHECKPOINTS.map((steps, i) => ({ steps, value: distances[i]! })),
    stability: last / Math.max(1e-9, distances[0]!),
    healed,
    healRatio: healed / Math.max(1e-9, last),
    healedChange: change,
  };
}

/** A texture report in one line, as the Train view shows it beside the finished model. */
export function textureFiguresLine(r: TextureReport): string {
  const [first, , last] = r.distance;
  return (
    `texture distance ${last!.value.toFixed(3)} after ${last!.steps} steps (${first!.value.toFixed(3)} after ${first!.steps}; 0 is the exemplar's, a flat picture about 1.2), ` +
    `stability ${r.stability.toFixed(2)}, after a cut ${r.healRatio.toFixed(2)}x`
  );
}
