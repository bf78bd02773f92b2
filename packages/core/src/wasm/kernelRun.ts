import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';
import { drawFire } from '../fireDraw.ts';
import { sampleLosses } from '../training/sampleLoss.ts';
import type { Rng } from '../rng.ts';
import type { RolloutKernel } from './rolloutKernel.ts';

/** Fire bytes drawn and handed to the kernel at once: a long run goes in segments of this many (the result is the same). */
const SEGMENT_FIRE_BYTES = 8 * 2 ** 20;

export interface KernelRunResult {
  /** [count, H, W, C] states after the last step. */
  states: Float32Array;
  /** Per-sample RGBA MSE against `target` after the last step (NaN without a target). */
  losses: Float32Array;
}

/**
 * `steps` CA steps of `count` states [count, H, W, C] on the rollout kernel's forward pass: the
 * same steps as core's `run` with `step` (tested equal on the conformance matrix), and the same
 * fire draws from `rng` in the same order (one mask [count, H, W] a step), without tfjs. Inference
 * for `nca eval` and `nca render`. The input is left alone.
 */
export function kernelRun(
  kernel: RolloutKernel,
  model: { config: NcaConfig; params: NcaParams },
  states: Float32Array,
  count: number,
  steps: number,
  rng: Rng,
  target?: Float32Array,
  segmentBytes = SEGMENT_FIRE_BYTES,
): KernelRunResult {
  const { config, params } = model;
  const cells = config.gridHeight * config.gridWidth;
  const perStep = count * cells;
  const segment = Math.max(1, Math.floor(segmentBytes / perStep));
  const against = target ?? new Float32Array(cells * 4);
  let current: Float32Array = states;
  let losses: Float32Array = new Float32Array(count).fill(Number.NaN);
  for (let done = 0; done < steps;) {
    const n = Math.min(segment, steps - done);
    const fire = drawFire(rng, n * perStep, config.fireRate);
    const result = kernel.forward({ config, params, states: current, count, steps: n, fire, target: against });
    current = result.final;
    losses = target === undefined ? losses : result.losses;
    done += n;
  }
  if (steps === 0) {
    current = states.slice();
    losses = target === undefined ? losses : sampleLosses(current, target, count, cells, config.channels);
  }
  return { states: current, losses };
}
