// What a trained model does, measured as `nca eval` and the Train view report it (docs/design.md,
// "Evaluation"): growth from a seed, persistence, regrowth after a cut, where the error lies,
// the haze around the pattern and the interior detail, all on the rollout kernel's forward pass;
// and the judgement a run's end gives from them: the model grows, it falls short of the goals,
// or it failed, with what to try.
import { MATURE_ALPHA, type NcaModel, type NcaParams, type RunPlan } from '@nca-studio/weights-format';
import { isPresetName, PRESETS } from '../presets.ts';
import { targetBytes } from './modelFile.ts';
import { eraseDisc, randomCentre, type Disc } from '../damageDisc.ts';
import { createRng } from '../rng.ts';
import { seedArray } from '../seed.ts';
import { kernelRun } from '../wasm/kernelRun.ts';
import { sharedKernel, type RolloutKernel } from '../wasm/rolloutKernel.ts';

/** A model with the target it is measured against (RGBA bytes, premultiplied, on its grid). */
export type EvaluatedModel = Pick<NcaModel, 'config' | 'params' | 'training'> & { target: NonNullable<NcaModel['target']> };

/** A run's model as it stands (a checkpoint, or a run in memory), ready to evaluate. */
export function runModel(run: { plan: RunPlan; params: NcaParams; target: Float32Array }): EvaluatedModel {
  const { config, training } = run.plan;
  return {
    config,
    params: run.params,
    training: { settings: { stepsMin: training.stepsMin, stepsMax: training.stepsMax } },
    target: { width: config.gridWidth, height: config.gridHeight, data: targetBytes(run.target) },
  };
}

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
  /** Cells of the target with alpha > MATURE_ALPHA, and of the grown pattern (mean over the seeds). */
  targetCells: number;
  grownCells: number;
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
export const SOLID_ALPHA = 0.9;

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
export function trainingStepRange(model: Pick<NcaModel, 'training'>): { min: number; max: number } {
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
export async function evaluateModel(model: EvaluatedModel, options: EvalOptions = {}, kernel?: RolloutKernel): Promise<EvalReport> {
  const config = model.config;
  const { width, height } = model.target;
  if (width !== config.gridWidth || height !== config.gridHeight) {
    throw new RangeError(`the stored target is ${width}x${height} but the model's grid is ${config.gridWidth}x${config.gridHeight}`);
  }
  const seeds = options.seeds ?? 8;
  const persistenceSteps = options.persistenceSteps ?? 1000;
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
  let targetCells = 0;
  for (let cell = 0; cell < cells; cell++) {
    targetCells += model.target.data[cell * 4 + 3]! / 255 > MATURE_ALPHA ? 1 : 0;
  }
  const grownCells = targetCells - growthSplit.targetOnly + growthSplit.grownOnly;

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
    targetCells,
    grownCells,
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
export function alphaIou(states: ArrayLike<number>, target: Uint8Array, seeds: number, channels: number): number {
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

/**
 * What a model trained at the defaults should reach (the #41 goals, docs/design.md
 * "Evaluation"): growth IoU and RGBA MSE, regrowth and persistence against growth, and a haze of
 * at most a tenth of the picture's cells.
 */
export const GROWTH_GOALS = { iou: 0.85, growth: 5e-3, regrowthRatio: 1.5, persistenceRatio: 2, haze: 0.1 } as const;

/** Below this growth IoU the seed has not grown into the picture at all: the run failed. */
const FAILED_IOU = 0.5;

/**
 * A picture covering more than this share of its grid leaves a thin margin, and more time does
 * not help: the Chromium logo (41% of the `cpu` preset's grid) never grew at the preset's
 * margin, and grew a disc of the right size with the article's margin and the outside penalty
 * (docs/recipes.md, "Your own picture"). One picture sets this share; it is a hint, not a rule.
 */
const FILLED_SHARE = 0.35;

/** What to try when the seed does not grow into the picture (`otherwise` for a picture with room around it). */
function whatToTry(report: EvalReport, otherwise: string): string {
  const share = report.targetCells / (report.gridWidth * report.gridHeight);
  return share > FILLED_SHARE
    ? `the picture fills ${Math.round(100 * share)}% of its grid: train again with more room and the outside penalty (--padding 16 --outside-weight 10)`
    : otherwise;
}

/**
 * A run's end, judged from its model's figures: 'grows' (every goal met), 'short' (it grows
 * but misses a goal: each one named) or 'failed' (it diverged, its seed dies, or it grows into
 * something else), each problem with what to try.
 */
export interface Verdict {
  /** 'early': it would have failed, but the run was too short to call that a failure (judgedEarly). */
  status: 'grows' | 'short' | 'failed' | 'early';
  /** One line each: the figure, its goal and what to try. */
  problems: string[];
}

/**
 * Whether a run is too short for a model that does not grow to be called a failure: it trained
 * under a quarter of its preset's length (its time for a preset by time, its iterations for one
 * by count). A smoke test of 50 iterations is not a failed run; a full run that grows nothing is.
 */
export function judgedEarly(run: { plan: Pick<RunPlan, 'preset'>; iteration: number; seconds: number }): boolean {
  const preset = isPresetName(run.plan.preset) ? PRESETS[run.plan.preset].training : null;
  if (preset === null) {
    return false;
  }
  return preset.budget !== null ? run.seconds < 0.25 * preset.budget.minutes * 60 : run.iteration < 0.25 * preset.iterations;
}

/**
 * The verdict on a model's figures; `damaged` says whether it was trained to regrow, `early`
 * whether the run was too short to call a model that does not grow a failure (judgedEarly).
 */
export function judgeModel(report: EvalReport, options: { damaged: boolean; early?: boolean }): Verdict {
  const g = GROWTH_GOALS;
  const e = (v: number): string => v.toExponential(1);
  if (report.diverged) {
    const problem = 'the state blew up (a figure is not finite): train again with a lower --lr';
    return options.early ? { status: 'early', problems: [`a short run, not judged a failure: ${problem}`] } : { status: 'failed', problems: [problem] };
  }
  const failed: string[] = [];
  if (report.grownCells < 0.1 * report.targetCells) {
    failed.push(
      `the seed does not grow: after ${report.steps.max} steps ${report.grownCells.toFixed(0)} cells live where the picture has ${report.targetCells}; ${whatToTry(report, 'train longer (--minutes)')}`,
    );
  } else if (report.growthIou < FAILED_IOU) {
    failed.push(
      `the seed grows into something else: IoU ${report.growthIou.toFixed(2)} with the picture (goal ${g.iou}); ${whatToTry(report, 'train longer (--minutes) or with more empty room around the picture (--padding)')}`,
    );
  }
  if (failed.length > 0) {
    return options.early
      ? { status: 'early', problems: failed.map((problem) => `a short run, not judged a failure: ${problem}`) }
      : { status: 'failed', problems: failed };
  }
  const short: string[] = [];
  if (report.growthIou < g.iou) {
    short.push(`growth IoU ${report.growthIou.toFixed(2)} (goal ${g.iou}): the outline is off; train longer (--minutes)`);
  }
  if (report.growth > g.growth) {
    short.push(`growth MSE ${e(report.growth)} (goal ${e(g.growth)}): the colours are off; train longer (--minutes)`);
  }
  if (report.growthSplit.grownOnly > g.haze * report.targetCells) {
    short.push(
      `a haze of ${report.growthSplit.grownOnly.toFixed(0)} living cells outside the picture (goal at most ${Math.round(g.haze * report.targetCells)}); raise --outside-weight`,
    );
  }
  if (options.damaged && report.ratio > g.regrowthRatio) {
    short.push(`regrowth ${report.ratio.toFixed(2)}x growth (goal ${g.regrowthRatio}x): a cut does not heal fully; train longer (--minutes)`);
  }
  if (report.persistence > g.persistenceRatio * report.growth) {
    short.push(
      `after ${report.persistenceSteps} steps ${(report.persistence / report.growth).toFixed(1)}x the growth error (goal ${g.persistenceRatio}x): the pattern drifts; train longer (--minutes)`,
    );
  }
  return { status: short.length === 0 ? 'grows' : 'short', problems: short };
}

/** A model's figures in one line, as `nca train` ends and the Train view shows them. */
export function figuresLine(r: EvalReport): string {
  const detail = r.detail === null ? '' : `, detail error ${r.detail.toFixed(2)}`;
  return (
    `growth IoU ${r.growthIou.toFixed(2)}, MSE ${r.growth.toExponential(1)}, haze ${r.growthSplit.grownOnly.toFixed(0)} cells${detail}, ` +
    `regrowth ${r.ratio.toFixed(2)}x growth, after ${r.persistenceSteps} steps ${(r.persistence / r.growth).toFixed(1)}x growth`
  );
}
