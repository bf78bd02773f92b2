import {
  DEFAULT_CONFIG,
  MAX_ITERATIONS,
  NOTEBOOK_CONFIG,
  TEXTURE_CONFIG,
  type NcaConfig,
  type TextureLossName,
  type TrainingSettings,
} from '@nca-studio/weights-format';
import { budgetedSettings, DEFAULT_DECAY_AT, rebudget } from './training/timeBudget.ts';

export type { DamageRadius, LrSchedule, TimeBudget, TrainingSettings } from '@nca-studio/weights-format';

export type PresetName = 'regenerating' | 'persistent' | 'growing' | 'notebook' | 'quick' | 'cpu' | 'texture';

export interface Preset {
  name: PresetName;
  config: NcaConfig;
  training: TrainingSettings;
}

const regenerating: Preset = {
  name: 'regenerating',
  config: { ...DEFAULT_CONFIG, gridWidth: 72, gridHeight: 72 },
  training: {
    targetSize: 40,
    padding: 16,
    batch: 8,
    pool: 1024,
    reseedEvery: 1,
    damaged: 3,
    // The article's discs: radius 0.1..0.4 of the half-grid.
    damageRadius: { min: 0.05, max: 0.2 },
    stepsMin: 64,
    stepsMax: 95,
    lr: 2e-3,
    lrDecayAt: 2000,
    lrDecayFactor: 0.1,
    lrSchedule: 'step',
    iterations: 8000,
    normalizeGradients: true,
    overflowWeight: 0,
    outsideWeight: 0,
    detailWeight: 0,
    budget: null,
  },
};

/** The texture loss a new texture run is planned with (docs/design.md §4.9: why, by the runs). */
export const TEXTURE_LOSS: TextureLossName = 'spectrum';

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  regenerating,
  persistent: { ...regenerating, name: 'persistent', training: { ...regenerating.training, damaged: 0 } },
  growing: { ...regenerating, name: 'growing', training: { ...regenerating.training, pool: 0, damaged: 0 } },
  // The article's model and 40 px target for 2 CPU cores, in at most 30 minutes with core's
  // rollout kernel: 8 cells of padding instead of 16 (the kernel's cost follows the living
  // cells, but the pool's memory and the masks follow the grid), batch 4 for twice the updates
  // of batch 8 in the same time, three of the four damaged for regrowth, discs sized for nca
  // eval's damage, the overflow penalty, 4,600 iterations (the lizard: 17 minutes), the rate
  // falling in a line from 70% of them (the butterfly: 22 minutes). The runs
  // behind it are in docs/recipes.md.
  cpu: {
    name: 'cpu',
    config: { ...DEFAULT_CONFIG, gridWidth: 56, gridHeight: 56 },
    training: {
      targetSize: 40,
      padding: 8,
      batch: 4,
      pool: 256,
      reseedEvery: 2,
      damaged: 3,
      damageRadius: { min: 0.1, max: 0.3 },
      stepsMin: 64,
      stepsMax: 96,
      lr: 2e-3,
      // Trained by time: 30 minutes, and from 70% of them the rate falls in a line to a
      // hundredth (a short run is still learning its pattern when the article's step to a
      // tenth would come). The decay point and the last iteration are settled when the run
      // gets there (timeBudget.ts) and written into its plan.
      lrDecayAt: null,
      lrDecayFactor: 0.01,
      lrSchedule: 'linear',
      iterations: MAX_ITERATIONS,
      normalizeGradients: true,
      overflowWeight: 1,
      outsideWeight: 0,
      // The detail term at the RGBA error's weight: in a turtle's 30 minutes it lowered the
      // growth, detail and haze errors together, at the same pace (docs/recipes.md).
      detailWeight: 1,
      budget: { minutes: 30, decayAt: DEFAULT_DECAY_AT },
    },
  },
  // Designed for 2 CPU cores (docs/design.md §4 `quick`): a 32x32 grid (24 px target), hidden 64, batch 4
  // and fewer steps, so a model that grows and regrows trains in about a quarter of an hour.
  quick: {
    name: 'quick',
    config: { ...DEFAULT_CONFIG, hidden: 64, gridWidth: 32, gridHeight: 32 },
    training: {
      targetSize: 24,
      padding: 4,
      batch: 4,
      // As the article's 1024 with batch 8 over 8000 iterations: each sample drawn ~50 times.
      pool: 64,
      // 1 sample in 8 re-seeded, the article's rate with batch 8: pool states live longer.
      reseedEvery: 2,
      // Larger discs than the article's: on a 32x32 grid `nca eval`'s disc (0.25 x grid) is a
      // third of the target (docs/recipes.md has the runs).
      damaged: 2,
      damageRadius: { min: 0.15, max: 0.35 },
      stepsMin: 32,
      stepsMax: 48,
      lr: 2e-3,
      // About a quarter of an hour on 2 CPU cores (docs/recipes.md).
      lrDecayAt: 560,
      lrDecayFactor: 0.1,
      lrSchedule: 'step',
      iterations: 800,
      normalizeGradients: true,
      // Pulls runaway state values back towards [-1, 1] (an overflow loss, as later NCA work uses).
      overflowWeight: 1,
      outsideWeight: 0,
      detailWeight: 0,
      budget: null,
    },
  },
  // A texture from an exemplar (docs/design.md §4.9; its loss: TEXTURE_LOSS), for 2 CPU cores in a quarter of an hour:
  // the article's model on a 64x64 torus (a quarter of its 128x128: four times the updates in
  // the time), from zeros, the pool's worst sample started again every iteration, no damage
  // (a texture heals without being taught to), the article's 32..64 steps and rate, by time:
  // 15 minutes, the rate falling in a line to a tenth from 70% of them. `targetSize` is the
  // exemplar's longer side after shrinking (a picture is shrunk to it, never enlarged).
  texture: {
    name: 'texture',
    config: { ...TEXTURE_CONFIG, gridWidth: 64, gridHeight: 64 },
    training: {
      targetSize: 128,
      padding: 0,
      batch: 4,
      pool: 256,
      reseedEvery: 1,
      damaged: 0,
      damageRadius: { min: 0.1, max: 0.3 },
      stepsMin: 32,
      stepsMax: 64,
      lr: 2e-3,
      lrDecayAt: null,
      lrDecayFactor: 0.1,
      lrSchedule: 'linear',
      iterations: MAX_ITERATIONS,
      normalizeGradients: true,
      overflowWeight: 0,
      outsideWeight: 0,
      detailWeight: 0,
      budget: { minutes: 15, decayAt: DEFAULT_DECAY_AT },
    },
  },
  // The original PyTorch notebook's recipe.
  notebook: {
    name: 'notebook',
    config: { ...NOTEBOOK_CONFIG },
    training: {
      targetSize: 48,
      padding: 8,
      batch: 1,
      pool: 0,
      reseedEvery: 1,
      damaged: 0,
      damageRadius: regenerating.training.damageRadius,
      stepsMin: 64,
      stepsMax: 96,
      lr: 1e-3,
      lrDecayAt: null,
      lrDecayFactor: 1,
      lrSchedule: 'step',
      iterations: 2500,
      normalizeGradients: false,
      overflowWeight: 0,
      outsideWeight: 0,
      detailWeight: 0,
      budget: null,
    },
  },
};

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

/**
 * The one rule by which settings are overridden, for a new run (the preset's settings and the
 * flags or the form) and a resumed one (the checkpoint's settings and the flags): each given
 * setting replaces the base's, except that a decay asked of settings that never decay (no decay
 * point, factor 1) falls by the article's tenth unless a factor is given too.
 */
export function overrideSettings(base: TrainingSettings, overrides: Partial<TrainingSettings>): TrainingSettings {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as Partial<TrainingSettings>;
  const tenth =
    base.lrDecayAt === null && base.lrDecayFactor === 1 && given.lrDecayAt !== undefined && given.lrDecayAt !== null && given.lrDecayFactor === undefined
      ? { lrDecayFactor: 0.1 }
      : {};
  return { ...base, ...tenth, ...given };
}

/** The settings that differ between two recipes, each as {from, to}: what a resumption records. */
export function changedSettings(before: TrainingSettings, after: TrainingSettings): Record<string, { from: unknown; to: unknown }> {
  const changed: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as (keyof TrainingSettings)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) {
      changed[key] = { from: before[key], to: after[key] };
    }
  }
  return changed;
}

export { DEFAULT_DECAY_AT };

/** How long a run was asked to train: an iteration count, a decay point, a time budget in minutes (each where given). */
export interface RunLength {
  iterations?: number;
  lrDecayAt?: number | null;
  /** Given with the budget: what the rate falls to (otherwise a recipe that never decays falls by a tenth). */
  lrDecayFactor?: number;
  minutes?: number;
  /** Where a resumed run stands: a new budget keeps a decay already begun (timeBudget.ts `rebudget`). */
  from?: { iteration: number; seconds: number };
}

/**
 * The one rule for a run's length, after overrideSettings merged the rest: `minutes` trains by
 * time (the rate falls from the budget's fraction, the end is projected: timeBudget.ts); an
 * iteration count trains by count, its decay point the budget's fraction of it unless given; a
 * preset by time stays by time unless told otherwise. The two ways do not mix: both given, or a
 * decay point with a budget, is a problem (worded by `say`), returned as a string.
 */
export function settleRunLength(
  merged: TrainingSettings,
  length: RunLength,
  say: (setting: 'iterations' | 'lrDecayAt' | 'budget') => string,
): TrainingSettings | string {
  const decayAt = merged.budget?.decayAt ?? DEFAULT_DECAY_AT;
  if (length.minutes !== undefined) {
    if (length.iterations !== undefined) {
      return `${say('budget')} and ${say('iterations')} both set how long the run trains: give one`;
    }
    if (length.lrDecayAt !== undefined) {
      return `${say('lrDecayAt')} needs ${say('iterations')}: with ${say('budget')} the rate falls from ${Math.round(decayAt * 100)}% of the time`;
    }
    // A recipe that never decays (the notebook's) falls by a tenth, as overrideSettings does for a decay point.
    const falling = merged.lrDecayFactor === 1 && length.lrDecayFactor === undefined ? { ...merged, lrDecayFactor: 0.1 } : merged;
    const { from } = length;
    return from === undefined
      ? budgetedSettings(falling, { minutes: length.minutes, decayAt })
      : rebudget(falling, length.minutes, from.iteration, from.seconds, from.seconds / Math.max(1, from.iteration));
  }
  if (length.iterations !== undefined) {
    // A budget already settled (a resumed run) keeps its decay point; one not yet, takes its fraction of the count.
    const lrDecayAt =
      length.lrDecayAt !== undefined || merged.budget === null || merged.lrDecayAt !== null ? merged.lrDecayAt : Math.round(decayAt * length.iterations);
    return { ...merged, iterations: length.iterations, budget: null, lrDecayAt };
  }
  if (merged.budget !== null && length.lrDecayAt !== undefined) {
    return `${say('lrDecayAt')} needs ${say('iterations')}: this recipe trains for ${merged.budget.minutes} minutes, its rate falling from ${Math.round(decayAt * 100)}% of them`;
  }
  return merged;
}
