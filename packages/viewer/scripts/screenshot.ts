// Takes the README's screenshot of the app (docs/viewer.png at the repo root): a model grown,
// bitten by a drag of the brush, and regrowing.
//
//   tsx scripts/screenshot.ts [--models DIR] [--out FILE]
//
// --models serves DIR as models/distill/ (a folder with index.json and .safetensors files, as
// the Distill converter writes); without it the app's own public/models are used.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { startViewerServer, VIEWER_ROOT } from './server.ts';

const { values } = parseArgs({
  options: {
    models: { type: 'string' },
    out: { type: 'string', default: resolve(VIEWER_ROOT, '../../docs/viewer.png') },
    chromium: { type: 'string', default: process.env['NCA_CHROMIUM'] ?? '/usr/bin/chromium' },
  },
});

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const server = await startViewerServer(values.models === undefined ? {} : { '/models/distill/': resolve(values.models) });
const browser = await chromium.launch({ executablePath: values.chromium, args: ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 760, height: 1040 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}?speed=max`);
  await page.getByTestId('engine').waitFor({ timeout: 60_000 });
  const stepsAtLeast = (n: number) =>
    page.waitForFunction((n) => Number(document.querySelector('[data-testid=steps]')?.textContent) >= n, n, { timeout: 120_000 });
  await stepsAtLeast(260);
  const box = (await page.getByTestId('canvas').boundingBox())!;
  // Across the body, a little way into the regrowth.
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.38);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.42, box.y + box.height * 0.62, { steps: 10 });
  await page.mouse.up();
  await stepsAtLeast(285);
  await page.locator('main').screenshot({ path: values.out, animations: 'disabled' });
  console.log(`wrote ${values.out}`);
} finally {
  await browser.close();
  await server.close();
}
