// The built <nca-viewer> module in a plain HTML page: load and error events, methods, several
// independent widgets, and a page that keeps working when a widget fails.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { NcaViewerElement } from '../../packages/viewer/src/widget/element.ts';
import { countForeground, launchBrowser } from './support/browser.ts';

const base = inject('baseUrl');
const models = inject('models');
let browser: Browser;
let page: Page;
let errors: string[];
/** Every URL the page requested, in order. */
const requests: string[] = [];

interface WidgetEvent {
  id: string;
  type: 'load' | 'error';
  detail: { message?: string; code?: string; engine?: string; gridWidth?: number; src?: string };
}

declare global {
  interface Window {
    widgetEvents: WidgetEvent[];
  }
}

beforeAll(async () => {
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 800, height: 900 } });
  errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('request', (request) => requests.push(new URL(request.url()).pathname));
  await page.goto(`${base}e2e-fixtures/widget.html`);
  await page.waitForFunction(() => window.widgetEvents.length >= 6, null, { timeout: 90_000 });
});

afterAll(async () => {
  await browser?.close();
});

function stepCount(id: string): Promise<number> {
  return page.evaluate((id) => (document.getElementById(id) as NcaViewerElement).stepCount, id);
}

describe('<nca-viewer> widget', () => {
  it('fires load for good models and error, with the message, for a missing or corrupt src', async () => {
    const events = await page.evaluate(() => window.widgetEvents);
    const byId = Object.fromEntries(events.map((event) => [event.id, event]));
    expect(byId['good']).toMatchObject({ type: 'load', detail: { engine: 'fused', gridWidth: models.primary.gridWidth } });
    expect(byId['big']).toMatchObject({ type: 'load', detail: { gridWidth: 96 } });
    // The PyTorch notebook's model, converted by `nca convert --from torch`.
    expect(byId['notebook']).toMatchObject({ type: 'load', detail: { engine: 'fused', channels: 16, gridWidth: 64 } });
    expect(byId['missing']).toMatchObject({ type: 'error', detail: { message: 'nope.safetensors: HTTP 404 Not Found' } });
    expect(byId['corrupt']?.type).toBe('error');
    expect(byId['corrupt']?.detail.message).toMatch(/^corrupt\.safetensors: /);
    expect(byId['corrupt']?.detail.code).toBeTruthy();
    // The failed widgets say so inside themselves; the page is unharmed.
    expect(await page.locator('#corrupt').getByRole('alert').textContent()).toBe(byId['corrupt']?.detail.message);
    await page.click('#plain');
    expect(await page.getAttribute('#plain', 'data-clicks')).toBe('1');
    expect(errors).toEqual([]);
  });

  it('fetches every src once', async () => {
    for (const src of [
      models.primary.url,
      models.secondary.url,
      '/models/distill/nope.safetensors',
      '/e2e-fixtures/corrupt.safetensors',
      '/e2e-fixtures/huge.safetensors',
    ]) {
      expect(
        requests.filter((path) => path === src),
        src,
      ).toHaveLength(1);
    }
  });

  it('refuses a model far too large for a page with an error event, before touching the GPU; the others run on', async () => {
    const events = await page.evaluate(() => window.widgetEvents);
    const huge = events.find((event) => event.id === 'huge');
    expect(huge?.type).toBe('error');
    expect(huge?.detail.code).toBe('RESOURCE_LIMIT');
    expect(huge?.detail.message).toMatch(
      /^a 2048x2048 grid of 64 channels and 1024 hidden units needs about \d+ GiB \(.*\), over the 256 MiB a viewer may ask of the page's GPU; lower grid-size$/,
    );
    expect(await page.locator('#huge').getByRole('alert').textContent()).toBe(huge?.detail.message);
    const before = await stepCount('big');
    await page.waitForFunction((n) => (document.getElementById('big') as NcaViewerElement).stepCount > n + 5, before);
    expect(errors).toEqual([]);
  });

  it('runs several widgets independently: autoplay, play(), pause()', async () => {
    expect(await stepCount('good')).toBe(0);
    await page.waitForFunction(() => (document.getElementById('big') as NcaViewerElement).stepCount > 10);
    await page.evaluate(() => {
      (document.getElementById('big') as NcaViewerElement).pause();
      (document.getElementById('good') as NcaViewerElement).play();
    });
    const paused = await stepCount('big');
    await page.waitForFunction(() => (document.getElementById('good') as NcaViewerElement).stepCount > 30);
    expect(await stepCount('big')).toBe(paused);
  });

  it('grows, takes damage(x, y, r), and resets', async () => {
    const widget = page.locator('#good');
    await page.waitForFunction(() => (document.getElementById('good') as NcaViewerElement).stepCount >= 200, null, { timeout: 90_000 });
    await page.evaluate(() => (document.getElementById('good') as NcaViewerElement).pause());
    const grown = await countForeground(widget);
    expect(grown.count / grown.total).toBeGreaterThan(0.08);
    const { gridWidth: w, gridHeight: h } = models.primary;
    // A disc of a fifth of the grid (14 cells on 72) at the centre.
    await page.evaluate(
      ([x, y, r]) => (document.getElementById('good') as NcaViewerElement).damage(x!, y!, r!),
      [Math.floor(w / 2), Math.floor(h / 2), Math.round(w / 5)],
    );
    await expect.poll(async () => (await countForeground(widget)).count).toBeLessThan(grown.count * 0.7);
    await page.evaluate(() => (document.getElementById('good') as NcaViewerElement).reset());
    await expect.poll(async () => (await countForeground(widget)).count).toBeLessThan(grown.count * 0.05);
    expect(await stepCount('good')).toBe(0);
    expect(errors).toEqual([]);
  });
});
