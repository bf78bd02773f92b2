// Conformance of core's CA step (tfjs, wasm backend), and of its fastStep that `nca render` runs,
// to the plain scalar oracle of SPEC §3, on the weights of the Distill regenerating lizard.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, disposeParams, fastStep, fireMask, paramsToTensors, seedState, step } from '@nca-studio/core';
import type { NcaConfig, NcaModel, Padding } from '@nca-studio/weights-format';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import { readDistillFile } from '@nca-studio/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { oracleAlive, oraclePerceive, oracleSeed, oracleStep, type OracleGrid } from './oracle/scalarCa.ts';
import { DISTILL_DIR, HAS_DISTILL, LIZARD, SKIP_REASON } from './support/distillFixtures.ts';

const TOLERANCE = 1e-4;

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    // NaN anywhere is a failure, not a small difference.
    max = Number.isNaN(d) ? Infinity : Math.max(max, d);
  }
  return max;
}

function matureCells(state: Float32Array, channels: number): number {
  let n = 0;
  for (let i = 3; i < state.length; i += channels) {
    n += state[i]! > 0.1 ? 1 : 0;
  }
  return n;
}

interface Runs {
  /** core's `step`. */
  core: Float32Array;
  /** core's `fastStep` (what `nca render` runs). */
  fast: Float32Array;
  oracle: Float32Array;
}

/**
 * Runs `steps` steps of core's `step`, core's `fastStep` and the oracle from the same start. Every
 * step draws one fire mask from `rng` (all ones at fire rate 1) and gives it to all three.
 */
function runAll(model: NcaModel, config: NcaConfig, start: Float32Array, steps: number, seed = 7): Runs {
  const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
  const shape: [number, number, number, number] = [1, grid.height, grid.width, grid.channels];
  const params = paramsToTensors(model.params, config);
  const rng = createRng(seed);
  let core = tf.tensor4d(start, shape);
  let fast = tf.tensor4d(start, shape);
  let oracle = start;
  try {
    for (let i = 0; i < steps; i++) {
      const fire = fireMask(rng, [1, grid.height, grid.width], config.fireRate);
      const mask = Uint8Array.from(fire.dataSync());
      const [nextCore, nextFast] = [step(core, params, config, { fire }), fastStep(fast, params, config, fire)];
      for (const t of [fire, core, fast]) {
        t.dispose();
      }
      [core, fast] = [nextCore, nextFast];
      oracle = oracleStep(oracle, grid, model.params, config, mask);
    }
    return { core: new Float32Array(core.dataSync()), fast: new Float32Array(fast.dataSync()), oracle };
  } finally {
    core.dispose();
    fast.dispose();
    disposeParams(params);
  }
}

/** Checks both core steps against the oracle and logs the differences. */
function expectConformance(label: string, runs: Runs): void {
  const [step, fast] = [maxAbsDifference(runs.core, runs.oracle), maxAbsDifference(runs.fast, runs.oracle)];
  console.log(`conformance: ${label}: max |step - oracle| = ${step.toExponential(3)}, max |fastStep - oracle| = ${fast.toExponential(3)}`);
  expect(step).toBeLessThanOrEqual(TOLERANCE);
  expect(fast).toBeLessThanOrEqual(TOLERANCE);
}

describe('the scalar oracle itself', () => {
  const config: NcaConfig = { ...DEFAULT_CONFIG, channels: 4, gridWidth: 5, gridHeight: 4 };
  const grid: OracleGrid = { width: 5, height: 4, channels: 4 };
  /** Channel 0 is the ramp x + 10 y; alpha (channel 3) is 1 at (1, 1) only. */
  const ramp = new Float32Array(5 * 4 * 4);
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 5; x++) {
      ramp[(y * 5 + x) * 4] = x + 10 * y;
    }
  }
  ramp[(1 * 5 + 1) * 4 + 3] = 1;

  it('perceives a ramp: Sobel / 8 gives the slope, x to the right and y downward', () => {
    const p = oraclePerceive(ramp, grid, 2, 1, config);
    expect([p[0], p[4], p[8]]).toEqual([12, 1, 10]);
  });

  it('rotates the gradient by the angle: at 90 degrees gx\' = -gy and gy\' = gx', () => {
    const p = oraclePerceive(ramp, grid, 2, 1, { ...config, angle: Math.PI / 2 });
    expect(p[4]).toBeCloseTo(-10, 12);
    expect(p[8]).toBeCloseTo(1, 12);
  });

  it('pads the borders as zero, wrap and reflect', () => {
    // At (0, 1) the left neighbours are x = -1: zero 0, wrap x = 4, reflect x = 1.
    const gx = (padding: Padding): number => oraclePerceive(ramp, grid, 0, 1, { ...config, padding })[4]!;
    expect(gx('zero')).toBeCloseTo((1 * 1 + 2 * 11 + 1 * 21) / 8, 12);
    expect(gx('wrap')).toBeCloseTo((1 * (1 - 4) + 2 * (11 - 14) + 1 * (21 - 24)) / 8, 12);
    expect(gx('reflect')).toBeCloseTo(0, 12);
  });

  it('is alive within one cell of a mature cell', () => {
    expect(Array.from(oracleAlive(ramp, grid, config))).toEqual([
      1, 1, 1, 0, 0,
      1, 1, 1, 0, 0,
      1, 1, 1, 0, 0,
      0, 0, 0, 0, 0,
    ]);
  });
});

describe('core step (and fastStep) = scalar oracle, on the Distill lizard', () => {
  if (!HAS_DISTILL) {
    it.skip(SKIP_REASON, () => {});
    return;
  }
  let lizard: NcaModel;
  beforeAll(async () => {
    lizard = (await readDistillFile(`${DISTILL_DIR}${LIZARD}`)).model;
  });

  it('30 steps at fire rate 1 from the seed on 72x72: max |core - oracle| <= 1e-4 over all channels', () => {
    const config: NcaConfig = { ...lizard.config, fireRate: 1 };
    expect([config.gridWidth, config.gridHeight, config.padding]).toEqual([72, 72, 'zero']);
    const start = oracleSeed({ width: 72, height: 72, channels: 16 });
    expect(start).toEqual(seedState({ width: 72, height: 72, channels: 16 }).dataSync());
    const runs = runAll(lizard, config, start, 30);
    expectConformance('lizard 72x72, 30 steps, fire rate 1', runs);
    // Not two empty grids: the lizard has started to grow.
    expect(matureCells(runs.oracle, 16)).toBeGreaterThan(100);
  });

  // A seed near a corner of a small grid reaches the borders in the first steps.
  const corner = (config: NcaConfig): Float32Array =>
    oracleSeed({ width: config.gridWidth, height: config.gridHeight, channels: 16 }, { x: 2, y: 1 });
  const small = (overrides: Partial<NcaConfig>): NcaConfig => ({ ...lizard.config, fireRate: 1, gridWidth: 20, gridHeight: 16, ...overrides });

  const finals = new Map<string, Float32Array>();
  it.each([['zero'], ['wrap'], ['reflect']] as const)('padding %s on 20x16, 24 steps from a seed by the corner', (padding) => {
    const config = small({ padding });
    const runs = runAll(lizard, config, corner(config), 24);
    expectConformance(`padding ${padding}`, runs);
    expect(matureCells(runs.oracle, 16)).toBeGreaterThan(20);
    finals.set(padding, runs.oracle);
  });

  it('the padding modes did give different results (the borders were reached)', () => {
    expect(maxAbsDifference(finals.get('zero')!, finals.get('wrap')!)).toBeGreaterThan(0.1);
    expect(maxAbsDifference(finals.get('zero')!, finals.get('reflect')!)).toBeGreaterThan(0.1);
    expect(maxAbsDifference(finals.get('wrap')!, finals.get('reflect')!)).toBeGreaterThan(0.1);
  });

  it('a rotation of 90 degrees on 16x20, 24 steps', () => {
    const config = small({ angle: Math.PI / 2, gridWidth: 16, gridHeight: 20 });
    const start = oracleSeed({ width: 16, height: 20, channels: 16 });
    const runs = runAll(lizard, config, start, 24);
    expectConformance('angle pi/2', runs);
    const unrotated = runAll(lizard, { ...config, angle: 0 }, start, 24).oracle;
    expect(maxAbsDifference(runs.oracle, unrotated)).toBeGreaterThan(0.1);
  });

  it('stochastic updates: the same fire masks at fire rate 0.5, 20 steps on 32x32', () => {
    const config = small({ fireRate: 0.5, gridWidth: 32, gridHeight: 32 });
    const runs = runAll(lizard, config, oracleSeed({ width: 32, height: 32, channels: 16 }), 20, 11);
    expectConformance('fire rate 0.5', runs);
    expect(matureCells(runs.oracle, 16)).toBeGreaterThan(20);
  });
});
