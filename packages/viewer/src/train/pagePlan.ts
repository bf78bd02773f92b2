import { overrideSettings, PRESETS, settleRunLength, TEXTURE_LOSS, type PresetName } from '@nca-studio/core/presets';
import type { Exemplar, Target } from '@nca-studio/core/target';
import { MIN_BUDGET_MINUTES, type RunPlan } from '@nca-studio/weights-format';

/** The presets the Train view's Grow mode offers: the kernel's half hour, a few minutes' sketch, the article's. */
export const PAGE_PRESETS = ['cpu', 'quick', 'regenerating'] as const satisfies readonly PresetName[];
/** Texture mode's one preset: an exemplar woven on a torus (docs/design.md §4.9). */
export type PagePreset = (typeof PAGE_PRESETS)[number] | 'texture';

/** The few settings people change; the rest is the preset's. */
export interface PageSettings {
  preset: PagePreset;
  targetSize: number;
  /** Minutes of training (a time budget: the rate falls from 70% of them), or null to train for `iterations`. */
  minutes: number | null;
  iterations: number;
  /** Damage the best pool samples (regeneration); off trains growth and persistence only. A texture takes none. */
  damage: boolean;
  seed: number;
}

export const TARGET_SIZES = { min: 8, max: 64 } as const;
export const ITERATIONS = { min: 1, max: 20_000 } as const;
export const MINUTES = { min: MIN_BUDGET_MINUTES, max: 600 } as const;
/** The count offered when a preset by time is switched to a count. */
const COUNT_OFFERED = 5000;

export function defaultSettings(preset: PagePreset = 'cpu'): PageSettings {
  const training = PRESETS[preset].training;
  return {
    preset,
    targetSize: training.targetSize,
    minutes: training.budget?.minutes ?? null,
    iterations: training.budget === null ? training.iterations : COUNT_OFFERED,
    damage: training.damaged > 0,
    seed: 1,
  };
}

/** What is wrong with the settings, in the form's words, or null. */
export function settingsProblem(settings: PageSettings): string | null {
  const { targetSize, iterations } = settings;
  const minutes = settings.minutes ?? null;
  if (minutes !== null && !(typeof minutes === 'number' && minutes >= MINUTES.min && minutes <= MINUTES.max)) {
    return `minutes must be a number from ${MINUTES.min} to ${MINUTES.max} (or empty, to train for a number of iterations)`;
  }
  // A texture's exemplar size is its preset's: the form does not offer it.
  if (settings.preset !== 'texture' && (!Number.isInteger(targetSize) || targetSize < TARGET_SIZES.min || targetSize > TARGET_SIZES.max)) {
    return `target size must be a whole number of cells from ${TARGET_SIZES.min} to ${TARGET_SIZES.max}`;
  }
  if (minutes === null && (!Number.isInteger(iterations) || iterations < ITERATIONS.min || iterations > ITERATIONS.max)) {
    return `iterations must be a whole number from ${ITERATIONS.min} to ${ITERATIONS.max}`;
  }
  return null;
}

/**
 * A run plan as the CLI's `nca train --preset P --target-size S --minutes M` (or `--iterations N`)
 * `[--damage 0]` makes it: the same rules (core's overrideSettings and settleRunLength) over the
 * same preset.
 */
export function pagePlan(settings: PageSettings, target: Target, source: RunPlan['target']): RunPlan {
  if (settings.preset === 'texture') {
    throw new Error('a texture run is planned from its exemplar: texturePagePlan');
  }
  const preset = PRESETS[settings.preset];
  const damaged = settings.damage ? Math.max(1, preset.training.damaged) : 0;
  // An emptied number field binds as null or undefined: either means "by count".
  const minutes = settings.minutes ?? null;
  const merged = overrideSettings(preset.training, {
    targetSize: settings.targetSize,
    damaged: preset.training.pool > 0 ? damaged : 0,
  });
  const training = settleRunLength(merged, minutes === null ? { iterations: settings.iterations } : { minutes }, (s) => s);
  if (typeof training === 'string') {
    // The form sets one length or the other, never a decay point: no rule between them can fail.
    throw new Error(training);
  }
  return {
    preset: settings.preset,
    config: { ...preset.config, gridWidth: target.width, gridHeight: target.height },
    training,
    seed: settings.seed,
    target: source,
    targetName: target.name,
    checkpointEvery: 50,
  };
}

/**
 * A texture run's plan as `nca train --texture IMG --minutes M` (or `--iterations N`) makes it:
 * the texture preset, its torus, and the exemplar's size (core's prepareExemplar shrank it to
 * the preset's size, as the CLI's loadExemplar does).
 */
export function texturePagePlan(settings: PageSettings, exemplar: Exemplar, source: RunPlan['target']): RunPlan {
  const preset = PRESETS.texture;
  const minutes = settings.minutes ?? null;
  const training = settleRunLength(preset.training, minutes === null ? { iterations: settings.iterations } : { minutes }, (s) => s);
  if (typeof training === 'string') {
    throw new Error(training);
  }
  return {
    preset: 'texture',
    config: { ...preset.config },
    training,
    seed: settings.seed,
    target: source,
    targetName: exemplar.name,
    checkpointEvery: 50,
    exemplar: { width: exemplar.width, height: exemplar.height, loss: TEXTURE_LOSS },
  };
}

/** The exemplar as the run's target values: its RGBA bytes / 255 (what the checkpoint stores). */
export function exemplarValues(exemplar: Exemplar): Float32Array {
  return Float32Array.from(exemplar.rgba8, (v) => v / 255);
}
