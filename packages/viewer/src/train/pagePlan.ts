import { overrideSettings, PRESETS, type PresetName } from '@nca-studio/core/presets';
import type { Target } from '@nca-studio/core/target';
import type { RunPlan } from '@nca-studio/weights-format';

/** The presets the Train view offers: the kernel's half hour, a few minutes' sketch, the article's. */
export const PAGE_PRESETS = ['cpu', 'quick', 'regenerating'] as const satisfies readonly PresetName[];
export type PagePreset = (typeof PAGE_PRESETS)[number];

/** The few settings people change; the rest is the preset's. */
export interface PageSettings {
  preset: PagePreset;
  targetSize: number;
  iterations: number;
  /** Damage the best pool samples (regeneration); off trains growth and persistence only. */
  damage: boolean;
  seed: number;
}

export const TARGET_SIZES = { min: 8, max: 64 } as const;
export const ITERATIONS = { min: 1, max: 20_000 } as const;

export function defaultSettings(preset: PagePreset = 'cpu'): PageSettings {
  const training = PRESETS[preset].training;
  return { preset, targetSize: training.targetSize, iterations: training.iterations, damage: training.damaged > 0, seed: 1 };
}

/** What is wrong with the settings, in the form's words, or null. */
export function settingsProblem(settings: PageSettings): string | null {
  const { targetSize, iterations } = settings;
  if (!Number.isInteger(targetSize) || targetSize < TARGET_SIZES.min || targetSize > TARGET_SIZES.max) {
    return `target size must be a whole number of cells from ${TARGET_SIZES.min} to ${TARGET_SIZES.max}`;
  }
  if (!Number.isInteger(iterations) || iterations < ITERATIONS.min || iterations > ITERATIONS.max) {
    return `iterations must be a whole number from ${ITERATIONS.min} to ${ITERATIONS.max}`;
  }
  return null;
}

/**
 * A run plan as the CLI's `nca train --preset P --target-size S --iterations N [--damage 0]`
 * makes it: the same rule (core's overrideSettings) over the same preset.
 */
export function pagePlan(settings: PageSettings, target: Target, source: RunPlan['target']): RunPlan {
  const preset = PRESETS[settings.preset];
  const damaged = settings.damage ? Math.max(1, preset.training.damaged) : 0;
  return {
    preset: settings.preset,
    config: { ...preset.config, gridWidth: target.width, gridHeight: target.height },
    training: overrideSettings(preset.training, {
      targetSize: settings.targetSize,
      iterations: settings.iterations,
      damaged: preset.training.pool > 0 ? damaged : 0,
    }),
    seed: settings.seed,
    target: source,
    targetName: target.name,
    checkpointEvery: 50,
  };
}
