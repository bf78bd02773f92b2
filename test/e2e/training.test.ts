// Core's training algorithm in the browser: TrainingRun driven on tfjs-backend-webgl in
// headless Chromium (SwiftShader), no Node in the loop. Its loss falls, nothing leaks, and its
// first iterations agree with the same run in Node.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import {
  batchGradient,
  createParams,
  createRng,
  drawFire,
  freshTrainingState,
  PRESETS,
  RolloutKernel,
  seedArray,
  TrainingRun,
  type GradientTask,
  type RolloutVariant,
  type TrainingRecipe,
} from '@nca-studio/core';
import { loadTarget } from '@nca-studio/trainer';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, launchBrowser, openModulePage } from './support/browser.ts';

const base = inject('baseUrl');
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await openModulePage(browser, base);
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await browser?.close();
});

/** A small regenerating run: 16x16 grid (the lizard at 12 px), with the pool and damage. */
function recipe(iterations: number): TrainingRecipe {
  return {
    config: { ...DEFAULT_CONFIG, channels: 12, hidden: 32, gridWidth: 16, gridHeight: 16 },
    seed: 7,
    training: {
      ...PRESETS.regenerating.training,
      iterations,
      batch: 4,
      pool: 32,
      damaged: 1,
      stepsMin: 8,
      stepsMax: 12,
      lr: 3e-3,
      lrDecayAt: null,
      padding: 2,
      targetSize: 12,
    },
  };
}

/** A task as plain arrays, to cross into the page (the page turns them back into typed arrays). */
function plainTask(task: GradientTask) {
  return {
    ...task,
    params: Object.fromEntries(Object.entries(task.params).map(([k, v]) => [k, Array.from(v as Float32Array)])),
    states: Array.from(task.states),
    fire: Array.from(task.fire),
    target: Array.from(task.target),
  };
}

describe('training in the browser', () => {
  it("drives core's TrainingRun on tfjs-backend-webgl: the loss falls and no tensor leaks", async () => {
    const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: 12, padding: 2 });
    expect([target.width, target.height]).toEqual([16, 16]);
    const result = await page.evaluate(async ({ recipe, target }) => window.nca.trainOnPage(recipe, Float32Array.from(target)), {
      recipe: recipe(80),
      target: Array.from(target.rgba),
    });
    expect(result.backend).toBe('webgl');
    expect(result.losses).toHaveLength(80);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    // Mean of 8 iterations: single losses jump with the pool's damaged and re-seeded samples.
    expect(mean(result.losses.slice(-8))).toBeLessThan(0.75 * mean(result.losses.slice(0, 8)));
    expect(result.tensorsAfter).toBe(result.tensorsBefore);

    // The same first iterations in Node (tfjs cpu): the same algorithm, so the same losses up
    // to float rounding of two backends.
    const run = new TrainingRun(recipe(4), freshTrainingState(recipe(4), target.rgba), batchGradient);
    const node: number[] = [];
    while (!run.done) {
      node.push((await run.iterate()).loss);
    }
    node.forEach((loss, i) => expect(Math.abs(loss - result.losses[i]!) / loss).toBeLessThan(1e-2));
  });

  it("runs core's wasm rollout kernel on the page: the same bits as in Node, and a run on it learns", async () => {
    const config = { ...DEFAULT_CONFIG, channels: 12, hidden: 32, gridWidth: 16, gridHeight: 16 };
    const rng = createRng(5);
    const params = createParams(config, rng);
    params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.2));
    const cells = 16 * 16;
    const task: GradientTask = {
      config,
      params,
      states: seedArray({ height: 16, width: 16, channels: 12 }, 2),
      count: 2,
      steps: 12,
      fire: drawFire(rng, 12 * 2 * cells, config.fireRate),
      target: new Float32Array(cells * 4).map(() => rng.next()),
      batch: 2,
      overflowWeight: 1,
      outsideWeight: 0,
      detailWeight: 0.5,
    };
    const node = (await RolloutKernel.load('simd')).gradient(task);
    const plain = plainTask(task);
    const onPage = (variant?: RolloutVariant) =>
      page.evaluate(
        async ({ t, variant }) => {
          const task = {
            ...t,
            params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, Float32Array.from(v as number[])])),
            states: Float32Array.from(t.states),
            fire: Uint8Array.from(t.fire),
            target: Float32Array.from(t.target),
          };
          const result = await window.nca.kernelGradientOnPage(task as unknown as Parameters<typeof window.nca.kernelGradientOnPage>[0], variant);
          return { variant: result.variant, grads: result.grads.map((g) => Array.from(g)), losses: Array.from(result.losses), final: Array.from(result.final) };
        },
        { t: plain, variant },
      );
    // The plain build: one wasm module, IEEE float32 arithmetic, so identical on both engines.
    const simd = await onPage('simd');
    expect(simd.losses).toEqual(Array.from(node.losses));
    expect(simd.final).toEqual(Array.from(node.final));
    simd.grads.forEach((g, i) => expect(g).toEqual(Array.from(node.grads[i]!)));
    // Chromium validates relaxed SIMD: the page's own pick is the fused build, equal up to rounding.
    const best = await onPage();
    expect(best.variant).toBe('relaxed-simd');
    best.grads.forEach((g, i) => {
      const ref = node.grads[i]!;
      const diff = Math.sqrt(g.reduce((a, v, j) => a + (v - ref[j]!) ** 2, 0));
      const norm = Math.sqrt(ref.reduce((a, v) => a + v * v, 0));
      expect(diff / norm).toBeLessThan(1e-4);
    });

    const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: 12, padding: 2 });
    const result = await page.evaluate(async ({ recipe, target }) => window.nca.trainOnPage(recipe, Float32Array.from(target), 'kernel'), {
      recipe: recipe(80),
      target: Array.from(target.rgba),
    });
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(result.losses.slice(-8))).toBeLessThan(0.75 * mean(result.losses.slice(0, 8)));
    expect(result.tensorsAfter).toBe(result.tensorsBefore);
  });

  it("runs core's fused WebGPU rollout on the page's navigator.gpu (SwiftShader): equal to the wasm kernel in Node", async () => {
    const withGpu = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
    try {
      const gpuPage = await openModulePage(withGpu, base);
      const cases: Array<[string, Partial<typeof DEFAULT_CONFIG>]> = [
        ['pre-post, zero padding, 12 channels', {}],
        ['wrap, tanh, post mask, clamp, rotated, 7 channels', { padding: 'wrap', tanh: true, aliveMasking: 'post', clampRgba: true, angle: 0.7, channels: 7 }],
      ];
      for (const [label, overrides] of cases) {
        const config = { ...DEFAULT_CONFIG, channels: 12, hidden: 32, gridWidth: 15, gridHeight: 13, ...overrides };
        const rng = createRng(9);
        const params = createParams(config, rng);
        params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.2));
        params.dense1Bias.forEach((_, i) => (params.dense1Bias[i] = (rng.next() - 0.5) * 0.2));
        const cells = config.gridWidth * config.gridHeight;
        const task: GradientTask = {
          config,
          params,
          states: seedArray({ height: config.gridHeight, width: config.gridWidth, channels: config.channels }, 2),
          count: 2,
          steps: 10,
          fire: drawFire(rng, 10 * 2 * cells, config.fireRate),
          target: new Float32Array(cells * 4).map(() => rng.next()),
          batch: 2,
          overflowWeight: 1,
          outsideWeight: 0,
          detailWeight: 0.5,
        };
        const node = (await RolloutKernel.load('simd')).gradient(task);
        const onPage = await gpuPage.evaluate(async (t) => {
          const task = {
            ...t,
            params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, Float32Array.from(v as number[])])),
            states: Float32Array.from(t.states),
            fire: Uint8Array.from(t.fire),
            target: Float32Array.from(t.target),
          };
          const result = await window.nca.webgpuGradientOnPage(task as unknown as Parameters<typeof window.nca.webgpuGradientOnPage>[0]);
          return { grads: result.grads.map((g) => Array.from(g)), losses: Array.from(result.losses), final: Array.from(result.final) };
        }, plainTask(task));
        const finalDiff = onPage.final.reduce((m, v, i) => Math.max(m, Math.abs(v - node.final[i]!)), 0);
        expect(finalDiff, label).toBeLessThan(1e-4);
        onPage.losses.forEach((l, i) => expect(Math.abs(l - node.losses[i]!), label).toBeLessThan(1e-5));
        onPage.grads.forEach((g, i) => {
          const ref = node.grads[i]!;
          const diff = Math.sqrt(g.reduce((a, v, j) => a + (v - ref[j]!) ** 2, 0));
          const norm = Math.sqrt(ref.reduce((a, v) => a + v * v, 0));
          expect(norm, label).toBeGreaterThan(0);
          expect(diff / norm, `${label}, gradient ${i}`).toBeLessThan(1e-3);
        });
      }
    } finally {
      await withGpu.close();
    }
  });
});
