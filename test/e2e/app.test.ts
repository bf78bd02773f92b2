// The viewer app in headless Chromium: a model grows, a pointer drag erases part of
// it, and it regrows; a bad file shows its error while the model keeps running; the keyboard,
// drop, hidden-tab pause, half floats and a 360 px wide screen.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { countForeground, launchBrowser, openPage } from './support/browser.ts';
import { readWebm } from './support/webm.ts';

const base = inject('baseUrl');
const models = inject('models');
const grid = models.primary.gridWidth;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

async function steps(page: Page): Promise<number> {
  return Number(await page.getByTestId('steps').textContent());
}

/** Plays until the step counter reaches `target`, then pauses. */
async function playUntil(page: Page, target: number): Promise<void> {
  await page.getByTestId('play').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=steps]')?.textContent) >= n, target, { timeout: 90_000, polling: 100 });
  await page.getByTestId('play').click();
  await expect.poll(() => page.getByTestId('play').textContent()).toContain('Play');
}

async function ready(page: Page): Promise<void> {
  await page.getByTestId('engine').waitFor({ timeout: 60_000 });
}

describe('viewer app', () => {
  it('grows a model, a drag erases it, and it regrows', async () => {
    const { page, errors } = await openPage(browser, `${base}?model=${models.primary.id}&autoplay=0&speed=max`);
    await ready(page);
    // The model asked for, not a fallback to the default one.
    expect(await page.getByTestId('model-select').inputValue()).toBe(new URL(models.primary.url, base).href);
    expect(await page.getByTestId('engine').textContent()).toBe('fused WebGL');
    expect(await page.getByTestId('precision').textContent()).toBe('float32');
    const canvas = page.getByTestId('canvas');

    const seed = await countForeground(canvas);
    await playUntil(page, 200);
    const grown = await countForeground(canvas);
    // The seed is one cell; the lizard covers a good part of the grid.
    expect(grown.count).toBeGreaterThan(20 * Math.max(seed.count, 1));
    expect(grown.count / grown.total).toBeGreaterThan(0.08);

    // Drag a brush of a seventh of the grid (10 cells on 72) across the middle.
    await page.getByTestId('brush').fill(String(Math.round(grid / 7)));
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.5);
    await page.mouse.down();
    for (let i = 1; i <= 12; i++) {
      await page.mouse.move(box.x + box.width * (0.15 + (0.7 * i) / 12), box.y + box.height * 0.5);
    }
    await page.mouse.up();
    await expect.poll(async () => (await countForeground(canvas)).count).toBeLessThan(grown.count * 0.8);
    const erased = await countForeground(canvas);

    const before = await steps(page);
    await playUntil(page, before + 300);
    const regrown = await countForeground(canvas);
    expect(regrown.count).toBeGreaterThan(erased.count);
    expect(regrown.count).toBeGreaterThanOrEqual(0.9 * grown.count);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads with a clean console: no request fails, nothing is logged as an error or warning', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) {
        problems.push(`HTTP ${response.status()}: ${response.url()}`);
      }
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    await page.goto(`${base}?autoplay=0`);
    await ready(page);
    await page.waitForLoadState('networkidle');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('picks the bundled models first, and the default one grows', async () => {
    const { page, errors } = await openPage(browser, `${base}?autoplay=0&speed=max`);
    await ready(page);
    const select = page.getByTestId('model-select');
    expect(await select.locator('optgroup').first().getAttribute('label')).toBe('Bundled models');
    expect(await select.inputValue()).toMatch(/models\/lizard\.safetensors$/);
    const canvas = page.getByTestId('canvas');
    const seed = await countForeground(canvas);
    await playUntil(page, 60);
    expect((await countForeground(canvas)).count).toBeGreaterThan(20 * Math.max(seed.count, 1));
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a bad file's error and keeps the running model running; a dropped model replaces it", async () => {
    const { page, errors } = await openPage(browser, `${base}?model=${models.primary.id}&speed=max`);
    await ready(page);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=steps]')?.textContent) > 5);

    await page.getByTestId('file-input').setInputFiles({ name: 'garbage.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.alloc(3000, 7) });
    const message = page.getByTestId('error-message');
    await message.waitFor();
    expect(await message.textContent()).toMatch(/^garbage\.safetensors: /);
    const at = await steps(page);
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=steps]')?.textContent) > n + 10, at);

    // Drop a model file onto the page (the other test model).
    await page.evaluate(async (url) => {
      const bytes = await (await fetch(url)).arrayBuffer();
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], 'butterfly.safetensors'));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, cancelable: true }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, cancelable: true }));
    }, models.secondary.url);
    await page.getByText('butterfly.safetensors').waitFor();
    expect(await page.getByTestId('error').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers space, s and r, plants a seed on Shift-click, switches views, and pauses while the tab is hidden', async () => {
    const { page } = await openPage(browser, `${base}?model=${models.primary.id}&autoplay=0`);
    await ready(page);
    await page.keyboard.press('s');
    await page.keyboard.press('s');
    expect(await steps(page)).toBe(2);
    await page.keyboard.press('r');
    await expect.poll(() => steps(page)).toBe(0);

    // Shift-click plants a second seed; the alpha view shows the empty grid black.
    const canvas = page.getByTestId('canvas');
    const one = await countForeground(canvas);
    const box = (await canvas.boundingBox())!;
    await page.keyboard.down('Shift');
    await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
    await page.keyboard.up('Shift');
    await expect.poll(async () => (await countForeground(canvas)).count).toBeGreaterThanOrEqual(2 * one.count);
    await page.getByTestId('view').selectOption('alpha');
    await expect.poll(async () => (await countForeground(canvas)).count / one.total).toBeGreaterThan(0.95);
    await page.getByTestId('view').selectOption('colour');
    await page.keyboard.press('r');

    await page.keyboard.press(' ');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=steps]')?.textContent) > 3);

    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForTimeout(300);
    const hidden = await steps(page);
    await page.waitForTimeout(700);
    expect(await steps(page)).toBe(hidden);
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=steps]')?.textContent) > n, hidden);
    await page.keyboard.press(' ');
    expect(await page.getByTestId('play').textContent()).toContain('Play');
    await page.close();
  });

  it('fits a 360 px wide screen, and runs on half floats with a status line saying so', async () => {
    const { page, errors } = await openPage(browser, `${base}?model=${models.primary.id}&half&speed=max`, { width: 360, height: 740 });
    await ready(page);
    expect(await page.getByTestId('precision').textContent()).toBe('float16');
    expect(await page.getByTestId('precision-note').textContent()).toContain('half-float');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(360);
    const box = (await page.getByTestId('canvas').boundingBox())!;
    expect(box.width).toBeGreaterThan(300);
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=steps]')?.textContent) >= 80, null, { timeout: 60_000 });
    const grown = await countForeground(page.getByTestId('canvas'));
    expect(grown.count / grown.total).toBeGreaterThan(0.03);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('records the canvas: Record, then Stop, downloads a WebM and a GIF named after the model that decode', async () => {
    const page = await browser.newPage({ viewport: { width: 900, height: 1000 }, acceptDownloads: true });
    await page.goto(`${base}?model=${models.primary.id}&autoplay=1&speed=max`);
    await ready(page);
    await page.getByTestId('record').click();
    await expect.poll(() => page.getByTestId('record').textContent()).toContain('Stop');
    await page.waitForTimeout(2500);
    const downloads: Array<{ name: string; path: string }> = [];
    page.on('download', (download) => {
      void download.path().then((path) => downloads.push({ name: download.suggestedFilename(), path }));
    });
    await page.getByTestId('record').click();
    await expect.poll(() => downloads.length, { timeout: 60_000 }).toBe(2);
    const byExtension = Object.fromEntries(downloads.map((d) => [d.name.split('.').pop(), d]));
    // Named after the model ("🦎 lizard", or the Distill import's "🦎 lizard (regenerating)").
    const stem = byExtension['gif']!.name.replace(/\.gif$/, '');
    expect(stem).toMatch(/^lizard(-regenerating)?$/);
    expect(downloads.map((d) => d.name).sort()).toEqual([`${stem}.gif`, `${stem}.webm`]);
    // The grid scaled by a whole number to about 320 pixels.
    const side = grid * Math.max(1, Math.round(320 / grid));
    const gif = await sharp(byExtension['gif']!.path, { animated: true }).metadata();
    expect([gif.format, gif.width, gif.pageHeight]).toEqual(['gif', side, side]);
    // 2.5 s at a frame every 80 ms.
    expect(gif.pages).toBeGreaterThanOrEqual(15);
    const webm = readWebm(await readFile(byExtension['webm']!.path));
    expect([webm.width, webm.height]).toEqual([side, side]);
    expect(webm.frames).toBeGreaterThanOrEqual(15);
    console.log(`recorded ${gif.pages} GIF frames and ${webm.frames} WebM frames (${webm.codec}) of ${side}x${side}`);
    await page.close();
  });
});
