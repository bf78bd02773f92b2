import { DEFAULT_CONFIG, TEXTURE_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { PRESETS } from '../presets.ts';
import { batchGradient } from './batchGradient.ts';
import { kernelBatchGradient } from '../wasm/rolloutKernel.ts';
import { sampleBySample } from './shards.ts';
import { driveTraining, freshTrainingState, TrainingError, TrainingRun, type TrainingRecipe } from './trainingRun.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, channels: 8, hidden: 16, gridWidth: 12, gridHeight: 12 };
const recipe = (iterations: number, pool = 8): TrainingRecipe => ({
  config,
  seed: 3,
  training: {
    ...PRESETS.regenerating.training,
    iterations,
    batch: 2,
    pool,
    damaged: 1,
    stepsMin: 6,
    stepsMax: 10,
    lr: 4e-3,
    lrDecayAt: null,
    padding: 2,
    targetSize: 8,
  },
});

/** A 6x6 square of half-transparent orange in the middle of the 12x12 grid. */
function squareTarget(): Float32Array {
  const target = new Float32Array(12 * 12 * 4);
  for (let y = 3; y < 9; y++) {
    for (let x = 3; x < 9; x++) {
      target.set([0.5, 0.25, 0, 0.5], (y * 12 + x) * 4);
    }
  }
  return target;
}

describe('TrainingRun', () => {
  it('resumed from a snapshot, continues bit for bit as the unbroken run', async () => {
    const start = freshTrainingState(recipe(4), squareTarget());
    const straight = new TrainingRun(recipe(4), start, batchGradient);
    while (!straight.done) {
      await straight.iterate();
    }
    const a = straight.snapshot();

    const first = new TrainingRun(recipe(4), start, batchGradient);
    await first.iterate();
    await first.iterate();
    const middle = first.snapshot();
    const second = new TrainingRun(recipe(4), middle, batchGradient);
    while (!second.done) {
      await second.iterate();
    }
    const b = second.snapshot();

    expect(b.iteration).toBe(4);
    expect(b.losses).toEqual(a.losses);
    expect(b.rngState).toBe(a.rngState);
    expect(Array.from(b.params.dense1Weight)).toEqual(Array.from(a.params.dense1Weight));
    expect(Array.from(b.adam.v[2]!)).toEqual(Array.from(a.adam.v[2]!));
    expect(Array.from(b.pool!)).toEqual(Array.from(a.pool!));
  });

  it('learns: the loss of the last iterations is below the first ones', async () => {
    const run = new TrainingRun(recipe(40, 0), freshTrainingState(recipe(40, 0), squareTarget()), batchGradient);
    const losses: number[] = [];
    while (!run.done) {
      losses.push((await run.iterate()).loss);
    }
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(losses.slice(-5))).toBeLessThan(0.7 * mean(losses.slice(0, 5)));
  });

  it('refuses a state that does not fit the recipe', () => {
    const state = freshTrainingState(recipe(2), squareTarget());
    expect(() => new TrainingRun(recipe(2), { ...state, target: new Float32Array(10) }, batchGradient)).toThrow(TrainingError);
    expect(() => new TrainingRun(recipe(2, 4), state, batchGradient)).toThrow(/the pool has/);
  });

  it('driveTraining runs to the end, or stops where the driver says, calling after each iteration', async () => {
    const seen: number[] = [];
    const whole = new TrainingRun(recipe(3), freshTrainingState(recipe(3), squareTarget()), batchGradient);
    expect(await driveTraining(whole, { after: (info) => void seen.push(info.iteration) })).toEqual({ stopped: false });
    expect(seen).toEqual([1, 2, 3]);
    const part = new TrainingRun(recipe(3), freshTrainingState(recipe(3), squareTarget()), batchGradient);
    expect(await driveTraining(part, { next: () => (part.iteration >= 1 ? 'stop' : 'go') })).toEqual({ stopped: true });
    expect(part.iteration).toBe(1);
  });
});

describe('TrainingRun of a texture (docs/design.md §4.9)', () => {
  const texture: TrainingRecipe = {
    config: { ...TEXTURE_CONFIG, channels: 8, hidden: 16, gridWidth: 16, gridHeight: 16 },
    seed: 5,
    exemplar: { width: 12, height: 10 },
    training: { ...PRESETS.texture.training, iterations: 4, batch: 2, pool: 6, stepsMin: 4, stepsMax: 8, budget: null, lrDecayAt: 3 },
  };
  /** Diagonal stripes in two colours, RGBA in [0, 1]. */
  const exemplar = Float32Array.from({ length: 12 * 10 * 4 }, (_, i) => {
    const [cell, c] = [Math.floor(i / 4), i % 4];
    const on = (((cell % 12) + Math.floor(cell / 12)) >> 1) % 2 === 1;
    return c === 3 ? 1 : on ? [0.9, 0.3, 0.1][c]! : [0.1, 0.2, 0.8][c]!;
  });
  const kernel = sampleBySample(kernelBatchGradient);

  it('starts from zeros, trains against the exemplar, and a resumed run continues bit for bit', async () => {
    const start = freshTrainingState(texture, exemplar);
    expect(start.pool!.every((v) => v === 0)).toBe(true);
    const straight = new TrainingRun(texture, start, kernel);
    while (!straight.done) {
      await straight.iterate();
    }
    const a = straight.snapshot();
    expect(a.losses.every((l) => Number.isFinite(l) && l > 0)).toBe(true);
    expect(a.params.dense2Weight.some((v) => v !== 0)).toBe(true);
    expect(straight.recipe.exemplar).toEqual({ width: 12, height: 10 });

    const first = new TrainingRun(texture, start, kernel);
    await first.iterate();
    const second = new TrainingRun(texture, first.snapshot(), kernel);
    while (!second.done) {
      await second.iterate();
    }
    const b = second.snapshot();
    expect(b.losses).toEqual(a.losses);
    expect(b.rngState).toBe(a.rngState);
    expect(Array.from(b.params.dense1Weight)).toEqual(Array.from(a.params.dense1Weight));
    expect(Array.from(b.pool!)).toEqual(Array.from(a.pool!));
  });

  it('refuses an exemplar of another size than the recipe says', () => {
    expect(() => new TrainingRun(texture, freshTrainingState(texture, exemplar.subarray(4)), kernel)).toThrow(
      /the exemplar has 476 values, 12x10 RGBA needs 480/,
    );
  });
});
