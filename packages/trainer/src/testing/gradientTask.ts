import { createParams, createRng, drawFire, seedArray, type GradientTask } from '@nca-studio/core';
import { type NcaConfig } from '@nca-studio/weights-format';

/**
 * A deterministic training batch for gradient comparisons. The output layer is randomised:
 * a fresh model's zero output layer would make every other gradient exactly zero.
 */
export function gradientTask(config: NcaConfig, batch: number, steps: number, seed = 4, overflowWeight = 0, outsideWeight = 0, detailWeight = 0): GradientTask {
  const rng = createRng(seed);
  const params = createParams(config, rng);
  params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.2));
  const grid = { height: config.gridHeight, width: config.gridWidth, channels: config.channels };
  const cells = grid.height * grid.width;
  return {
    config,
    params,
    states: seedArray(grid, batch),
    count: batch,
    steps,
    fire: drawFire(rng, steps * batch * cells, config.fireRate),
    target: new Float32Array(cells * 4).map(() => rng.next()),
    batch,
    overflowWeight,
    outsideWeight,
    detailWeight,
  };
}

/** ||a - b|| / ||b||. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let norm = 0;
  b.forEach((v, j) => {
    diff += (a[j]! - v) ** 2;
    norm += v * v;
  });
  return Math.sqrt(diff / norm);
}
