import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { createParams } from '../freshParams.ts';
import { createRng } from '../rng.ts';
import { seedArray } from '../seed.ts';
import { kernelRun } from './kernelRun.ts';
import { RolloutKernel } from './rolloutKernel.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, hidden: 16, gridWidth: 15, gridHeight: 13 };

function model(): { config: NcaConfig; params: ReturnType<typeof createParams> } {
  const rng = createRng(2);
  const params = createParams(config, rng);
  params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.3));
  return { config, params };
}

describe('kernelRun', () => {
  it('gives the same bits whether a long run goes in one segment or in many, and consumes the RNG alike', async () => {
    const kernel = await RolloutKernel.load('simd');
    const start = seedArray({ height: 13, width: 15, channels: config.channels }, 2);
    const [one, many] = [createRng(5), createRng(5)];
    const whole = kernelRun(kernel, model(), start, 2, 23, one);
    // 2 samples x 195 cells a step: segments of 3 steps.
    const pieces = kernelRun(kernel, model(), start, 2, 23, many, undefined, 3 * 2 * 195);
    expect(pieces.states).toEqual(whole.states);
    expect(many.getState()).toBe(one.getState());
    expect(whole.states.some((v, i) => v !== start[i])).toBe(true);
  });

  it('measures the losses against a target, and leaves its input alone', async () => {
    const kernel = await RolloutKernel.load('simd');
    const start = seedArray({ height: 13, width: 15, channels: config.channels });
    const copy = start.slice();
    const target = new Float32Array(13 * 15 * 4);
    const { states, losses } = kernelRun(kernel, model(), start, 1, 4, createRng(1), target);
    let sum = 0;
    for (let cell = 0; cell < 13 * 15; cell++) {
      for (let ch = 0; ch < 4; ch++) {
        sum += states[cell * config.channels + ch]! ** 2;
      }
    }
    expect(losses[0]).toBeCloseTo(sum / (13 * 15 * 4), 6);
    expect(start).toEqual(copy);
    expect(kernelRun(kernel, model(), start, 1, 4, createRng(1)).losses[0]).toBeNaN();
    // No steps: the start's own loss.
    expect(kernelRun(kernel, model(), start, 1, 0, createRng(1), target).losses[0]).toBeCloseTo(1 / (13 * 15 * 4), 7);
  });
});
