// Steps per second of the two engines on the same grids, for `pnpm bench:viewer` (which runs
// this in headless Chromium) or a browser console. A benchmark, not a test: it asserts nothing.
import { countMature, createRng, createParams } from '@nca-studio/core';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import type { NcaModel } from '@nca-studio/weights-format';
import type { EngineKind } from '../engine/engine.ts';
import { createViewer } from '../viewer.ts';
import type { BenchmarkResult } from '../viewer.ts';

/**
 * The default model shape (16 channels, 128 hidden) with seeded random weights, none zero, so
 * that no weight block is skipped: the cost of a trained model.
 */
export function syntheticModel(seed = 1): NcaModel {
  const config = { ...DEFAULT_CONFIG };
  const rng = createRng(seed);
  const params = createParams(config, rng);
  params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() * 2 - 1) * 0.02));
  params.dense1Bias.forEach((_, i) => (params.dense1Bias[i] = (rng.next() * 2 - 1) * 0.05));
  return { config, params };
}

/** Every cell mature (alpha 0.2..1, other channels -1..1): no tile can be skipped. */
export function fullState(width: number, height: number, channels: number, seed = 2): Float32Array {
  const rng = createRng(seed);
  const state = new Float32Array(width * height * channels);
  for (let i = 0; i < state.length; i++) {
    state[i] = i % channels === 3 ? 0.2 + 0.8 * rng.next() : rng.next() * 2 - 1;
  }
  return state;
}

export type Scenario = 'full' | 'grown';

export interface BenchmarkCase {
  engine: EngineKind;
  size: number;
  /** full: every cell alive (worst case); grown: `model` grown from its seed for `grow` steps. */
  scenario: Scenario;
  /** Measure for about this long (at least `minSteps` steps). */
  seconds?: number;
  minSteps?: number;
  grow?: number;
}

export interface BenchmarkRow extends BenchmarkResult {
  scenario: Scenario;
  /** Cells with alpha > MATURE_ALPHA when the measurement started. */
  matureCells: number;
  compileMs: number;
}

/** `model` grown from its seed for `steps` steps on a size x size grid (by the fastest engine). */
export async function grownState(model: NcaModel, size: number, steps: number): Promise<Float32Array> {
  const viewer = await createViewer(document.createElement('canvas'), model, { width: size, height: size });
  try {
    viewer.step(steps);
    return await viewer.readState();
  } finally {
    viewer.dispose();
  }
}

/** Runs one case on a fresh viewer (its canvas is not in the page) and disposes it. */
export async function benchmarkCase(test: BenchmarkCase, model: NcaModel = syntheticModel()): Promise<BenchmarkRow> {
  const c = model.config.channels;
  const initial = test.scenario === 'full' ? fullState(test.size, test.size, c) : await grownState(model, test.size, test.grow ?? 150);
  const start = performance.now();
  const viewer = await createViewer(document.createElement('canvas'), model, { engine: test.engine, width: test.size, height: test.size });
  try {
    viewer.writeState(initial);
    viewer.step(1);
    await viewer.sync();
    const compileMs = performance.now() - start;
    const state = await viewer.readState();
    const matureCells = countMature(state, c);
    // A probe of two steps sizes the run to about `seconds`.
    const probe = await viewer.benchmark(2);
    const steps = Math.max(test.minSteps ?? 3, Math.round(((test.seconds ?? 3) * 1000) / Math.max(probe.msPerStep, 1e-3)));
    const result = await viewer.benchmark(steps);
    return { ...result, scenario: test.scenario, matureCells, compileMs };
  } finally {
    viewer.dispose();
  }
}
