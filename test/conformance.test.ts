// Conformance of core's CA step (tfjs, wasm backend) and of its training step `trainingStep` to the
// plain scalar oracle of docs/design.md §3, and of trainingStep's hand-written gradient to autodiff of `step`:
// on the conformance matrix (seeded random weights, every option combination; always runs), and
// on the weights of the Distill regenerating lizard (when ../shared is there).
import * as tf from '@tensorflow/tfjs-core';
import {
  batchGradient,
  createRng,
  disposeParams,
  kernelRun,
  RolloutKernel,
  run,
  trainingStep,
  paramsToTensors,
  UnsupportedOptionsError,
  seedState,
  step,
  webgpuGradient,
} from '@nca-studio/core';
import type { GradientResult, GradientTask } from '@nca-studio/core';
import type { CaParams } from '@nca-studio/core';
import type { NcaConfig, NcaModel, Padding } from '@nca-studio/weights-format';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import { readDistillFile, webgpuDevice, webgpuForTests } from '@nca-studio/trainer';
import { beforeAll, describe, expect, it } from 'vitest';
import { oracleAlive, oraclePerceive, oracleSeed, oracleStep, type OracleGrid } from './oracle/scalarCa.ts';
import { DISTILL_DIR, HAS_DISTILL, LIZARD, SKIP_REASON } from './support/distillFixtures.ts';
import { matrixCases, randomFireMasks, randomModel, randomState, textureMatrixCases } from './support/conformanceMatrix.ts';

const TOLERANCE = 1e-4;
const GRADIENT_TOLERANCE = 1e-3;

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

function deadCells(state: Float32Array, channels: number): number {
  let n = 0;
  for (let cell = 0; cell < state.length / channels; cell++) {
    n += state.subarray(cell * channels, (cell + 1) * channels).every((v) => v === 0) ? 1 : 0;
  }
  return n;
}

interface Runs {
  /** core's `step`. */
  core: Float32Array;
  /** core's `trainingStep` (the training step, which `nca render` also runs). */
  fast: Float32Array;
  oracle: Float32Array;
}

/** Fire masks drawn from `seed` at the config's rate (all ones at fire rate 1). */
function fireMasks(config: NcaConfig, steps: number, seed: number): Uint8Array[] {
  return randomFireMasks(config, config.gridWidth * config.gridHeight, steps, seed);
}

/** Runs core's `step`, core's `trainingStep` and the oracle from the same start, one fire mask a step. */
function runAll(model: NcaModel, config: NcaConfig, start: Float32Array, masks: readonly Uint8Array[]): Runs {
  const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
  const shape: [number, number, number, number] = [1, grid.height, grid.width, grid.channels];
  const params = paramsToTensors(model.params, config);
  let core = tf.tensor4d(start, shape);
  let fast = tf.tensor4d(start, shape);
  let oracle = start;
  try {
    for (const mask of masks) {
      const fire = tf.tensor4d(Float32Array.from(mask), [1, grid.height, grid.width, 1]);
      const [nextCore, nextFast] = [step(core, params, config, { fire }), trainingStep(fast, params, config, fire)];
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

/** Checks both core steps against the oracle; returns the differences. */
function expectConformance(runs: Runs): { step: number; fast: number } {
  const [step, fast] = [maxAbsDifference(runs.core, runs.oracle), maxAbsDifference(runs.fast, runs.oracle)];
  expect(step).toBeLessThanOrEqual(TOLERANCE);
  expect(fast).toBeLessThanOrEqual(TOLERANCE);
  return { step, fast };
}

/**
 * Relative error (|fast - autodiff| / |autodiff|, Frobenius norms) of trainingStep's gradients of a
 * weighted square loss after `masks.length` steps from a batch of two starts, with respect to
 * the start and the four parameters, against autodiff through `step`.
 */
function gradientErrors(model: NcaModel, starts: readonly Float32Array[], masks: readonly Uint8Array[], seed: number): { errors: number[]; norms: number[] } {
  const { config } = model;
  const [h, w, c] = [config.gridHeight, config.gridWidth, config.channels];
  return tf.tidy(() => {
    const params = paramsToTensors(model.params, config);
    const state = tf.tensor4d(Float32Array.from(starts.flatMap((s) => Array.from(s))), [starts.length, h, w, c]);
    const fires = masks.map((mask) => tf.tensor4d(Float32Array.from([...mask, ...mask.slice().reverse()]), [2, h, w, 1]));
    const rng = createRng(seed);
    const weights = tf.tensor4d(
      Float32Array.from({ length: state.size }, () => rng.next() * 2 - 1),
      state.shape,
    );
    const loss =
      (run: (s: tf.Tensor4D, p: CaParams, f: tf.Tensor4D) => tf.Tensor4D) =>
      (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, d: tf.Tensor, e: tf.Tensor): tf.Scalar => {
        const p: CaParams = { dense1Weight: a as tf.Tensor2D, dense1Bias: b as tf.Tensor1D, dense2Weight: d as tf.Tensor2D, dense2Bias: e as tf.Tensor1D };
        let s = x as tf.Tensor4D;
        for (const fire of fires) {
          s = run(s, p, fire);
        }
        return tf.sum(tf.mul(tf.square(s), weights));
      };
    const inputs = [state, params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias];
    const fast = tf.grads(loss((s, p, f) => trainingStep(s, p, config, f)))(inputs);
    const reference = tf.grads(loss((s, p, f) => step(s, p, config, { fire: f })))(inputs);
    const norms = reference.map((ref) => tf.norm(ref).arraySync() as number);
    const errors = reference.map((ref, i) => (tf.norm(tf.sub(fast[i]!, ref)).arraySync() as number) / norms[i]!);
    return { errors, norms };
  });
}

describe('the conformance matrix: seeded random weights, every option combination, 13x11', () => {
  const cases = matrixCases();

  it('covers padding x angle x tanh x masking x clamp x channels', () => {
    expect(cases).toHaveLength(3 * 3 * 2 * 2 * 2 * 2);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
  });

  it.each(cases.map((c, i) => [c.label, c, i] as const))(
    '%s: step and trainingStep = oracle over 4 steps; trainingStep gradient = autodiff',
    (_, { config }, i) => {
      const model = randomModel(config, 1000 + i);
      const start = randomState(config, 2000 + i);
      const masks = fireMasks(config, 4, 3000 + i);
      const runs = runAll(model, config, start, masks);
      expectConformance(runs);
      // Not a trivial case: cells live and die, and the state moved.
      const cells = config.gridWidth * config.gridHeight;
      expect(matureCells(runs.oracle, config.channels)).toBeGreaterThan(5);
      expect(deadCells(runs.oracle, config.channels)).toBeGreaterThan(0);
      expect(deadCells(runs.oracle, config.channels)).toBeLessThan(cells - 5);
      expect(maxAbsDifference(runs.oracle, start)).toBeGreaterThan(0.05);

      const { errors, norms } = gradientErrors(model, [start, randomState(config, 4000 + i)], masks.slice(0, 3), 5000 + i);
      for (const [k, error] of errors.entries()) {
        expect(norms[k]).toBeGreaterThan(0);
        expect(error).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
      }
    },
  );

  it('the options do change the result (each one, from the same weights and start)', () => {
    const base = cases[0]!.config;
    const final = (overrides: Partial<NcaConfig>): Float32Array => {
      const config = { ...base, ...overrides };
      return runAll(randomModel(config, 7), config, randomState(config, 8), fireMasks(config, 4, 9)).oracle;
    };
    const reference = final({});
    for (const overrides of [
      { padding: 'wrap' },
      { padding: 'reflect' },
      { angle: 0.7 },
      { tanh: true },
      { aliveMasking: 'post' },
      { clampRgba: true },
    ] as const) {
      expect(maxAbsDifference(final(overrides), reference), JSON.stringify(overrides)).toBeGreaterThan(1e-3);
    }
  });
});

describe("the conformance matrix grown by the texture model's options (docs/design.md §3.6), 13x11", () => {
  const cases = textureMatrixCases();

  it('covers padding x Laplacian x clip x (angle, tanh, clamp) x channels, no alive mask', () => {
    expect(cases).toHaveLength(3 * 2 * 2 * 2 * 2);
    expect(new Set(cases.map((c) => c.label)).size).toBe(cases.length);
  });

  /** core's step over the masks from `start`; the state after each. */
  function coreSteps(model: NcaModel, config: NcaConfig, start: Float32Array, masks: readonly Uint8Array[]): Float32Array {
    const shape: [number, number, number, number] = [1, config.gridHeight, config.gridWidth, config.channels];
    const params = paramsToTensors(model.params, config);
    let state = tf.tensor4d(start, shape);
    for (const mask of masks) {
      const fire = tf.tensor4d(Float32Array.from(mask), [1, config.gridHeight, config.gridWidth, 1]);
      const next = step(state, params, config, { fire });
      tf.dispose([fire, state]);
      state = next;
    }
    const out = new Float32Array(state.dataSync());
    state.dispose();
    disposeParams(params);
    return out;
  }

  it.each(cases.map((c, i) => [c.label, c, i] as const))('%s: step = oracle over 4 steps', (_, { config }, i) => {
    const model = randomModel(config, 11000 + i);
    const start = randomState(config, 12000 + i);
    const masks = fireMasks(config, 4, 13000 + i);
    const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
    const oracle = masks.reduce((state, mask) => oracleStep(state, grid, model.params, config, mask), start);
    expect(maxAbsDifference(coreSteps(model, config, start, masks), oracle)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDifference(oracle, start)).toBeGreaterThan(0.05);
    if (config.clip !== null) {
      // The bound is reached, so the clips were exercised, and never passed.
      const extreme = oracle.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(extreme).toBeCloseTo(config.clip, 6);
    }
  });

  it('each texture option changes the result (from the same weights and start)', () => {
    const base = cases.find((c) => !c.config.laplacian && c.config.clip === null && c.config.angle === 0 && c.config.channels === 16)!.config;
    const final = (overrides: Partial<NcaConfig>): Float32Array => {
      const config = { ...base, ...overrides };
      const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
      const model = randomModel(config, 21);
      return fireMasks(config, 4, 23).reduce((state, mask) => oracleStep(state, grid, model.params, config, mask), randomState(config, 22));
    };
    const reference = final({});
    for (const overrides of [{ clip: 0.6 }, { aliveMasking: 'post' }] as const) {
      expect(maxAbsDifference(final(overrides), reference), JSON.stringify(overrides)).toBeGreaterThan(1e-3);
    }
    // The Laplacian adds C inputs: the same first 3C weights with the rest zero give the Sobel model's result.
    const config = { ...base, laplacian: true };
    const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
    const sobel = randomModel(base, 21);
    const padded = new Float32Array(4 * base.channels * base.hidden);
    padded.set(sobel.params.dense1Weight);
    const withZeros = { ...sobel.params, dense1Weight: padded };
    const masks = fireMasks(base, 4, 23);
    const start = randomState(base, 22);
    const laplacianZero = masks.reduce((state, mask) => oracleStep(state, grid, withZeros, config, mask), start);
    expect(maxAbsDifference(coreSteps({ config, params: withZeros }, config, start, masks), laplacianZero)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDifference(laplacianZero, reference)).toBeLessThanOrEqual(TOLERANCE);
    const laplacianRandom = final({ laplacian: true });
    expect(maxAbsDifference(laplacianRandom, reference)).toBeGreaterThan(1e-3);
  });

  it('trainingStep, which does not run the options yet, refuses them by name before any work', () => {
    const { config } = cases.find((c) => c.config.laplacian && c.config.clip !== null)!;
    const model = randomModel(config, 5);
    const shape: [number, number, number, number] = [1, config.gridHeight, config.gridWidth, config.channels];
    const params = paramsToTensors(model.params, config);
    const state = tf.zeros(shape) as tf.Tensor4D;
    const fire = tf.ones([1, config.gridHeight, config.gridWidth, 1]) as tf.Tensor4D;
    expect(() => trainingStep(state, params, config, fire)).toThrow(UnsupportedOptionsError);
    expect(() => trainingStep(state, params, config, fire)).toThrow(
      /trainingStep .* does not run the texture model's laplacian, clip 0\.6, alive_masking "none" yet/,
    );
    tf.dispose([state, fire]);
    disposeParams(params);
  });

  describe('the rollout kernel (wasm, both builds) on the texture cases', () => {
    let kernels: RolloutKernel[];
    beforeAll(async () => {
      kernels = [await RolloutKernel.load('simd'), await RolloutKernel.load('relaxed-simd')];
    });

    it.each(cases.map((c, i) => [c.label, c, i] as const))(
      '%s: final states = oracle; gradient of a loss given as d(loss)/d(final) = autodiff through step, over 4 steps',
      (_, { config }, i) => {
        const { task, model, starts, masks, finalGrad, reference } = givenLossCase(config, i);
        for (const kernel of kernels) {
          for (const storeHidden of [true, false]) {
            const result = kernel.gradient({ ...task, finalGrad }, { storeHidden });
            expectSameRollout(result, { grads: reference, losses: new Float32Array(2), final: result.final }, { config, model, starts, masks });
          }
        }
      },
    );

    it.each(cases.map((c, i) => [c.label, c, i] as const))('%s: the forward pass alone (kernelRun) = core run with step, over 9 steps', (_, { config }, i) => {
      const model = randomModel(config, 16000 + i);
      const batch = Float32Array.from([...randomState(config, 17000 + i), ...randomState(config, 18000 + i)]);
      const params = paramsToTensors(model.params, config);
      const start = tf.tensor4d(batch, [2, config.gridHeight, config.gridWidth, config.channels]);
      const reference = run(start, params, config, 9, createRng(19000 + i));
      const expected = new Float32Array(reference.dataSync());
      tf.dispose([start, reference]);
      disposeParams(params);
      for (const kernel of kernels) {
        expect(maxAbsDifference(kernelRun(kernel, model, batch, 2, 9, createRng(19000 + i)).states, expected), kernel.variant).toBeLessThanOrEqual(TOLERANCE);
      }
    });
  });
});

describe('the rollout kernel (wasm, both builds) = batchGradient (tfjs) and the oracle, on the conformance matrix', () => {
  const cases = matrixCases();
  // Both builds: plain SIMD128, and relaxed SIMD's fused multiply-add (vitest.config.ts turns it on).
  let kernels: RolloutKernel[];
  beforeAll(async () => {
    kernels = [await RolloutKernel.load('simd'), await RolloutKernel.load('relaxed-simd')];
  });

  it.each(cases.map((c, i) => [c.label, c, i] as const))(
    '%s: final states = oracle, losses and gradients = batchGradient, over 4 steps',
    async (_, { config }, i) => {
      const { task, model, starts, masks } = matrixTask(config, i);
      const reference = await batchGradient(task);
      for (const [kernel, storeHidden] of kernels.flatMap(
        (k) =>
          [
            [k, true],
            [k, false],
          ] as const,
      )) {
        expectSameRollout(kernel.gradient(task, { storeHidden }), reference, { config, model, starts, masks });
      }
    },
  );

  it.each(cases.map((c, i) => [c.label, c, i] as const))(
    '%s: the forward pass alone (kernelRun, what eval and render run) = core run with step, over 8 and 9 steps',
    async (_, { config }, i) => {
      // An even and an odd count: the kernel's two state buffers end on either.
      for (const steps of [8, 9]) {
        const model = randomModel(config, 6000 + i);
        const starts = [randomState(config, 7000 + i), randomState(config, 8000 + i)];
        const batch = Float32Array.from(starts.flatMap((s) => Array.from(s)));
        const shape: [number, number, number, number] = [2, config.gridHeight, config.gridWidth, config.channels];
        const params = paramsToTensors(model.params, config);
        const start = tf.tensor4d(batch, shape);
        const reference = run(start, params, config, steps, createRng(9000 + i));
        const expected = new Float32Array(reference.dataSync());
        tf.dispose([start, reference]);
        disposeParams(params);
        for (const kernel of kernels) {
          const { states } = kernelRun(kernel, model, batch, 2, steps, createRng(9000 + i));
          expect(maxAbsDifference(states, expected), kernel.variant).toBeLessThanOrEqual(TOLERANCE);
        }
        expect(maxAbsDifference(expected, batch)).toBeGreaterThan(0.05);
      }
    },
  );
});

// Runs wherever Dawn finds an adapter: lavapipe here and in CI (NCA_TEST_WEBGPU=1 makes a
// missing one a failure).
const webgpu = await webgpuForTests();

describe.runIf(webgpu)('the fused WebGPU rollout (WGSL) = batchGradient (tfjs) and the oracle, on the conformance matrix', () => {
  const cases = matrixCases();
  let gradient: (task: GradientTask) => Promise<GradientResult>;
  beforeAll(async () => {
    const { device } = await webgpuDevice();
    gradient = webgpuGradient(device);
  });

  it.each(cases.map((c, i) => [c.label, c, i] as const))(
    '%s: final states = oracle, losses and gradients = batchGradient, over 4 steps',
    async (_, { config }, i) => {
      const { task, model, starts, masks } = matrixTask(config, i);
      expectSameRollout(await gradient(task), await batchGradient(task), { config, model, starts, masks });
    },
  );

  it.each(textureMatrixCases().map((c, i) => [c.label, c, i] as const))(
    "texture model's options, %s: final states = oracle; gradient of a loss given as d(loss)/d(final) = autodiff through step, over 4 steps",
    async (_, { config }, i) => {
      const { task, model, starts, masks, finalGrad, reference } = givenLossCase(config, i);
      const result = await gradient({ ...task, finalGrad });
      expectSameRollout(result, { grads: reference, losses: new Float32Array(2), final: result.final }, { config, model, starts, masks });
    },
  );

  it("a texture task (its exemplar's loss computed on the final states) = the kernel's: losses, final states, gradients", async () => {
    const texture = textureMatrixCases().find((c) => c.config.laplacian && c.config.clip !== null && c.config.padding === 'wrap')!.config;
    const { task } = matrixTask(texture, 7);
    const rng = createRng(99);
    const exemplar = Uint8Array.from({ length: 12 * 10 * 4 }, (_, k) => (k % 4 === 3 ? 255 : Math.floor(rng.next() * 256)));
    const textured: GradientTask = { ...task, texture: { exemplar, width: 12, height: 10, seed: 5 } };
    const kernel = (await RolloutKernel.load('simd')).gradient(textured);
    const gpu = await gradient(textured);
    expect(maxAbsDifference(gpu.final, kernel.final)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxAbsDifference(gpu.losses, kernel.losses)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.min(...kernel.losses)).toBeGreaterThan(0);
    expectSameGradients(gpu.grads, kernel.grads);
  });

  it('gives the same bits on the same task twice, with another shape in between (exact resume)', async () => {
    const [a, b] = [matrixCases()[0]!.config, matrixCases()[5]!.config];
    const first = await gradient(matrixTask(a, 0).task);
    await gradient(matrixTask({ ...b, gridWidth: 17 }, 1).task);
    const again = await gradient(matrixTask(a, 0).task);
    expect(again.final).toEqual(first.final);
    again.grads.forEach((g, k) => expect(g).toEqual(first.grads[k]));
  });
});

/** Case i of the matrix as a two-sample, four-step training task with its oracle inputs. */
function matrixTask(config: NcaConfig, i: number): { task: GradientTask; model: NcaModel; starts: Float32Array[]; masks: Uint8Array[][] } {
  const model = randomModel(config, 1000 + i);
  const starts = [randomState(config, 2000 + i), randomState(config, 4000 + i)];
  const cells = config.gridWidth * config.gridHeight;
  const masks = [0, 1].map((n) => randomFireMasks(config, cells, 4, 3000 + 100 * n + i));
  const fire = new Uint8Array(4 * 2 * cells);
  for (let s = 0; s < 4; s++) {
    masks.forEach((sample, n) => fire.set(sample[s]!, (s * 2 + n) * cells));
  }
  const rng = createRng(6000 + i);
  const task: GradientTask = {
    config,
    params: model.params,
    states: Float32Array.from([...starts[0]!, ...starts[1]!]),
    count: 2,
    steps: 4,
    fire,
    // A third of the cells empty (alpha 0: the outside penalty's cells), the rest random; every
    // penalty and the detail term on, so each route's gradient of each is checked.
    target: Float32Array.from({ length: cells * 4 }, (_, k) => (Math.floor(k / 4) % 3 === 0 ? 0 : rng.next())),
    batch: 2,
    overflowWeight: 0.5,
    outsideWeight: 0.5,
    detailWeight: 0.5,
  };
  return { task, model, starts, masks };
}

/**
 * Texture case i as a training task with a loss given as d(loss)/d(final) (random), and the
 * reference gradient: autodiff of sum(final * finalGrad) through core's step, the same fire masks.
 */
function givenLossCase(
  config: NcaConfig,
  i: number,
): { task: GradientTask; model: NcaModel; starts: Float32Array[]; masks: Uint8Array[][]; finalGrad: Float32Array; reference: Float32Array[] } {
  const { task, model, starts, masks } = matrixTask(config, 100 + i);
  const cells = config.gridWidth * config.gridHeight;
  const rng = createRng(14000 + i);
  const finalGrad = Float32Array.from({ length: 2 * cells * config.channels }, () => rng.next() * 2 - 1);
  const reference = tf.tidy(() => {
    const params = paramsToTensors(model.params, config);
    const start = tf.tensor4d(task.states, [2, config.gridHeight, config.gridWidth, config.channels]);
    const weights = tf.tensor4d(finalGrad, start.shape);
    const fires = [0, 1, 2, 3].map((s) =>
      tf.tensor4d(Float32Array.from(task.fire.subarray(s * 2 * cells, (s + 1) * 2 * cells)), [2, config.gridHeight, config.gridWidth, 1]),
    );
    const loss = (a: tf.Tensor, b: tf.Tensor, d: tf.Tensor, e: tf.Tensor): tf.Scalar => {
      const p: CaParams = { dense1Weight: a as tf.Tensor2D, dense1Bias: b as tf.Tensor1D, dense2Weight: d as tf.Tensor2D, dense2Bias: e as tf.Tensor1D };
      const final = fires.reduce((state, fire) => step(state, p, config, { fire }), start);
      return tf.sum(tf.mul(final, weights));
    };
    return tf
      .grads(loss)([params.dense1Weight, params.dense1Bias, params.dense2Weight, params.dense2Bias])
      .map((g) => new Float32Array(g.dataSync()));
  });
  return { task, model, starts, masks, finalGrad, reference };
}

/** Final states equal the oracle's (1e-4), losses batchGradient's, gradients within 1e-3 relative. */
function expectSameRollout(
  result: GradientResult,
  reference: GradientResult,
  { config, model, starts, masks }: { config: NcaConfig; model: NcaModel; starts: Float32Array[]; masks: Uint8Array[][] },
): void {
  const cells = config.gridWidth * config.gridHeight;
  starts.forEach((start, n) => {
    const grid: OracleGrid = { width: config.gridWidth, height: config.gridHeight, channels: config.channels };
    const oracle = masks[n]!.reduce((state, mask) => oracleStep(state, grid, model.params, config, mask), start);
    expect(maxAbsDifference(result.final.subarray(n * cells * config.channels, (n + 1) * cells * config.channels), oracle)).toBeLessThanOrEqual(TOLERANCE);
  });
  expect(maxAbsDifference(result.losses, reference.losses)).toBeLessThanOrEqual(TOLERANCE);
  expectSameGradients(result.grads, reference.grads);
}

/** Each gradient within GRADIENT_TOLERANCE of the reference's, relative to its norm (which is not 0). */
function expectSameGradients(grads: Float32Array[], reference: Float32Array[]): void {
  reference.forEach((g, k) => {
    let diff = 0;
    let norm = 0;
    g.forEach((v, j) => {
      diff += (grads[k]![j]! - v) ** 2;
      norm += v * v;
    });
    expect(norm).toBeGreaterThan(0);
    expect(Math.sqrt(diff / norm)).toBeLessThanOrEqual(GRADIENT_TOLERANCE);
  });
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

  it("rotates the gradient by the angle: at 90 degrees gx' = -gy and gy' = gx", () => {
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
    expect(Array.from(oracleAlive(ramp, grid, config))).toEqual([1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('core step (and trainingStep) = scalar oracle, on the Distill lizard (extra, with ../shared)', () => {
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
    const runs = runAll(lizard, config, start, fireMasks(config, 30, 7));
    expectConformance(runs);
    // Not two empty grids: the lizard has started to grow.
    expect(matureCells(runs.oracle, 16)).toBeGreaterThan(100);
  });

  // A seed near a corner of a small grid reaches the borders in the first steps.
  const corner = (config: NcaConfig): Float32Array => oracleSeed({ width: config.gridWidth, height: config.gridHeight, channels: 16 }, { x: 2, y: 1 });
  const small = (overrides: Partial<NcaConfig>): NcaConfig => ({ ...lizard.config, fireRate: 1, gridWidth: 20, gridHeight: 16, ...overrides });

  const finals = new Map<string, Float32Array>();
  it.each([['zero'], ['wrap'], ['reflect']] as const)('padding %s on 20x16, 24 steps from a seed by the corner', (padding) => {
    const config = small({ padding });
    const runs = runAll(lizard, config, corner(config), fireMasks(config, 24, 7));
    expectConformance(runs);
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
    const runs = runAll(lizard, config, start, fireMasks(config, 24, 7));
    expectConformance(runs);
    const unrotated = runAll(lizard, { ...config, angle: 0 }, start, fireMasks(config, 24, 7)).oracle;
    expect(maxAbsDifference(runs.oracle, unrotated)).toBeGreaterThan(0.1);
  });

  it('stochastic updates: the same fire masks at fire rate 0.5, 20 steps on 32x32', () => {
    const config = small({ fireRate: 0.5, gridWidth: 32, gridHeight: 32 });
    const runs = runAll(lizard, config, oracleSeed({ width: 32, height: 32, channels: 16 }), fireMasks(config, 20, 11));
    expectConformance(runs);
    expect(matureCells(runs.oracle, 16)).toBeGreaterThan(20);
  });
});
