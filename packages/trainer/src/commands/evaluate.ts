import { createRng, eraseDisc, inferenceMemory, kernelRun, randomCentre, seedArray, sharedKernel, type Disc, type RolloutKernel } from '@nca-studio/core';
import { MATURE_ALPHA, type NcaModel } from '@nca-studio/weights-format';
import { guardInference } from '../backends/budget.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import { loadTarget, targetFromFlags } from '../images/target.ts';
import type { CommandIo } from './io.ts';
import { loadModel } from './inspect.ts';

export interface EvalOptions {
  /** Independent runs averaged (one batch sample each). */
  seeds?: number;
  /** Steps for the persistence figure. */
  persistenceSteps?: number;
  /** First RNG seed. */
  seed?: number;
}

/** `nca eval` figures: RGBA MSE against the model's stored target (docs/design.md §4's loss). */
export interface EvalReport {
  seeds: number;
  steps: { min: number; max: number };
  gridWidth: number;
  gridHeight: number;
  /** After growing from a seed for a step count drawn from the training range. */
  growth: number;
  /** After `persistenceSteps` steps from a seed. */
  persistence: number;
  persistenceSteps: number;
  /** Grown, a disc of radius 0.25 x grid size erased at the centre, the same steps again. */
  regrowth: number;
  /** The same with the disc at a random place in the middle half of the grid. */
  regrowthOffCentre: number;
  /** Alpha-mask IoU of the grown pattern against the target (alpha > MATURE_ALPHA in both / in either). */
  growthIou: number;
  /** Where the growth error lies, by the target's alpha. */
  growthSplit: ErrorSplit;
  /**
   * How much of the picture's interior detail the grown pattern misses or gets wrong: the
   * squared error of the RGB image gradient between neighbours inside the target, over the
   * target's own (0: every edge and pattern inside, 1: a flat blob); null when the target's
   * inside is one flat colour.
   */
  detail: number | null;
  damageRadius: number;
  /** regrowth / growth: near 1 means the damage heals completely. */
  ratio: number;
  /** A figure is NaN or infinite: the state blew up. */
  diverged: boolean;
}

/** Target alpha above which a cell counts as inside the pattern (below MATURE_ALPHA: outside). */
const SOLID_ALPHA = 0.9;

/**
 * The growth error split by the target's alpha: inside (> SOLID_ALPHA), edge, outside (<=
 * MATURE_ALPHA), each the region's part of the RGBA MSE (the three add up to it), and the
 * cells where the two alpha masks of the IoU disagree; all averaged over the seeds.
 */
export interface ErrorSplit {
  inside: number;
  edge: number;
  outside: number;
  /** Cells mature in the grown pattern only: growth where the target has none (the haze). */
  grownOnly: number;
  /** Cells mature in the target only: what did not grow. */
  targetOnly: number;
}

/** The step range the model was trained with, from its metadata; the Distill range otherwise. */
export function trainingStepRange(model: NcaModel): { min: number; max: number } {
  const settings = (model.training?.settings ?? {}) as { stepsMin?: unknown; stepsMax?: unknown };
  if (typeof settings.stepsMin === 'number' && typeof settings.stepsMax === 'number') {
    return { min: settings.stepsMin, max: settings.stepsMax };
  }
  return { min: 64, max: 96 };
}

/**
 * Growth, persistence and regrowth of a model, each averaged over `seeds` runs batched
 * together, on the rollout kernel's forward pass (tested equal to `step`): a bundled model's
 * figures in seconds.
 */
export async function evaluate(model: NcaModel, options: EvalOptions = {}, kernel?: RolloutKernel): Promise<EvalReport> {
  if (model.target === undefined) {
    throw new NcaError('BAD_MODEL', 'this model file stores no target image, so there is nothing to compare with (train it with nca train, which stores one)');
  }
  const config = model.config;
  const { width, height } = model.target;
  if (width !== config.gridWidth || height !== config.gridHeight) {
    throw new NcaError('BAD_MODEL', `the stored target is ${width}x${height} but the model's grid is ${config.gridWidth}x${config.gridHeight}`);
  }
  const seeds = options.seeds ?? 8;
  const persistenceSteps = options.persistenceSteps ?? 1000;
  // Held at once: the grown batch, and the centre and off-centre damaged batches.
  guardInference('evaluating', inferenceMemory(config, { width, height }, 3 * seeds, '--seeds (or run the model on a smaller grid)'), 'kernel');
  const runner = kernel ?? (await sharedKernel());
  const range = trainingStepRange(model);
  const rng = createRng(options.seed ?? 1);
  // Training puts the loss after a step count drawn from its range; the upper end is where
  // every sample of training had to be right, so growth and regrowth are measured there.
  const steps = Math.round(range.max);
  const grid = { height, width, channels: config.channels };
  const cells = width * height;
  const sampleSize = cells * config.channels;
  const target = Float32Array.from(model.target.data, (v) => v / 255);
  const radius = 0.25 * Math.min(width, height);
  const advance = (states: Float32Array, count: number, n: number) => kernelRun(runner, model, states, count, n, rng, target);

  const grown = advance(seedArray(grid, seeds), seeds, steps);
  const growth = mean(grown.losses);
  const growthIou = alphaIou(grown.states, model.target.data, seeds, config.channels);
  const growthSplit = errorSplit(grown.states, model.target.data, seeds, config.channels);
  const detail = detailError(grown.states, model.target.data, seeds, config.channels, width);

  const centre: Disc[] = Array.from({ length: seeds }, () => ({ x: width / 2, y: height / 2, radius }));
  const offCentre: Disc[] = Array.from({ length: seeds }, () => ({ ...randomCentre(grid, rng), radius }));
  const damaged = new Float32Array(2 * seeds * sampleSize);
  damaged.set(grown.states, 0);
  damaged.set(grown.states, seeds * sampleSize);
  [...centre, ...offCentre].forEach((disc, n) => eraseDisc(damaged.subarray(n * sampleSize, (n + 1) * sampleSize), grid, disc));
  const regrown = advance(damaged, 2 * seeds, steps);
  const regrowth = mean(regrown.losses.subarray(0, seeds));
  const regrowthOffCentre = mean(regrown.losses.subarray(seeds));

  const persisted = persistenceSteps > steps ? advance(grown.states, seeds, persistenceSteps - steps).losses : grown.losses;
  const persistence = mean(persisted);
  return {
    seeds,
    steps: range,
    gridWidth: width,
    gridHeight: height,
    growth,
    growthIou,
    growthSplit,
    detail,
    persistence,
    persistenceSteps,
    regrowth,
    regrowthOffCentre,
    damageRadius: radius,
    ratio: regrowth / growth,
    diverged: ![growth, persistence, regrowth, regrowthOffCentre].every(Number.isFinite),
  };
}

/**
 * The alpha-mask IoU of grown states [seeds, H, W, C] against the target's RGBA bytes: cells
 * with alpha > MATURE_ALPHA in both over cells with it in either, averaged over the seeds (1 where
 * both masks are empty).
 */
function alphaIou(states: ArrayLike<number>, target: Uint8Array, seeds: number, channels: number): number {
  const cells = target.length / 4;
  let sum = 0;
  for (let s = 0; s < seeds; s++) {
    let both = 0;
    let either = 0;
    for (let cell = 0; cell < cells; cell++) {
      const grown = states[(s * cells + cell) * channels + 3]! > MATURE_ALPHA;
      const wanted = target[cell * 4 + 3]! / 255 > MATURE_ALPHA;
      both += grown && wanted ? 1 : 0;
      either += grown || wanted ? 1 : 0;
    }
    sum += either === 0 ? 1 : both / either;
  }
  return sum / seeds;
}

/** ErrorSplit of grown states [seeds, H, W, C] against the target's RGBA bytes. */
function errorSplit(states: ArrayLike<number>, target: Uint8Array, seeds: number, channels: number): ErrorSplit {
  const cells = target.length / 4;
  const split: ErrorSplit = { inside: 0, edge: 0, outside: 0, grownOnly: 0, targetOnly: 0 };
  for (let s = 0; s < seeds; s++) {
    for (let cell = 0; cell < cells; cell++) {
      const at = (s * cells + cell) * channels;
      const alpha = target[cell * 4 + 3]! / 255;
      let squared = 0;
      for (let ch = 0; ch < 4; ch++) {
        squared += (states[at + ch]! - target[cell * 4 + ch]! / 255) ** 2;
      }
      const region = alpha > SOLID_ALPHA ? 'inside' : alpha > MATURE_ALPHA ? 'edge' : 'outside';
      split[region] += squared;
      const grown = states[at + 3]! > MATURE_ALPHA;
      const wanted = alpha > MATURE_ALPHA;
      split.grownOnly += grown && !wanted ? 1 : 0;
      split.targetOnly += wanted && !grown ? 1 : 0;
    }
  }
  const values = cells * 4 * seeds;
  return {
    inside: split.inside / values,
    edge: split.edge / values,
    outside: split.outside / values,
    grownOnly: split.grownOnly / seeds,
    targetOnly: split.targetOnly / seeds,
  };
}

/**
 * EvalReport.detail: over every pair of horizontal and vertical neighbours both inside the
 * target (alpha > SOLID_ALPHA), the squared difference between the grown pattern's RGB step
 * (clipped to [0, 1], as it is shown) and the target's, summed, over the target's own squared
 * steps; averaged over the seeds. The silhouette's edge is left out: IoU and the split judge it.
 */
export function detailError(states: ArrayLike<number>, target: Uint8Array, seeds: number, channels: number, width: number): number | null {
  const cells = target.length / 4;
  const inside = (cell: number): boolean => target[cell * 4 + 3]! / 255 > SOLID_ALPHA;
  const shown = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
  let wanted = 0;
  let wrong = 0;
  for (let cell = 0; cell < cells; cell++) {
    if (!inside(cell)) {
      continue;
    }
    for (const next of [cell % width < width - 1 ? cell + 1 : -1, cell + width < cells ? cell + width : -1]) {
      if (next < 0 || !inside(next)) {
        continue;
      }
      for (let ch = 0; ch < 3; ch++) {
        const goal = (target[next * 4 + ch]! - target[cell * 4 + ch]!) / 255;
        wanted += seeds * goal * goal;
        for (let s = 0; s < seeds; s++) {
          const step = shown(states[(s * cells + next) * channels + ch]!) - shown(states[(s * cells + cell) * channels + ch]!);
          wrong += (step - goal) ** 2;
        }
      }
    }
  }
  return wanted === 0 ? null : wrong / wanted;
}

function mean(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i++) {
    sum += xs[i]!;
  }
  return sum / xs.length;
}

export function formatEval(path: string, r: EvalReport): string {
  const e = (v: number): string => v.toExponential(3);
  return [
    `${path}: ${r.gridWidth}x${r.gridHeight}, ${r.seeds} seeds, ${r.steps.max} steps of growth and of regrowth (RGBA MSE vs the stored target)`,
    `  growth loss                 ${e(r.growth)}`,
    `  growth alpha-mask IoU       ${r.growthIou.toFixed(3)}   cells with alpha > ${MATURE_ALPHA} in both / in either`,
    `    error inside / edge / outside   ${e(r.growthSplit.inside)} / ${e(r.growthSplit.edge)} / ${e(r.growthSplit.outside)}   by the target's alpha (> ${SOLID_ALPHA}, between, <= ${MATURE_ALPHA})`,
    `    cells grown only / target only  ${r.growthSplit.grownOnly.toFixed(1)} / ${r.growthSplit.targetOnly.toFixed(1)}   where the two alpha masks disagree (grown only: the haze)`,
    `  interior detail error       ${r.detail === null ? 'none to judge (the inside is one flat colour)' : `${r.detail.toFixed(3)}   RGB steps between neighbours inside the target, wrong / wanted (0 crisp, 1 a flat blob)`}`,
    `  persistence loss            ${e(r.persistence)}   after ${r.persistenceSteps} steps`,
    `  regrowth loss, centre       ${e(r.regrowth)}   disc of radius ${r.damageRadius.toFixed(1)} erased`,
    `  regrowth loss, off-centre   ${e(r.regrowthOffCentre)}`,
    `  regrowth / growth           ${r.ratio.toFixed(2)}`,
  ].join('\n');
}

/** `nca eval`'s flags, as the CLI parses them. */
export interface EvalFlags {
  seeds: number;
  persistenceSteps: number;
  seed: number;
  json?: boolean;
  emoji?: string;
  target?: string;
  padding: number;
}

/**
 * `nca eval MODEL`: the model's figures against its stored target, or against --emoji /
 * --target placed in its grid with --padding. Exit 1 when a figure diverged.
 */
export async function evalCommand(path: string, flags: EvalFlags, io: CommandIo): Promise<number> {
  const { model } = await loadModel(path);
  const source = targetFromFlags(flags);
  if (source !== undefined) {
    const size = Math.min(model.config.gridWidth, model.config.gridHeight) - 2 * flags.padding;
    if (size < 4) {
      throw new NcaError('BAD_FLAG', `--padding ${flags.padding} leaves no room for a target on a ${model.config.gridWidth}x${model.config.gridHeight} grid`);
    }
    const target = await loadTarget(source, { size, padding: flags.padding });
    if (target.width !== model.config.gridWidth || target.height !== model.config.gridHeight) {
      throw new NcaError(
        'BAD_FLAG',
        `the target comes out ${target.width}x${target.height}, the model's grid is ${model.config.gridWidth}x${model.config.gridHeight}; adjust --padding`,
      );
    }
    model.target = { width: target.width, height: target.height, data: target.rgba8 };
  }
  const report = await evaluate(model, { seeds: flags.seeds, persistenceSteps: flags.persistenceSteps, seed: flags.seed });
  io.log(flags.json ? JSON.stringify({ model: path, ...report }) : formatEval(path, report));
  if (report.diverged) {
    throw new NcaError('DIVERGED', `warning: ${path} diverged: a loss is not finite (the state blew up to NaN or infinity)`);
  }
  return EXIT_OK;
}
