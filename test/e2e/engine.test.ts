// The fused WebGL step against core's step in the browser (same state, same fire masks), on a
// trained model and on the conformance matrix, and GPU memory that stays flat over thousands of
// steps.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeNpy } from '@nca-studio/trainer';
import { matrixCases, randomModel, randomState, textureMatrixCases } from '../support/conformanceMatrix.ts';
import { launchBrowser, openModulePage } from './support/browser.ts';

const base = inject('baseUrl');
const models = inject('models');
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  page = await openModulePage(browser, base);
});

afterAll(async () => {
  await browser?.close();
});

describe('fused step', () => {
  it(`computes what core.step computes: the ${models.source} ${models.primary.id}, 20 steps from a grown and damaged pattern`, async () => {
    const { url, gridWidth: w, gridHeight: h } = models.primary;
    const result = await page.evaluate(
      async ({ url, damage }) => {
        const viewer = window.nca;
        const model = await viewer.fetchModel(url);
        return viewer.compareWithCore(model, { steps: 20, warmup: 40, damage, seed: 3 });
      },
      { url, damage: { x: Math.round(w * 0.55), y: Math.round(h / 2), radius: Math.max(2, Math.round(w / 12)) } },
    );
    expect(result.matureCells).toBeGreaterThan(0.02 * w * h);
    expect(result.aliveMismatches).toBe(0);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it.each([
    ['every option combination', matrixCases(), 144],
    ["the texture model's options (Laplacian, clip, no alive mask)", textureMatrixCases(), 48],
  ] as const)('computes what core.step computes on the conformance matrix, 13x11: %s', async (_, matrix, count) => {
    const cases = matrix.map(({ label, config }, i) => {
      const { params } = randomModel(config, 1000 + i);
      return {
        label,
        config,
        params: Object.fromEntries(Object.entries(params).map(([name, values]) => [name, Array.from(values)])),
        state: Array.from(randomState(config, 2000 + i)),
      };
    });
    const results = await page.evaluate(async (cases) => {
      const viewer = window.nca;
      const out = [];
      for (const c of cases) {
        const params = Object.fromEntries(Object.entries(c.params).map(([name, values]) => [name, Float32Array.from(values)]));
        const model = { config: c.config, params } as unknown as Parameters<typeof viewer.compareWithCore>[0];
        out.push({ label: c.label, ...(await viewer.compareWithCore(model, { steps: 8, state: Float32Array.from(c.state), seed: 5 })) });
      }
      return out;
    }, cases);
    expect(results).toHaveLength(count);
    for (const result of results) {
      expect(result.aliveMismatches, result.label).toBe(0);
      expect(result.maxAbsDiff, result.label).toBeLessThanOrEqual(1e-4);
      expect(result.maxAbsValue, result.label).toBeGreaterThan(0.1);
    }
  });
});

describe('a PyTorch notebook model', () => {
  it('grows in the viewer as it does in PyTorch: 40 deterministic steps on its 24x24 grid, fused and core, <= 1e-4', async () => {
    // The state PyTorch grew the model to (written by numpy), [24, 24, 16].
    const grown = decodeNpy(await readFile(resolve(import.meta.dirname, '../../packages/weights-format/fixtures/torch/notebook-grown.npy')));
    expect(grown.shape).toEqual([24, 24, 16]);
    const result = await page.evaluate(async (values) => {
      const viewer = window.nca;
      const loaded = await viewer.fetchModel('/e2e-fixtures/notebook.safetensors');
      const model = { ...loaded, config: { ...loaded.config, fireRate: 1 } };
      const expected = Float32Array.from(values);
      const out = [];
      for (const engine of ['fused', 'core'] as const) {
        const canvas = document.createElement('canvas');
        const v = await viewer.createViewer(canvas, model, { width: 24, height: 24, engine });
        v.step(40);
        const state = await v.readState();
        out.push({
          engine: v.info.engine,
          maxAbsDiff: state.reduce((max, value, i) => Math.max(max, Number.isNaN(value) ? Infinity : Math.abs(value - expected[i]!)), 0),
          length: state.length,
          mature: state.filter((value, i) => i % 16 === 3 && value > 0.1).length,
        });
        v.dispose();
      }
      return out;
    }, Array.from(grown.data));
    console.log(`notebook model, 40 steps: ${result.map((r) => `${r.engine} max |viewer - PyTorch| = ${r.maxAbsDiff.toExponential(2)}`).join(', ')}`);
    for (const run of result) {
      expect(run.length, run.engine).toBe(24 * 24 * 16);
      expect(run.maxAbsDiff, run.engine).toBeLessThanOrEqual(1e-4);
      expect(run.mature, run.engine).toBeGreaterThan(20);
    }
    expect(result.map((r) => r.engine)).toEqual(['fused', 'core']);
  });
});

describe('a lost WebGL context', () => {
  it('stops every viewer while lost; once restored they go on from their last snapshot', async () => {
    const result = await page.evaluate(async (url) => {
      const viewer = window.nca;
      const model = await viewer.fetchModel(url);
      const make = async (engine: 'fused' | 'core') => {
        const canvas = document.createElement('canvas');
        document.body.append(canvas);
        return viewer.createViewer(canvas, model, { engine });
      };
      const viewers = [await make('fused'), await make('core')];
      for (const v of viewers) {
        v.step(80);
        await v.sync();
      }
      // The snapshot is read back asynchronously after the step that makes it due.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const before = await Promise.all(viewers.map((v) => v.readState()));
      const gpu = await viewer.getGpu();
      const lose = gpu.gl.getExtension('WEBGL_lose_context')!;
      const restored = new Promise<void>((resolve) => {
        const stop = viewer.onContextChange((change) => {
          if (change === 'restored') {
            stop();
            resolve();
          }
        });
      });
      const lost = new Promise((resolve) => gpu.canvas.addEventListener('webglcontextlost', resolve, { once: true }));
      lose.loseContext();
      await lost;
      // The browser allows a restore once the lost event's dispatch has ended, after this microtask.
      await new Promise((resolve) => setTimeout(resolve, 0));
      // Stepping and drawing while lost do nothing, and throw nothing.
      for (const v of viewers) {
        v.step(5);
        v.draw();
      }
      const whileLost = viewers.map((v) => v.stepCount);
      lose.restoreContext();
      await restored;
      const after = await Promise.all(viewers.map((v) => v.readState()));
      const diff = before.map((b, i) => b.reduce((max, value, j) => Math.max(max, Math.abs(value - after[i]![j]!)), 0));
      const mature = (state: Float32Array) => state.filter((_, j) => j % model.config.channels === 3 && state[j]! > 0.1).length;
      for (const v of viewers) {
        v.step(20);
        v.draw();
        await v.sync();
      }
      const later = await Promise.all(viewers.map((v) => v.readState()));
      const moved = later.map((l, i) => l.some((value, j) => value !== after[i]![j]));
      const result = {
        whileLost,
        restoredAt: viewers.map((v) => v.stepCount - 20),
        diff,
        matureBefore: before.map(mature),
        matureLater: later.map(mature),
        moved,
        engines: viewers.map((v) => v.info.engine),
      };
      viewers.forEach((v) => v.dispose());
      return result;
    }, models.primary.url);
    expect(result.engines).toEqual(['fused', 'core']);
    expect(result.whileLost).toEqual([80, 80]);
    expect(result.restoredAt).toEqual([80, 80]);
    expect(result.diff).toEqual([0, 0]);
    expect(result.moved).toEqual([true, true]);
    for (const [i, count] of result.matureBefore.entries()) {
      expect(count).toBeGreaterThan(0);
      expect(result.matureLater[i]).toBeGreaterThan(0.5 * count);
    }
  });
});

describe('memory', () => {
  it('keeps tf.memory().numTensors flat: 10,000 fused steps (drawn every 10) as after 100', async () => {
    const counts = await page.evaluate(async (url) => {
      const viewer = window.nca;
      const model = await viewer.fetchModel(url);
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const v = await viewer.createViewer(canvas, model, { width: 16, height: 16 });
      const run = async (n: number) => {
        for (let i = 0; i < n; i += 10) {
          v.step(10);
          v.draw();
        }
        await v.sync();
        const memory = viewer.tensorMemory();
        return { tensors: memory.numTensors, bytes: memory.numBytes, engine: v.info.engine, steps: v.stepCount };
      };
      const after100 = await run(100);
      const after10k = await run(9900);
      v.dispose();
      canvas.remove();
      return { after100, after10k };
    }, models.primary.url);
    expect(counts.after100.engine).toBe('fused');
    expect(counts.after10k.steps).toBe(10_000);
    expect(counts.after10k.tensors).toBe(counts.after100.tensors);
    expect(counts.after10k.bytes).toBe(counts.after100.bytes);
  });

  it('keeps it flat on the core path too (each step and draw disposes its tensors)', async () => {
    const counts = await page.evaluate(async (url) => {
      const viewer = window.nca;
      const model = await viewer.fetchModel(url);
      const canvas = document.createElement('canvas');
      document.body.append(canvas);
      const v = await viewer.createViewer(canvas, model, { width: 12, height: 12, engine: 'core' });
      const run = async (n: number) => {
        for (let i = 0; i < n; i += 5) {
          v.step(5);
          v.draw();
        }
        v.damage(6, 6, 2);
        v.plant(3, 3);
        await v.sync();
        return viewer.tensorMemory().numTensors;
      };
      const after100 = await run(100);
      const after500 = await run(400);
      v.dispose();
      return { after100, after500, engine: v.info.engine, disposed: viewer.tensorMemory().numTensors };
    }, models.primary.url);
    expect(counts.engine).toBe('core');
    expect(counts.after500).toBe(counts.after100);
  });
});
