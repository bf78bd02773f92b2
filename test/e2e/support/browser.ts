// Headless Chromium (Debian's package, never a download) with WebGL2 on SwiftShader.
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import type * as Nca from '../../../packages/viewer/src/harness/index.ts';

import { CHROMIUM, CHROMIUM_ARGS } from '../../../packages/viewer/scripts/chromium.ts';

export { CHROMIUM, CHROMIUM_ARGS };

declare global {
  interface Window {
    /** The viewer package's exports, on the blank test page (support/setup.ts). */
    nca: typeof Nca;
  }
}

/** The blank page with the viewer's modules loaded as window.nca. */
export async function openModulePage(browser: Browser, base: string): Promise<Page> {
  const { page } = await openPage(browser, `${base}e2e-fixtures/blank.html`);
  await page.waitForFunction(() => window.nca !== undefined, null, { timeout: 60_000 });
  return page;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A page that records uncaught errors, so a test can assert the page never broke. */
export async function openPage(browser: Browser, url: string, viewport = { width: 900, height: 1000 }): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(url);
  return { page, errors };
}

/**
 * Pixels of an element's screenshot that differ from `background` (RGB, 0..255) by more than
 * `tolerance` (sum of absolute channel differences). A 2-pixel frame is left out: a fractional
 * layout box lets a neighbour's border into the screenshot's edge.
 */
export async function countForeground(
  target: Locator,
  background: readonly [number, number, number] = [255, 255, 255],
  tolerance = 30,
): Promise<{ count: number; total: number }> {
  const png = await target.screenshot({ animations: 'disabled' });
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const frame = 2;
  let count = 0;
  for (let y = frame; y < info.height - frame; y++) {
    for (let x = frame; x < info.width - frame; x++) {
      const i = (y * info.width + x) * info.channels;
      const d = Math.abs(data[i]! - background[0]) + Math.abs(data[i + 1]! - background[1]) + Math.abs(data[i + 2]! - background[2]);
      count += d > tolerance ? 1 : 0;
    }
  }
  return { count, total: (info.width - 2 * frame) * (info.height - 2 * frame) };
}
