// <nca-viewer> as a page expects an element for moving pictures to behave: a grown first frame,
// a poster, lazy loading that gives GPU memory back far away, reduced motion, a role and a name,
// the grown / damaged / regrown events, and a size from CSS. On the bundled lizard, which ships
// as an 8-bit file with its target (test/bundled.test.ts checks the form).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { alphaIou, trainingStepRange } from '@nca-studio/core';
import { readModel } from '@nca-studio/weights-format';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { NcaViewerElement } from '../../packages/viewer/src/widget/element.ts';
import { countForeground, launchBrowser } from './support/browser.ts';

const base = inject('baseUrl');
const LIZARD = '/models/lizard.safetensors';
const lizard = readModel(await readFile(resolve(import.meta.dirname, '../../packages/viewer/public/models/lizard.safetensors')));
let browser: Browser;
const contexts: BrowserContext[] = [];

interface Seen {
  id: string;
  type: string;
  detail: Record<string, unknown>;
}

declare global {
  interface Window {
    seen: Seen[];
    requested: string[];
  }
}

/** A page of `body` with the built widget, every widget event recorded in window.seen. */
async function open(body: string, options: { reducedMotion?: 'reduce' | 'no-preference'; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const context = await browser.newContext({
    reducedMotion: options.reducedMotion ?? 'no-preference',
    viewport: options.viewport ?? { width: 800, height: 600 },
  });
  contexts.push(context);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const url = `${base}e2e-fixtures/element-${contexts.length}.html`;
  await page.route(url, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>element</title></head>
<body style="margin: 0; background: white">${body}
<script>
  window.seen = [];
  for (const element of document.querySelectorAll('nca-viewer')) {
    for (const type of ['load', 'error', 'grown', 'damaged', 'regrown']) {
      element.addEventListener(type, (event) => window.seen.push({ id: element.id, type, detail: event.detail }));
    }
  }
</script>
<script type="module" src="/e2e-widget/nca-viewer.js"></script></body></html>`,
    }),
  );
  await page.goto(url);
  afterChecks.push(() => expect(errors).toEqual([]));
  return page;
}
const afterChecks: Array<() => void> = [];

function seen(page: Page, id?: string): Promise<Seen[]> {
  return page.evaluate((id) => window.seen.filter((event) => id === undefined || event.id === id), id);
}

async function waitFor(page: Page, id: string, type: string, count = 1): Promise<Seen[]> {
  await page.waitForFunction(([id, type, count]) => window.seen.filter((e) => e.id === id && e.type === type).length >= Number(count), [id, type, count], {
    timeout: 90_000,
  });
  return seen(page, id);
}

/** IoU of the widget's state now against the model's stored target, as nca eval measures growth. */
async function iouNow(page: Page, id: string): Promise<number> {
  const state = await page.evaluate(async (id) => Array.from(await (document.getElementById(id) as NcaViewerElement).viewer!.readState()), id);
  return alphaIou(state, lizard.target!.data, 1, lizard.config.channels);
}

function stepCount(page: Page, id: string): Promise<number> {
  return page.evaluate((id) => (document.getElementById(id) as NcaViewerElement).stepCount, id);
}

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  afterChecks.forEach((check) => check());
  await browser?.close();
});

describe('<nca-viewer> as an element', () => {
  it('start="grown" (the default) shows the grown pattern in its first frame; start="seed" a dot', async () => {
    const page = await open(`<nca-viewer id="grown" src="${LIZARD}"></nca-viewer><nca-viewer id="seed" src="${LIZARD}" start="seed"></nca-viewer>`);
    const events = [...(await waitFor(page, 'grown', 'load')), ...(await waitFor(page, 'seed', 'load'))];
    const steps = trainingStepRange(lizard).max;
    expect(events.find((e) => e.id === 'grown' && e.type === 'load')?.detail).toMatchObject({ startSteps: steps });
    expect(events.find((e) => e.id === 'seed' && e.type === 'load')?.detail).toMatchObject({ startSteps: 0 });
    // Neither plays (no autoplay): what is on screen is the first frame.
    expect(await stepCount(page, 'grown')).toBe(steps);
    const grownIou = await iouNow(page, 'grown');
    console.log(`start="grown": IoU ${grownIou.toFixed(3)} with the lizard's target at the first frame (${steps} steps run before it)`);
    expect(grownIou).toBeGreaterThanOrEqual(0.85);
    expect(await iouNow(page, 'seed')).toBeLessThan(0.05);
    const grown = await countForeground(page.locator('#grown'));
    const seed = await countForeground(page.locator('#seed'));
    expect(grown.count / grown.total).toBeGreaterThan(0.1);
    expect(seed.count).toBeLessThan(grown.count * 0.05);
  });

  it('fires load, grown, damaged and regrown in order, with their details', async () => {
    const page = await open(`<nca-viewer id="w" src="${LIZARD}" start="seed" autoplay steps-per-frame="max"></nca-viewer>`);
    await waitFor(page, 'w', 'grown');
    const { gridWidth: w, gridHeight: h } = lizard.config;
    await page.evaluate(([x, y, r]) => (document.getElementById('w') as NcaViewerElement).damage(x!, y!, r!), [Math.floor(w / 2), Math.floor(h / 2), 10]);
    const events = await waitFor(page, 'w', 'regrown');
    expect(events.map((e) => e.type)).toEqual(['load', 'grown', 'damaged', 'regrown']);
    const [, grown, damaged, regrown] = events;
    expect(grown!.detail['iou']).toBeGreaterThanOrEqual(0.8);
    expect(damaged!.detail).toMatchObject({ x: Math.floor(w / 2), y: Math.floor(h / 2), radius: 10 });
    expect(Number(regrown!.detail['iou'])).toBeGreaterThanOrEqual(Number(grown!.detail['iou']) - 0.02);
    expect(regrown!.detail['stepsSinceCut']).toBeGreaterThan(0);
    console.log(
      `events: grown at step ${grown!.detail['steps']} (IoU ${Number(grown!.detail['iou']).toFixed(3)}), regrown ${regrown!.detail['stepsSinceCut']} steps after the cut`,
    );
  });

  it('loading="lazy": no request until scrolled near; far away it gives its GPU memory back and comes back with its state', async () => {
    const page = await open(
      `<nca-viewer id="top" src="${LIZARD}"></nca-viewer>
       <div style="height: 4000px"></div>
       <nca-viewer id="lazy" src="${LIZARD}?lazy" loading="lazy" poster="/favicon.svg"></nca-viewer>
       <div style="height: 4000px"></div>`,
    );
    const requests: string[] = [];
    page.on('request', (request) => requests.push(new URL(request.url()).pathname + new URL(request.url()).search));
    await waitFor(page, 'top', 'load');
    await page.waitForTimeout(500);
    expect(requests.filter((r) => r.includes('?lazy'))).toEqual([]);
    expect(await page.evaluate(() => (document.getElementById('lazy') as NcaViewerElement).viewer)).toBeNull();
    const oneViewer = await page
      .evaluate(() => customElements.get('nca-viewer') as unknown as { gpuBytes: number })
      .then(() => page.evaluate(() => (customElements.get('nca-viewer') as unknown as { gpuBytes: number }).gpuBytes));
    expect(oneViewer).toBeGreaterThan(0);
    // The poster shows while the lazy widget has no frame.
    expect(await page.locator('#lazy').locator('img.poster').isVisible()).toBe(true);
    await page.locator('#lazy').scrollIntoViewIfNeeded();
    await waitFor(page, 'lazy', 'load');
    expect(requests.filter((r) => r.includes('?lazy'))).toHaveLength(1);
    expect(await page.locator('#lazy').locator('img.poster').isVisible()).toBe(false);
    const gpuBytes = (): Promise<number> => page.evaluate(() => (customElements.get('nca-viewer') as unknown as { gpuBytes: number }).gpuBytes);
    expect(await gpuBytes()).toBe(2 * oneViewer);
    // An eager widget keeps its memory far away (it only stops stepping); the lazy one parks, keeping its steps and state.
    await page.waitForTimeout(500);
    expect(await gpuBytes()).toBe(2 * oneViewer);
    await page.evaluate(() => (document.getElementById('lazy') as NcaViewerElement).damage(28, 28, 6));
    const before = await page.evaluate(async () => {
      const element = document.getElementById('lazy') as NcaViewerElement;
      return { steps: element.stepCount, state: Array.from(await element.viewer!.readState()) };
    });
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect.poll(gpuBytes, { timeout: 20_000 }).toBe(oneViewer);
    expect(await page.evaluate(() => (document.getElementById('lazy') as NcaViewerElement).viewer)).toBeNull();
    expect(await stepCount(page, 'lazy')).toBe(before.steps);
    await page.locator('#lazy').scrollIntoViewIfNeeded();
    await expect.poll(() => page.evaluate(() => (document.getElementById('lazy') as NcaViewerElement).viewer !== null), { timeout: 20_000 }).toBe(true);
    const after = await page.evaluate(async () => {
      const element = document.getElementById('lazy') as NcaViewerElement;
      return { steps: element.stepCount, state: Array.from(await element.viewer!.readState()) };
    });
    expect(after.steps).toBe(before.steps);
    const worst = Math.max(...after.state.map((v, i) => Math.abs(v - before.state[i]!)));
    expect(worst).toBeLessThanOrEqual(1e-3);
    // Fetched once: the model is kept while parked.
    expect(requests.filter((r) => r.includes('?lazy'))).toHaveLength(1);
  });

  it('under prefers-reduced-motion an autoplay widget holds its grown pattern still until clicked; autoplay="always" plays', async () => {
    const page = await open(
      `<nca-viewer id="still" src="${LIZARD}" autoplay start="seed"></nca-viewer><nca-viewer id="always" src="${LIZARD}" autoplay="always"></nca-viewer>`,
      { reducedMotion: 'reduce' },
    );
    await waitFor(page, 'still', 'load');
    await waitFor(page, 'always', 'load');
    const start = await stepCount(page, 'still');
    // Grown even though start="seed": a still widget shows the picture, not a dot.
    expect(await iouNow(page, 'still')).toBeGreaterThanOrEqual(0.85);
    const always = await stepCount(page, 'always');
    await page.waitForTimeout(1500);
    expect(await stepCount(page, 'still')).toBe(start);
    expect(await page.evaluate(() => (document.getElementById('still') as NcaViewerElement).playing)).toBe(false);
    expect(await stepCount(page, 'always')).toBeGreaterThan(always);
    await page.click('#still');
    await expect.poll(() => stepCount(page, 'still')).toBeGreaterThan(start);
  });

  it('is an image named by alt (default: its target), focusable when interactive, and announces its error', async () => {
    const page = await open(
      `<nca-viewer id="named" src="${LIZARD}" alt="A lizard that regrows its tail"></nca-viewer>
       <nca-viewer id="default" src="${LIZARD}" interactive></nca-viewer>
       <nca-viewer id="broken" src="/models/nope.safetensors"></nca-viewer>`,
    );
    await waitFor(page, 'named', 'load');
    await waitFor(page, 'default', 'load');
    await waitFor(page, 'broken', 'error');
    // Chromium's own accessibility tree (the role and name come from ElementInternals, which playwright's role engine does not read).
    const cdp = await page.context().newCDPSession(page);
    const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
      nodes: Array<{ role?: { value: string }; name?: { value: string }; ignored: boolean }>;
    };
    const named = (role: string): string[] => nodes.filter((n) => !n.ignored && n.role?.value === role).map((n) => n.name?.value ?? '');
    expect(named('image')).toContain('A lizard that regrows its tail');
    expect(named('image')).toContain(`${lizard.target!.name}, a neural cellular automaton`);
    expect(named('alert')).toHaveLength(1);
    expect(named('StaticText').join(' ')).toMatch(/nope\.safetensors: HTTP 404/);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('default');
    const outline = await page.evaluate(() => getComputedStyle(document.getElementById('default')!).outlineStyle);
    expect(outline).toBe('solid');
    // The keys work on the focused element: Space plays.
    await page.keyboard.press('Space');
    await expect.poll(() => page.evaluate(() => (document.getElementById('default') as NcaViewerElement).playing)).toBe(true);
  });

  it('sizes itself from CSS with the grid aspect ratio, never wider than its container; render="smooth" upscales smoothly', async () => {
    const page = await open(
      `<div style="width: 150px"><nca-viewer id="narrow" src="${LIZARD}"></nca-viewer></div>
       <nca-viewer id="wide" src="${LIZARD}" grid-size="112x56" render="smooth" style="width: 400px"></nca-viewer>`,
    );
    await waitFor(page, 'narrow', 'load');
    await waitFor(page, 'wide', 'load');
    const box = async (id: string): Promise<{ width: number; height: number }> => (await page.locator(`#${id}`).boundingBox())!;
    expect(await box('narrow')).toMatchObject({ width: 150, height: 150 });
    expect(await box('wide')).toMatchObject({ width: 400, height: 200 });
    const rendering = (id: string): Promise<string> =>
      page.evaluate((id) => getComputedStyle(document.getElementById(id)!.shadowRoot!.querySelector('canvas')!).imageRendering, id);
    expect(await rendering('narrow')).toBe('pixelated');
    expect(await rendering('wide')).toBe('auto');
  });
});

describe('<nca-viewer cell-size> as a living page background (a texture model, docs/design.md §3.6)', () => {
  const WEAVE = '/models/textures/weave.safetensors';

  /** Mean and standard deviation of the shown colour (x / 2 + 0.5) inside, and outside, a disc of the widget's grid. */
  function colours(page: Page, disc: { x: number; y: number; radius: number }): Promise<{ inside: number[]; outside: number[] }> {
    return page.evaluate(async (disc) => {
      const element = document.getElementById('bg') as NcaViewerElement;
      const viewer = element.viewer!;
      const state = await viewer.readState();
      const { width, height, channels } = viewer.info;
      const sums = { inside: [0, 0, 0], outside: [0, 0, 0] };
      const counts = { inside: 0, outside: 0 };
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          // The brush's rule (damageDisc): cells whose offset from the centre is under the radius.
          const where = (x - disc.x) ** 2 + (y - disc.y) ** 2 < disc.radius ** 2 ? 'inside' : 'outside';
          const i = (y * width + x) * channels;
          const v =
            Math.min(1, Math.max(0, state[i]! / 2 + 0.5)) +
            Math.min(1, Math.max(0, state[i + 1]! / 2 + 0.5)) +
            Math.min(1, Math.max(0, state[i + 2]! / 2 + 0.5));
          sums[where][0]! += v / 3;
          sums[where][1]! += (v / 3) ** 2;
          counts[where]++;
        }
      }
      const stats = (where: 'inside' | 'outside'): number[] => {
        const mean = sums[where][0]! / counts[where];
        return [mean, Math.sqrt(Math.max(0, sums[where][1]! / counts[where] - mean * mean))];
      };
      return { inside: stats('inside'), outside: stats('outside') };
    }, disc);
  }

  it('fills a 1280x800 page at 8 px a cell, weaves the texture, and heals a scratch', async () => {
    const page = await open(
      `<p style="font: 24px serif; padding: 2em">Text over a living background.</p>
       <nca-viewer id="bg" src="${WEAVE}" cell-size="8" autoplay interactive steps-per-frame="4" style="position: fixed; inset: 0; z-index: -1"></nca-viewer>`,
      { viewport: { width: 1280, height: 800 } },
    );
    const [load] = await waitFor(page, 'bg', 'load');
    expect(load!.detail).toMatchObject({ gridWidth: 1280 / 8, gridHeight: 800 / 8 });
    const box = await page.locator('#bg').boundingBox();
    expect([box?.x, box?.y, box?.width, box?.height]).toEqual([0, 0, 1280, 800]);
    // It plays, and what it weaves is a texture, not a flat colour.
    await page.waitForFunction(() => (document.getElementById('bg') as NcaViewerElement).stepCount > 200, undefined, { timeout: 120_000 });
    const disc = { x: 80, y: 50, radius: 20 };
    const before = await colours(page, disc);
    expect(before.outside[1]).toBeGreaterThan(0.05);
    // A scratch: the disc is erased (a texture's zeros show as mid-grey, flat) ...
    await page.evaluate((d) => {
      const element = document.getElementById('bg') as NcaViewerElement;
      element.pause();
      element.damage(d.x, d.y, d.radius);
    }, disc);
    const cut = await colours(page, disc);
    await page.evaluate(() => (document.getElementById('bg') as NcaViewerElement).play());
    expect(cut.inside[1]).toBeLessThan(0.01);
    // ... and heals: 300 steps later inside looks like outside again.
    const at = await stepCount(page, 'bg');
    await page.waitForFunction((at) => (document.getElementById('bg') as NcaViewerElement).stepCount > at + 300, at, { timeout: 120_000 });
    const healed = await colours(page, disc);
    console.log(
      `background: ${load!.detail['gridWidth']}x${load!.detail['gridHeight']} cells; colour mean/std outside ${healed.outside.map((v) => v.toFixed(3)).join('/')}, ` +
        `inside the cut ${cut.inside.map((v) => v.toFixed(3)).join('/')} when cut, ${healed.inside.map((v) => v.toFixed(3)).join('/')} 300 steps later`,
    );
    expect(Math.abs(healed.inside[0]! - healed.outside[0]!)).toBeLessThan(0.08);
    expect(healed.inside[1]).toBeGreaterThan(0.6 * healed.outside[1]!);
  }, 300_000);
});
