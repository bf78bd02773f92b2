// The texture loss of docs/design.md §4.9: a multi-scale sliced Wasserstein distance between the
// distribution of small RGB patches of a state (as it is shown, x / 2 + 0.5) and of the exemplar.
// It needs no pretrained network: at each scale (the picture average-pooled by 1, 2, 4, ...) every
// 3x3 patch is a point in 27 dimensions; both point clouds are projected on random directions,
// and each projection's sorted values are matched to the exemplar's quantiles. The gradient of
// that matching goes back through the projections, the patches and the pooling to the state's
// RGB channels, and enters the rollout's backward pass (GradientTask.finalGrad). With the
// `features` setting, each scale adds the same distance between the features of a fixed random
// two-layer network (textureFeatures.ts), their gradient taken back through the network. With
// `spectrum`, the cells' grey level also matches the exemplar's Fourier modulus (textureSpectrum.ts).
import type { TextureLossName } from '@nca-studio/weights-format';
import type { Rng } from '../rng.ts';
import { halve, type RgbPicture } from './rgbPicture.ts';
import { features, featuresBackward, interiorFeatures, randomFeatureNet, type FeatureNet } from './textureFeatures.ts';
import { matchSpectrum, spectrumTarget, type SpectrumTarget } from './textureSpectrum.ts';

export interface TextureLossSettings {
  /** Scales: 1 is the cells themselves, each further one halves the picture. */
  scales: number;
  /** Random directions each scale's patches are projected on, drawn afresh at every call. */
  directions: number;
  /**
   * A second term at each scale: the same distance between the second-layer features of a
   * fixed random two-layer network (textureFeatures.ts), which see 5x5 pixels of the level.
   */
  features: boolean;
  /**
   * The weight of a third term (0: none): the squared mismatch of the cells' grey-level Fourier
   * modulus with the exemplar's (textureSpectrum.ts), which holds how the patches line up.
   */
  spectrum: number;
}

export const TEXTURE_LOSS_DEFAULTS: Readonly<TextureLossSettings> = Object.freeze({ scales: 4, directions: 32, features: false, spectrum: 0 });

/**
 * The spectrum term's weight in the 'spectrum' loss: where, optimising a picture's pixels
 * directly, the patches keep their look and the modulus lines them up (docs/design.md §4.9).
 */
export const SPECTRUM_WEIGHT = 0.3;

/** The loss a plan names (docs/design.md §4.9; a plan without one: 'patches'), as settings. */
export function textureLossSettings(loss: TextureLossName | undefined): TextureLossSettings {
  return { ...TEXTURE_LOSS_DEFAULTS, features: loss === 'features', spectrum: loss === 'spectrum' ? SPECTRUM_WEIGHT : 0 };
}

/** The random network of the feature term: one, from a fixed seed, for every run. */
let featureNet: FeatureNet | null = null;
function theFeatureNet(): FeatureNet {
  return (featureNet ??= randomFeatureNet());
}

/** Patch side: a 3x3 neighbourhood, the reach of one CA step. */
const PATCH = 3;
const DIMENSIONS = PATCH * PATCH * 3;

/** The pyramid of a picture: itself, then halved `scales - 1` times (while at least a patch wide). */
function pyramid(picture: RgbPicture, scales: number): RgbPicture[] {
  const levels = [picture];
  while (levels.length < scales && levels.at(-1)!.width >= 2 * PATCH && levels.at(-1)!.height >= 2 * PATCH) {
    levels.push(halve(levels.at(-1)!));
  }
  return levels;
}

/**
 * Every 3x3 patch of `picture` as a row of 27 values ([dy][dx][c]): `wrap`, around every cell of a
 * torus (a state); otherwise only the patches inside (an exemplar).
 */
function patches(picture: RgbPicture, wrap: boolean): { rows: Float32Array; count: number } {
  const { width, height, rgb } = picture;
  const [x0, y0, w, h] = wrap ? [0, 0, width, height] : [1, 1, width - 2, height - 2];
  const rows = new Float32Array(w * h * DIMENSIONS);
  let o = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let dy = -1; dy <= 1; dy++) {
        const yy = (y + y0 + dy + height) % height;
        for (let dx = -1; dx <= 1; dx++) {
          const p = (yy * width + ((x + x0 + dx + width) % width)) * 3;
          rows[o++] = rgb[p]!;
          rows[o++] = rgb[p + 1]!;
          rows[o++] = rgb[p + 2]!;
        }
      }
    }
  }
  return { rows, count: w * h };
}

/**
 * projections[k][i]: patch i on direction k. Four directions share each read of a patch (the
 * loop's cost is its loads, not its sums); each sum is still taken in the order of its terms.
 */
function project(rows: Float32Array, count: number, directions: readonly Float32Array[], dims = DIMENSIONS): Float32Array[] {
  const outs = directions.map(() => new Float32Array(count));
  let k = 0;
  for (; k + 4 <= directions.length; k += 4) {
    const [d0, d1, d2, d3] = [directions[k]!, directions[k + 1]!, directions[k + 2]!, directions[k + 3]!];
    const [o0, o1, o2, o3] = [outs[k]!, outs[k + 1]!, outs[k + 2]!, outs[k + 3]!];
    for (let i = 0, o = 0; i < count; i++, o += dims) {
      let [s0, s1, s2, s3] = [0, 0, 0, 0];
      for (let j = 0; j < dims; j++) {
        const r = rows[o + j]!;
        s0 += r * d0[j]!;
        s1 += r * d1[j]!;
        s2 += r * d2[j]!;
        s3 += r * d3[j]!;
      }
      o0[i] = s0;
      o1[i] = s1;
      o2[i] = s2;
      o3[i] = s3;
    }
  }
  for (; k < directions.length; k++) {
    const [d, out] = [directions[k]!, outs[k]!];
    for (let i = 0, o = 0; i < count; i++, o += dims) {
      let sum = 0;
      for (let j = 0; j < dims; j++) {
        sum += rows[o + j]! * d[j]!;
      }
      out[i] = sum;
    }
  }
  return outs;
}

/**
 * dRows += sum over k of g[k][i] d[k] for every patch i, the terms added in k's order and each
 * partial sum rounded to float32 as a Float32Array stores it: the bits of adding one direction
 * at a time, with four directions per read and write of a row.
 */
function spread(dRows: Float32Array, count: number, g: readonly Float64Array[], directions: readonly Float32Array[], dims = DIMENSIONS): void {
  let k = 0;
  for (; k + 4 <= directions.length; k += 4) {
    const [d0, d1, d2, d3] = [directions[k]!, directions[k + 1]!, directions[k + 2]!, directions[k + 3]!];
    const [g0, g1, g2, g3] = [g[k]!, g[k + 1]!, g[k + 2]!, g[k + 3]!];
    for (let i = 0, o = 0; i < count; i++) {
      const [a0, a1, a2, a3] = [g0[i]!, g1[i]!, g2[i]!, g3[i]!];
      for (let j = 0; j < dims; j++, o++) {
        let v = dRows[o]!;
        v = Math.fround(v + a0 * d0[j]!);
        v = Math.fround(v + a1 * d1[j]!);
        v = Math.fround(v + a2 * d2[j]!);
        dRows[o] = v + a3 * d3[j]!;
      }
    }
  }
  for (; k < directions.length; k++) {
    const [d, gk] = [directions[k]!, g[k]!];
    for (let i = 0, o = 0; i < count; i++) {
      const a = gk[i]!;
      for (let j = 0; j < dims; j++, o++) {
        dRows[o] = dRows[o]! + a * d[j]!;
      }
    }
  }
}

/** A unit vector in `dims` dimensions, uniform on the sphere (normalised Gaussians, Box-Muller). */
function randomDirection(rng: Rng, dims = DIMENSIONS): Float32Array {
  const d = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
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
  levels: RgbPicture[];
  /** Each level's feature points (the feature term's), computed on first use and kept. */
  features?: { points: Float32Array; count: number }[];
  /** The spectrum term's target modulus for a grid size, computed on first use and kept. */
  spectrum?: SpectrumTarget;
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
function stateColours(state: Float32Array, width: number, height: number, channels: number): RgbPicture {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = state[i * channels + c]! / 2 + 0.5;
    }
  }
  return { width, height, rgb };
}

/**
 * The order that sorts `values` ascending (a stable LSD radix sort on the float's bits, mapped
 * so unsigned order is numeric order): linear time, and every value gets its own rank, ties
 * in the order they come. Three passes of 11 bits, each key moving with its index so every
 * pass reads in sequence.
 */
export function argsort(values: Float32Array): Uint32Array {
  const n = values.length;
  let keys = new Uint32Array(n);
  keys.set(new Uint32Array(values.buffer, values.byteOffset, n));
  let order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const b = keys[i]!;
    // Negative floats: all bits flipped (larger magnitude sorts first); positive: the sign bit set.
    keys[i] = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
    order[i] = i;
  }
  let nextKeys = new Uint32Array(n);
  let nextOrder = new Uint32Array(n);
  const counts = new Uint32Array(2048);
  for (let shift = 0; shift < 32; shift += 11) {
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      counts[(keys[i]! >>> shift) & 2047]!++;
    }
    for (let b = 0, sum = 0; b < 2048; b++) {
      const c = counts[b]!;
      counts[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      const to = counts[(key >>> shift) & 2047]!++;
      nextKeys[to] = key;
      nextOrder[to] = order[i]!;
    }
    [keys, nextKeys] = [nextKeys, keys];
    [order, nextOrder] = [nextOrder, order];
  }
  return order;
}

/** Sorted ascending: the exemplar's values at the quantiles of `n` equal parts. */
function quantiles(sorted: Float32Array, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    out[r] = sorted[Math.min(sorted.length - 1, Math.floor(((r + 0.5) * sorted.length) / n))]!;
  }
  return out;
}

/**
 * The exemplar's sorted projections on each scale's directions. Every shard of a batch asks for
 * the same ones (one seed an iteration), so the last answer is kept: a worker computing two
 * samples of an iteration projects the exemplar once.
 */
let lastProjections: { exemplar: TextureExemplar; directions: Float32Array[][]; sorted: Float32Array[][] } | null = null;

function sameDirections(a: Float32Array[][], b: Float32Array[][]): boolean {
  if (a.length !== b.length) {
    return false;
  }
  for (let s = 0; s < a.length; s++) {
    if (a[s]!.length !== b[s]!.length) {
      return false;
    }
    for (let k = 0; k < a[s]!.length; k++) {
      const [u, v] = [a[s]![k]!, b[s]![k]!];
      for (let j = 0; j < u.length; j++) {
        if (u[j] !== v[j]) {
          return false;
        }
      }
    }
  }
  return true;
}

function exemplarProjections(exemplar: TextureExemplar, directions: Float32Array[][]): Float32Array[][] {
  if (lastProjections !== null && lastProjections.exemplar === exemplar && sameDirections(lastProjections.directions, directions)) {
    return lastProjections.sorted;
  }
  const sorted = directions.map((set, s) => {
    const { rows, count } = patches(exemplar.levels[s]!, false);
    // Only the sorted values are needed here, not the order: the native numeric sort.
    return project(rows, count, set).map((values) => values.sort());
  });
  lastProjections = { exemplar, directions, sorted };
  return sorted;
}

/**
 * One level's part of the loss: its patches projected on the directions, each projection's
 * sorted values matched to the exemplar's quantiles. Adds d(part / batch)/d(colour) into `dLevel`
 * and returns the part. Plain loops and local sums: this runs for every sample of every iteration.
 */
function matchLevel(
  level: RgbPicture,
  set: readonly Float32Array[],
  sortedTargets: readonly Float32Array[],
  dLevel: Float32Array,
  scales: number,
  batch: number,
): number {
  const { rows, count: cells } = patches(level, true);
  const dRows = new Float32Array(rows.length);
  const part = matchPoints(rows, cells, DIMENSIONS, set, sortedTargets, dRows, scales, batch);
  // Each patch's gradient back onto its 3x3 cells (the torus's wrap, as the patches were read).
  for (let i = 0; i < cells; i++) {
    const y = Math.floor(i / level.width);
    const x = i % level.width;
    let o = i * DIMENSIONS;
    for (let dy = -1; dy <= 1; dy++) {
      const yy = (y + dy + level.height) % level.height;
      for (let dx = -1; dx <= 1; dx++) {
        const p = (yy * level.width + ((x + dx + level.width) % level.width)) * 3;
        dLevel[p] = dLevel[p]! + dRows[o++]!;
        dLevel[p + 1] = dLevel[p + 1]! + dRows[o++]!;
        dLevel[p + 2] = dLevel[p + 2]! + dRows[o++]!;
      }
    }
  }
  return part;
}

/**
 * The sliced distance of `cells` points of `dims` values against the exemplar's sorted
 * projections: each projection's sorted values matched to the exemplar's quantiles. Adds
 * d(part / batch)/d(point) into `dPoints` and returns the part.
 */
function matchPoints(
  points: Float32Array,
  cells: number,
  dims: number,
  set: readonly Float32Array[],
  sortedTargets: readonly Float32Array[],
  dPoints: Float32Array,
  scales: number,
  batch: number,
): number {
  const weight = 1 / (scales * set.length * cells);
  const projections = project(points, cells, set, dims);
  const g = set.map(() => new Float64Array(cells));
  let part = 0;
  for (let k = 0; k < set.length; k++) {
    const values = projections[k]!;
    const order = argsort(values);
    const wanted = quantiles(sortedTargets[k]!, cells);
    const gk = g[k]!;
    for (let rank = 0; rank < cells; rank++) {
      const i = order[rank]!;
      const e = values[i]! - wanted[rank]!;
      part += e * e;
      // d(e^2)/d(point) = 2 e d.
      gk[i] = (2 * e * weight) / batch;
    }
  }
  spread(dPoints, cells, g, set, dims);
  return part * weight;
}

/** The feature term's sorted exemplar projections, the last answer kept as for the patches. */
let lastFeatureProjections: { exemplar: TextureExemplar; directions: Float32Array[][]; sorted: Float32Array[][] } | null = null;

function exemplarFeatureProjections(exemplar: TextureExemplar, directions: Float32Array[][]): Float32Array[][] {
  if (lastFeatureProjections !== null && lastFeatureProjections.exemplar === exemplar && sameDirections(lastFeatureProjections.directions, directions)) {
    return lastFeatureProjections.sorted;
  }
  const net = theFeatureNet();
  exemplar.features ??= exemplar.levels.map((level) => interiorFeatures(net, level));
  const sorted = directions.map((set, s) => {
    const { points, count } = exemplar.features![s]!;
    return project(points, count, set, net.second).map((values) => values.sort());
  });
  lastFeatureProjections = { exemplar, directions, sorted };
  return sorted;
}

export interface TextureLossResult {
  /** Each sample's loss: the mean over scales of the mean squared quantile mismatch (with features, the sum of both terms'). */
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
  const targets = exemplarProjections(exemplar, directions);
  const net = settings.features ? theFeatureNet() : null;
  // The feature term's directions come after the patches' from the same RNG (none drawn without it).
  const featureDirections =
    net === null ? [] : Array.from({ length: scales }, () => Array.from({ length: settings.directions }, () => randomDirection(rng, net.second)));
  const featureTargets = net === null ? [] : exemplarFeatureProjections(exemplar, featureDirections);
  // The exemplar's modulus for this grid: built on the first call, kept while the grid stays.
  let spectrum: SpectrumTarget | null = null;
  if (settings.spectrum > 0) {
    const kept = exemplar.spectrum;
    spectrum = kept !== undefined && kept.width === width && kept.height === height ? kept : spectrumTarget(exemplar.levels[0]!, width, height);
    exemplar.spectrum = spectrum;
  }
  for (let n = 0; n < count; n++) {
    const levels = pyramid(stateColours(states.subarray(n * perSample, (n + 1) * perSample), width, height, channels), scales);
    let total = 0;
    // d(loss)/d(colour) at each level, then pooled back down to the cells.
    const dLevels = levels.map((level) => new Float32Array(level.rgb.length));
    if (spectrum !== null) {
      total += settings.spectrum * matchSpectrum(levels[0]!, spectrum, dLevels[0]!, settings.spectrum, batch);
    }
    for (let s = 0; s < levels.length; s++) {
      total += matchLevel(levels[s]!, directions[s]!, targets[s]!, dLevels[s]!, scales, batch);
      if (net !== null) {
        const level = levels[s]!;
        const f = features(net, level, true);
        const cells = level.width * level.height;
        const dH2 = new Float32Array(cells * net.second);
        total += matchPoints(f.h2, cells, net.second, featureDirections[s]!, featureTargets[s]!, dH2, scales, batch);
        const dRgb = featuresBackward(net, f, dH2);
        const dLevel = dLevels[s]!;
        for (let i = 0; i < dRgb.length; i++) {
          dLevel[i] = dLevel[i]! + dRgb[i]!;
        }
      }
    }
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

/**
 * A texture run's exemplar pyramid, kept while the tasks bring the same bytes (every task of a
 * run, each a fresh copy from its message): built once, and the loss's per-iteration cache of
 * the exemplar's projections, keyed by it, then serves every sample a route computes.
 */
export class KeptExemplar {
  private kept: { width: number; height: number; bytes: Uint8Array; built: TextureExemplar } | null = null;

  of(texture: { exemplar: Uint8Array; width: number; height: number }): TextureExemplar {
    const kept = this.kept;
    const same =
      kept !== null &&
      kept.width === texture.width &&
      kept.height === texture.height &&
      kept.bytes.length === texture.exemplar.length &&
      kept.bytes.every((v, i) => v === texture.exemplar[i]);
    if (!same) {
      this.kept = {
        width: texture.width,
        height: texture.height,
        bytes: texture.exemplar.slice(),
        built: textureExemplar(texture.exemplar, texture.width, texture.height),
      };
    }
    return this.kept!.built;
  }
}
