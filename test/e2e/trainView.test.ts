// The app's Train view in headless Chromium: a picture dropped on the page trains in a worker
// (the wasm kernel here: SwiftShader has no WebGPU adapter the kernel would lose to), the loss
// falls, the preview grows, a reload mid-run resumes from IndexedDB exactly where the CLI would,
// the downloaded file is what `nca inspect` and `nca eval` read, and the worker's memory is flat.
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { freshTrainingState, RolloutKernel, shardedGradient, TrainingRun } from '@nca-studio/core';
import { decodeTarget, emojiPath, loadExemplar, main, ranToEnd } from '@nca-studio/trainer';
import { decodeCheckpoint, parameterCount, readModel } from '@nca-studio/weights-format';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS, countForeground, launchBrowser, openModulePage, openPage } from './support/browser.ts';
import { watchWorkerHeap } from './support/workerHeap.ts';
import { chromium } from 'playwright-core';

const base = inject('baseUrl');
let browser: Browser;
let dir: string;

beforeAll(async () => {
  browser = await launchBrowser();
  dir = await mkdtemp(join(tmpdir(), 'nca-train-view-'));
  await tf.setBackend('cpu');
});

afterAll(async () => {
  await browser?.close();
});

/** A 64x64 picture: a blue-green blob with soft edges on transparency, and its opaque twin on white. */
async function blob(opaque = false): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><defs><radialGradient id="g"><stop offset="0" stop-color="#10a0c0"/><stop offset="1" stop-color="#2050e0" stop-opacity="0.6"/></radialGradient></defs>${
    opaque ? '<rect width="64" height="64" fill="white"/>' : ''
  }<ellipse cx="30" cy="34" rx="22" ry="17" fill="url(#g)"/><circle cx="46" cy="20" r="9" fill="#e04020"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Drops a file on the Train view, as a user's drag and drop does. */
async function drop(page: Page, bytes: Buffer, name: string, type: string): Promise<void> {
  const transfer = await page.evaluateHandle(
    ({ bytes, name, type }) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], name, { type }));
      return data;
    },
    { bytes: Array.from(bytes), name, type },
  );
  await page.dispatchEvent('[data-testid=train-view]', 'drop', { dataTransfer: transfer });
}

async function status(page: Page): Promise<{ phase: string; iteration: number; tensors: number; text: string }> {
  const view = page.locator('[data-testid=train-view]');
  const line = page.locator('[data-testid=train-status]');
  const has = (await line.count()) > 0;
  return {
    phase: (await view.getAttribute('data-phase')) ?? '',
    iteration: has ? Number(await line.getAttribute('data-iteration')) : 0,
    tensors: has ? Number(await line.getAttribute('data-tensors')) : 0,
    text: has ? ((await line.textContent()) ?? '').replace(/\s+/g, ' ') : '',
  };
}

/** The run's checkpoint as IndexedDB holds it (core's checkpoint file). */
async function storedCheckpoint(page: Page): Promise<{ bytes: Uint8Array; status: string }> {
  const stored = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open('nca-studio-training');
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const get = <T>(store: string, key?: string): Promise<T> =>
      new Promise((resolve, reject) => {
        const request = key === undefined ? db.transaction(store).objectStore(store).getAll() : db.transaction(store).objectStore(store).get(key);
        request.onsuccess = () => resolve(request.result as T);
        request.onerror = () => reject(request.error);
      });
    const runs = await get<Array<{ id: string; status: string; savedAt: number }>>('runs');
    const run = runs.sort((a, b) => b.savedAt - a.savedAt)[0]!;
    const bytes = await get<Uint8Array>('checkpoints', run.id);
    db.close();
    return { bytes: Array.from(bytes), status: run.status };
  });
  return { bytes: Uint8Array.from(stored.bytes), status: stored.status };
}

async function nca(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (line) => out.push(line), error: (line) => err.push(line) });
  return { code, out, err };
}

describe('the Train view', () => {
  // A real run in the page, a reload, the CLI on its files and a resume in Node: over a minute
  // on 2 cores, so a longer guard than the suite's 2 minutes.
  it('trains a dropped picture in a worker, survives a reload, and downloads a file the CLI reads', async () => {
    const { page, errors } = await openPage(browser, `${base}?tab=train&checkpointSeconds=1&previewSeconds=1&kernel=simd&threads=2`);
    await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
    await drop(page, await blob(), 'blob.png', 'image/png');
    await page.waitForSelector('[data-testid=target-size]');
    await page.selectOption('[data-testid=preset]', 'quick');
    await page.fill('[data-testid=target-size-input]', '16');
    await page.locator('[data-testid=target-size-input]').dispatchEvent('change');
    await page.fill('[data-testid=iterations]', '20000');
    expect(await page.locator('[data-testid=target-size]').textContent()).toBe('blob: 24x24 grid');
    const heap = await watchWorkerHeap(page);
    await page.click('[data-testid=start]');

    // The worker says which route trains and why.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-status]')?.getAttribute('data-iteration')) >= 10, null, {
      timeout: 90_000,
    });
    expect(await page.locator('[data-testid=route-line]').textContent()).toMatch(/^the wasm rollout kernel \(simd, 2 threads\): the fastest route here/);
    // The kernel route's worker trains on plain arrays: it loads no tfjs at all.
    expect(await page.locator('[data-testid=train-view]').getAttribute('data-tfjs')).toBe('false');
    const early = await status(page);
    const heapEarly = await heap.used();
    // The page stays responsive while the worker trains: a frame comes within a few frames' time.
    const frameMs = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          const t = performance.now();
          requestAnimationFrame(() => resolve(performance.now() - t));
        }),
    );
    expect(frameMs).toBeLessThan(500);

    // The preview shows newer weights, grown on the page's canvas.
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=preview-caption]')?.getAttribute('data-iteration')) > 0, null, {
      timeout: 60_000,
    });
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-status]')?.getAttribute('data-iteration')) >= 60, null, {
      timeout: 90_000,
    });
    const mid = await status(page);
    expect(mid.tensors).toBe(early.tensors);
    const heapMid = await heap.used();
    await heap.detach();
    expect(await page.locator('[data-testid=train-status]').textContent()).toMatch(/saved at \d+/);

    // Reload mid-run: the run is listed, and resumes from its last checkpoint.
    const before = await storedCheckpoint(page);
    expect(before.status).toBe('training');
    const savedAt = decodeCheckpoint(before.bytes, 'indexeddb').iteration;
    expect(savedAt).toBeGreaterThan(0);
    await page.reload();
    await page.waitForSelector('[data-testid=saved-runs]', { timeout: 60_000 });
    // What the reload left in IndexedDB is the checkpoint the resumed run starts from.
    const atReload = decodeCheckpoint((await storedCheckpoint(page)).bytes, 'indexeddb');
    expect(atReload.iteration).toBeGreaterThanOrEqual(savedAt);
    // Mid-run: far from its 20000 iterations (Stop ends it below).
    expect(atReload.iteration).toBeLessThan(20000);
    await page.click('[data-testid=resume-saved]');
    // It goes on from there (the status starts at the checkpoint's iteration); Stop ends it.
    await page.waitForFunction(
      (from) => Number(document.querySelector('[data-testid=train-status]')?.getAttribute('data-iteration')) >= from + 40,
      atReload.iteration,
      { timeout: 90_000 },
    );
    await page.click('[data-testid=stop]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, { timeout: 60_000 });
    const stoppedAt = (await status(page)).iteration;
    expect(stoppedAt).toBeGreaterThanOrEqual(atReload.iteration + 40);

    // The loss fell: the run's whole history is in its final checkpoint.
    // (Its checkpoint, with a pool of 256 64x64 states, comes as a download: too large to pass through page.evaluate.)
    const [checkpointFile] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-checkpoint]')]);
    const end = decodeCheckpoint(await readFile(await checkpointFile.path()), 'the downloaded checkpoint');
    expect(end.iteration).toBe(stoppedAt);
    expect(end.losses).toHaveLength(stoppedAt);
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(end.losses.slice(-10))).toBeLessThan(0.7 * mean(end.losses.slice(0, 10)));

    // The preview grew the final weights into a shape on its canvas.
    const grown = await countForeground(page.locator('[data-testid=preview]'));
    expect(grown.count / grown.total).toBeGreaterThan(0.05);

    // Download: our file, with the target and training metadata, as the CLI writes it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
    const file = join(dir, 'blob.safetensors');
    await download.saveAs(file);
    const model = readModel(await readFile(file));
    expect(model.config.gridWidth).toBe(24);
    expect(model.target?.name).toBe('blob');
    expect(model.training?.['iterations']).toBe(stoppedAt);
    expect(model.training?.['tool_version']).toMatch(/^nca-studio viewer /);
    expect(await page.locator('[data-testid=embed]').textContent()).toContain('<nca-viewer src="blob.safetensors"');
    const inspected = await nca('inspect', file, '--json');
    expect(inspected.code).toBe(0);
    expect(JSON.parse(inspected.out.join('\n'))).toMatchObject({
      parameters: parameterCount(model.config),
      target: { name: 'blob', width: 24 },
      training: { preset: 'quick', iterations: stoppedAt },
    });
    const evaluated = await nca('eval', file, '--json', '--seeds', '1');
    expect(evaluated.code).toBe(0);
    expect(JSON.parse(evaluated.out.join('\n'))).toMatchObject({ seeds: 1, gridWidth: 24, growth: expect.any(Number) });

    // The run's checkpoint, downloaded: `nca train --resume` continues the page's run.
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-checkpoint]')]);
    expect(saved.suggestedFilename()).toBe('checkpoint.safetensors');
    const folder = join(dir, 'from-page');
    await mkdir(folder);
    await saved.saveAs(join(folder, 'checkpoint.safetensors'));
    const continued = await nca('train', '--resume', folder, '--iterations', String(stoppedAt + 2), '--workers', '1');
    // It ran to its end; a model of a few hundred iterations may still be judged not to grow (exit 1, one line).
    expect(ranToEnd(continued)).toBe(true);
    expect(readModel(await readFile(join(folder, 'model.safetensors'))).training?.['iterations']).toBe(stoppedAt + 2);

    // Resumed exactly as the CLI resumes: core's TrainingRun in Node, from the checkpoint the
    // reload left, on the same kernel build (simd: relaxed SIMD may fuse differently in
    // Chromium's V8 and Node's) and the same split over two threads, reaches the downloaded weights bit for bit.
    const plan = { ...atReload.plan, training: { ...atReload.plan.training, iterations: stoppedAt } };
    // The small ops (ranking, normalisation, Adam) are core's plain arrays on both sides.
    const kernel = await RolloutKernel.load('simd');
    const resumed = new TrainingRun(plan, atReload, (task) => shardedGradient(task, 2, async (shard) => kernel.gradient(shard)));
    while (!resumed.done) {
      await resumed.iterate();
    }
    const weights = resumed.weights();
    for (const name of ['dense1Weight', 'dense2Weight'] as const) {
      expect(Array.from(weights[name])).toEqual(Array.from(model.params[name]));
    }

    // Memory: the tensors and the worker's heap (after a collection) held flat over the run.
    expect(heapMid - heapEarly).toBeLessThan(8 * 2 ** 20);

    // Use it in the viewer: the View tab runs the new model.
    await page.click('[data-testid=use-in-viewer]');
    await page.waitForFunction(() => !document.querySelector('.view')?.hasAttribute('hidden'));
    expect(await page.locator('[data-testid=canvas]').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it('says what is wrong with bad input, offers keying, and keeps working', async () => {
    const { page, errors } = await openPage(browser, `${base}?tab=train`);
    await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
    const problem = page.locator('[data-testid=train-problem]');
    await drop(page, Buffer.from('not a picture at all'), 'notes.png', 'image/png');
    await expect.poll(() => problem.textContent()).toMatch(/notes.png: not a picture/);

    // A 20000x20000 PNG: refused by its header, nothing decoded.
    const huge = Buffer.alloc(64);
    (await blob()).copy(huge, 0, 0, 24);
    huge.writeUInt32BE(20000, 16);
    huge.writeUInt32BE(20000, 20);
    await drop(page, huge, 'huge.png', 'image/png');
    await expect.poll(() => problem.textContent()).toMatch(/huge.png: 20000x20000 pixels is over the \d+ pixel limit/);

    // No transparency: the CLI's --background keying, offered on the page.
    await drop(page, await blob(true), 'opaque.png', 'image/png');
    await expect.poll(() => problem.textContent()).toMatch(/no transparency/);
    await page.click('[data-testid=key-out]');
    await page.waitForSelector('[data-testid=target-size]');
    expect(await problem.count()).toBe(0);
    expect(await page.locator('[data-testid=start]').isEnabled()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('decodes PNG, WebP, JPEG and SVG as the CLI does: equal within one 8-bit step (SVG: within its rasteriser)', async () => {
    const page = await openModulePage(browser, base);
    const picture = await blob();
    const files: Array<{ name: string; type: string; bytes: Buffer; background?: string }> = [
      { name: 'blob.png', type: 'image/png', bytes: picture },
      { name: 'lizard.png', type: 'image/png', bytes: await readFile(emojiPath('🦎')) },
      { name: 'blob.webp', type: 'image/webp', bytes: await sharp(picture).webp({ lossless: true }).toBuffer() },
      {
        name: 'opaque.jpg',
        type: 'image/jpeg',
        bytes: await sharp(await blob(true))
          .jpeg({ quality: 95 })
          .toBuffer(),
        background: 'white',
      },
    ];
    for (const file of files) {
      const options = { size: 20, padding: 2, ...(file.background === undefined ? {} : { background: file.background }) };
      const cli = await decodeTarget(file.bytes, file.name, options);
      const onPage = await page.evaluate(({ bytes, name, type, options }) => window.nca.targetOnPage(bytes, name, type, options), {
        bytes: Array.from(file.bytes),
        name: file.name,
        type: file.type,
        options,
      });
      if ('error' in onPage) {
        throw new Error(onPage.error);
      }
      expect([onPage.width, onPage.height]).toEqual([cli.width, cli.height]);
      const worst = Math.max(...onPage.rgba8.map((v, i) => Math.abs(v - cli.rgba8[i]!)));
      expect(worst, file.name).toBeLessThanOrEqual(1);
    }
    // An SVG is drawn by two different rasterisers (librsvg, Skia) at 4x: the same grid, and the
    // same picture up to their anti-aliasing.
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="30"><circle cx="20" cy="15" r="12" fill="#c03080"/></svg>');
    const cli = await decodeTarget(svg, 'dot', { size: 20, padding: 2 });
    const onPage = await page.evaluate(({ bytes }) => window.nca.targetOnPage(bytes, 'dot.svg', 'image/svg+xml', { size: 20, padding: 2 }), {
      bytes: Array.from(svg),
    });
    if ('error' in onPage) {
      throw new Error(onPage.error);
    }
    expect([onPage.width, onPage.height]).toEqual([cli.width, cli.height]);
    const diffs = onPage.rgba8.map((v, i) => Math.abs(v - cli.rgba8[i]!));
    expect(diffs.reduce((s, d) => s + d, 0) / diffs.length).toBeLessThan(1);
    expect(Math.max(...diffs)).toBeLessThanOrEqual(16);
    await page.close();
  });

  it('trains on the tfjs route (tfjs-backend-webgl) in the worker, the route for a browser without wasm SIMD', async () => {
    const { page, errors } = await openPage(browser, `${base}?tab=train&route=tfjs`);
    await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
    await page.click('[data-testid=emoji-1f98e]');
    await page.waitForSelector('[data-testid=target-size]');
    await page.selectOption('[data-testid=preset]', 'quick');
    await page.fill('[data-testid=target-size-input]', '8');
    await page.locator('[data-testid=target-size-input]').dispatchEvent('change');
    await page.fill('[data-testid=iterations]', '4');
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, { timeout: 90_000 });
    expect(await page.locator('[data-testid=route-line]').textContent()).toBe('tfjs-backend-webgl (OffscreenCanvas): chosen (tfjs on WebGL)');
    expect(await page.locator('[data-testid=train-view]').getAttribute('data-tfjs')).toBe('true');
    expect((await status(page)).iteration).toBe(4);
    // A run of 4 iterations is no finished model, and the page says so with nca eval's figures.
    expect(['failed', 'short']).toContain(await page.locator('[data-testid=verdict]').getAttribute('data-status'));
    expect(await page.locator('[data-testid=verdict]').textContent()).toMatch(/^It (does not grow|grows, short of some goals):/);
    expect(await page.locator('[data-testid=figures]').textContent()).toMatch(/^growth IoU \d\.\d\d, MSE /);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('trains for a number of minutes: the time field ends the run in its budget and records where the rate fell', async () => {
    const { page, errors } = await openPage(browser, `${base}?tab=train&kernel=simd&threads=1`);
    await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
    await page.click('[data-testid=emoji-1f98e]');
    await page.waitForSelector('[data-testid=target-size]');
    expect(await page.locator('[data-testid=minutes]').inputValue()).toBe('30');
    expect(await page.locator('[data-testid=iterations]').isDisabled()).toBe(true);
    await page.fill('[data-testid=target-size-input]', '8');
    await page.locator('[data-testid=target-size-input]').dispatchEvent('change');
    await page.fill('[data-testid=minutes]', '0.1');
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => /left/.test(document.querySelector('[data-testid=train-status]')?.textContent ?? ''), null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, { timeout: 90_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
    const model = readModel(await readFile(await download.path()));
    const settings = model.training?.['settings'] as { budget: unknown; lrDecayAt: number; iterations: number };
    expect(settings.budget).toEqual({ minutes: 0.1, decayAt: 0.7 });
    expect(settings.lrDecayAt).toBeGreaterThan(0);
    expect(settings.iterations).toBe(model.training?.['iterations']);
    expect(model.training?.['seconds']).toBeGreaterThan(0.7 * 6);
    expect(model.training?.['seconds']).toBeLessThan(3 * 6);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('with WebGPU on a software adapter, trains on the wasm kernel and says why; WebGPU chosen by hand trains on the fused rollout', async () => {
    const withGpu = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--enable-unsafe-webgpu'] });
    try {
      const start = async (query: string) => {
        const opened = await openPage(withGpu, `${base}?tab=train${query}`);
        await opened.page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
        await opened.page.click('[data-testid=emoji-1f98e]');
        await opened.page.waitForSelector('[data-testid=target-size]');
        await opened.page.selectOption('[data-testid=preset]', 'quick');
        await opened.page.fill('[data-testid=target-size-input]', '8');
        await opened.page.locator('[data-testid=target-size-input]').dispatchEvent('change');
        await opened.page.fill('[data-testid=iterations]', '2');
        await opened.page.click('[data-testid=start]');
        await opened.page.waitForFunction(() => !(document.querySelector('[data-testid=route-line]')?.textContent ?? 'starting').startsWith('starting'), null, {
          timeout: 60_000,
        });
        return { ...opened, routeLine: await opened.page.locator('[data-testid=route-line]').textContent() };
      };
      const auto = await start('');
      expect(auto.routeLine).toMatch(/^the wasm rollout kernel .*WebGPU here is a software adapter \(.*swiftshader.*\), slower than the kernel/i);
      await auto.page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, {
        timeout: 90_000,
      });
      expect(auto.errors).toEqual([]);
      await auto.page.close();
      const forced = await start('&route=webgpu');
      expect(forced.routeLine).toMatch(/^the fused WebGPU rollout \(WGSL\): chosen \(.*swiftshader.*\)/i);
      await forced.page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, {
        timeout: 120_000,
      });
      expect((await status(forced.page)).iteration).toBe(2);
      expect(forced.errors).toEqual([]);
      await forced.page.close();
    } finally {
      await withGpu.close();
    }
  });

  it('trains in a tab with no WebGL at all: the preview says so, the run finishes', async () => {
    const plain = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--disable-webgl', '--disable-webgl2'] });
    try {
      const { page, errors } = await openPage(plain, `${base}?tab=train&previewSeconds=1`);
      await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
      await page.click('[data-testid=emoji-1f98e]');
      await page.waitForSelector('[data-testid=target-size]');
      await page.selectOption('[data-testid=preset]', 'quick');
      await page.fill('[data-testid=iterations]', '40');
      await page.click('[data-testid=start]');
      // Pause holds the run where it is; Resume goes on from there.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid=train-status]')?.getAttribute('data-iteration')) >= 3, null, {
        timeout: 60_000,
      });
      await page.click('[data-testid=pause]');
      await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'paused', null, { timeout: 30_000 });
      const held = (await status(page)).iteration;
      await page.waitForTimeout(1500);
      expect((await status(page)).iteration).toBe(held);
      expect(held).toBeLessThan(40);
      await page.click('[data-testid=pause]');
      await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, {
        timeout: 90_000,
      });
      expect((await status(page)).iteration).toBe(40);
      expect(await page.locator('[data-testid=preview-problem]').textContent()).toMatch(/no live preview: .*WebGL/);
      expect(await page.locator('[data-testid=download]').isVisible()).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await plain.close();
    }
  });

  it('weaves a texture from a dropped exemplar on the same kernel route, with the figures nca eval gives', async () => {
    const { page, errors } = await openPage(browser, `${base}?tab=train&mode=texture&checkpointSeconds=1&previewSeconds=1&kernel=simd&threads=2`);
    await page.waitForSelector('[data-testid=train-view]', { timeout: 60_000 });
    expect(await page.locator('[data-testid=train-view]').getAttribute('data-mode')).toBe('texture');
    // An exemplar: diagonal stripes, 40x40, with a transparent corner (flattened onto white).
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#203080"/><path d="M0 10 L10 0 L20 0 L0 20 Z M0 30 L30 0 L40 0 L0 40 Z M20 40 L40 20 L40 30 L30 40 Z" fill="#e0c040"/><rect x="30" y="30" width="10" height="10" fill="white" fill-opacity="0"/></svg>`;
    const png = await sharp(Buffer.from(svg)).png().toBuffer();
    const file = join(dir, 'stripes.png');
    await sharp(png).toFile(file);
    await drop(page, png, 'stripes.png', 'image/png');
    await page.waitForSelector('[data-testid=exemplar-size]');
    expect(await page.locator('[data-testid=exemplar-size]').textContent()).toBe('stripes: a 40x40 exemplar, woven on a 64x64 torus');
    // The texture form: its time by default (the preset's 15 minutes), no damage or preset to choose.
    expect(await page.locator('[data-testid=minutes]').inputValue()).toBe('15');
    expect(await page.locator('[data-testid=preset]').isVisible()).toBe(false);
    await page.fill('[data-testid=minutes]', '');
    await page.fill('[data-testid=iterations]', '3');
    await page.click('[data-testid=start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=train-view]')?.getAttribute('data-phase') === 'finished', null, { timeout: 150_000 });
    expect(await page.locator('[data-testid=route-line]').textContent()).toMatch(/^the wasm rollout kernel \(simd, 2 threads\)/);
    expect(await page.locator('[data-testid=preview-caption]').textContent()).toMatch(/forms from zeros on the torus/);
    // nca eval's texture figures for the new model, measured in the worker.
    const distance = Number(await page.locator('[data-testid=texture-figures]').getAttribute('data-distance'));
    expect(distance).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=figures]').textContent()).toMatch(
      /^texture distance [\d.]+ after 2000 steps .*stability [\d.]+, after a cut [\d.]+x$/,
    );
    expect(await page.locator('[data-testid=embed]').textContent()).toContain('cell-size="3" style="position:fixed; inset:0; z-index:-1"');

    // The model file: a texture model carrying its exemplar, the bytes the CLI would train on.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download]')]);
    const model = readModel(await readFile(await download.path()));
    expect(model.config).toMatchObject({ start: 'zeros', display: 'rgb-signed', padding: 'wrap', gridWidth: 64 });
    expect(model.training?.['iterations']).toBe(3);
    const cli = await loadExemplar({ kind: 'file', path: file }, 128);
    expect([model.target?.width, model.target?.height]).toEqual([cli.width, cli.height]);
    expect(Buffer.from(model.target!.data).equals(Buffer.from(cli.rgba8))).toBe(true);

    // Trained as core trains in Node: the run's plan from its first checkpoint, on the same kernel
    // build and split over two threads, reaches the downloaded weights bit for bit.
    // (Its checkpoint, with a pool of 256 64x64 states, comes as a download: too large to pass through page.evaluate.)
    const [saved] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-checkpoint]')]);
    const end = decodeCheckpoint(await readFile(await saved.path()), 'the downloaded checkpoint');
    expect(end.plan.exemplar).toEqual({ width: 40, height: 40, loss: 'spectrum' });
    const kernel = await RolloutKernel.load('simd');
    const target = Float32Array.from(cli.rgba8, (v) => v / 255);
    const again = new TrainingRun(end.plan, freshTrainingState(end.plan, target), (task) => shardedGradient(task, 2, async (shard) => kernel.gradient(shard)));
    while (!again.done) {
      await again.iterate();
    }
    for (const name of ['dense1Weight', 'dense2Weight'] as const) {
      expect(Array.from(again.weights()[name])).toEqual(Array.from(model.params[name]));
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);
});
