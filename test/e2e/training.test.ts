// Core's training algorithm in the browser: TrainingRun driven on tfjs-backend-webgl in
// headless Chromium (SwiftShader), no Node in the loop. Its loss falls, nothing leaks, and its
// first iterations agree with the same run in Node.
import '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { freshTrainingState, PRESETS, TrainingRun, type TrainingRecipe } from '@nca-studio/core';
import { loadTarget } from '@nca-studio/trainer';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, openModulePage } from './support/browser.ts';

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
    training: { ...PRESETS.regenerating.training, iterations, batch: 4, pool: 32, damaged: 1, stepsMin: 8, stepsMax: 12, lr: 3e-3, lrDecayAt: null, padding: 2, targetSize: 12 },
  };
}

describe('training in the browser', () => {
  it("drives core's TrainingRun on tfjs-backend-webgl: the loss falls and no tensor leaks", async () => {
    const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: 12, padding: 2 });
    expect([target.width, target.height]).toEqual([16, 16]);
    const result = await page.evaluate(
      async ({ recipe, target }) => window.nca.trainOnPage(recipe, Float32Array.from(target)),
      { recipe: recipe(80), target: Array.from(target.rgba) },
    );
    expect(result.backend).toBe('webgl');
    expect(result.losses).toHaveLength(80);
    expect(result.losses.every(Number.isFinite)).toBe(true);
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    // Mean of 8 iterations: single losses jump with the pool's damaged and re-seeded samples.
    expect(mean(result.losses.slice(-8))).toBeLessThan(0.75 * mean(result.losses.slice(0, 8)));
    expect(result.tensorsAfter).toBe(result.tensorsBefore);

    // The same first iterations in Node (tfjs cpu): the same algorithm, so the same losses up
    // to float rounding of two backends.
    const run = new TrainingRun(recipe(4), freshTrainingState(recipe(4), target.rgba));
    const node: number[] = [];
    while (!run.done) {
      node.push((await run.iterate()).loss);
    }
    run.dispose();
    node.forEach((loss, i) => expect(Math.abs(loss - result.losses[i]!) / loss).toBeLessThan(1e-2));
  });
});
