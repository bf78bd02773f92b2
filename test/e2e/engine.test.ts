// The fused WebGL step against core's step in the browser (same state, same fire masks), and
// GPU memory that stays flat over thousands of steps.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, openModulePage } from './support/browser.ts';

const base = inject('baseUrl');
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
  it('computes what core.step computes: Distill lizard, 20 steps from a grown and damaged pattern', async () => {
    const result = await page.evaluate(async () => {
      const viewer = window.nca;
      const model = await viewer.fetchModel('/models/distill/ex3_1f98e.safetensors');
      return viewer.compareWithCore(model, { steps: 20, warmup: 40, damage: { x: 40, y: 36, radius: 6 }, seed: 3 });
    });
    expect(result.matureCells).toBeGreaterThan(100);
    expect(result.aliveMismatches).toBe(0);
    expect(result.maxAbsDiff).toBeLessThanOrEqual(1e-4);
  });

  it('follows every config option: wrap and reflect padding, angle, tanh, post masking, clamp, odd sizes', async () => {
    const results = await page.evaluate(async () => {
      const viewer = window.nca;
      let seed = 11;
      const rng = { next: () => (seed = (seed * 16807) % 2147483647) / 2147483647 };
      const random = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
      const cases = [
        { padding: 'wrap', angle: 0.7, tanh: false, aliveMasking: 'pre-post', clampRgba: false, channels: 16, hidden: 128, width: 37, height: 29 },
        { padding: 'reflect', angle: -1.2, tanh: true, aliveMasking: 'post', clampRgba: true, channels: 12, hidden: 42, width: 20, height: 23 },
        { padding: 'zero', angle: 0, tanh: false, aliveMasking: 'pre-post', clampRgba: true, channels: 6, hidden: 9, width: 17, height: 17 },
      ] as const;
      const out = [];
      for (const c of cases) {
        const config = { ...c, fireRate: 0.5, sobelScale: c.padding === 'reflect' ? 1 : 0.125, aliveThreshold: c.aliveMasking === 'post' ? 0.05 : 0.1, gridWidth: c.width, gridHeight: c.height };
        const model = {
          config,
          params: {
            dense1Weight: random(3 * c.channels * c.hidden, 0.3),
            dense1Bias: random(c.hidden, 0.1),
            dense2Weight: random(c.hidden * c.channels, 0.05),
            dense2Bias: random(c.channels, 0.01),
          },
        };
        // Random cells, alpha above the threshold in a band, zero elsewhere: alive and dead borders.
        const state = new Float32Array(c.width * c.height * c.channels);
        for (let y = 0; y < c.height; y++) {
          for (let x = 0; x < c.width; x++) {
            if (x > 2 && x < c.width - 6) {
              for (let k = 0; k < c.channels; k++) {
                state[(y * c.width + x) * c.channels + k] = k === 3 ? 0.2 + 0.8 * rng.next() : rng.next();
              }
            }
          }
        }
        out.push({ case: c, ...(await viewer.compareWithCore(model, { steps: 20, state, seed: 5 })) });
      }
      return out;
    });
    for (const result of results) {
      expect(result.aliveMismatches, JSON.stringify(result.case)).toBe(0);
      expect(result.maxAbsDiff, JSON.stringify(result.case)).toBeLessThanOrEqual(1e-4);
      expect(result.maxAbsValue).toBeGreaterThan(0.1);
    }
  });
});

describe('memory', () => {
  it('keeps tf.memory().numTensors flat: 10,000 fused steps (drawn every 10) as after 100', async () => {
    const counts = await page.evaluate(async () => {
      const viewer = window.nca;
      const model = await viewer.fetchModel('/models/distill/ex3_1f98e.safetensors');
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
    });
    expect(counts.after100.engine).toBe('fused');
    expect(counts.after10k.steps).toBe(10_000);
    expect(counts.after10k.tensors).toBe(counts.after100.tensors);
    expect(counts.after10k.bytes).toBe(counts.after100.bytes);
  });

  it('keeps it flat on the core path too (each step and draw disposes its tensors)', async () => {
    const counts = await page.evaluate(async () => {
      const viewer = window.nca;
      const model = await viewer.fetchModel('/models/distill/ex3_1f98e.safetensors');
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
    });
    expect(counts.engine).toBe('core');
    expect(counts.after500).toBe(counts.after100);
  });
});
