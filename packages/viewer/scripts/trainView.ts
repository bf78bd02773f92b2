// The Train view measured and pictured: an emoji trained on the page for `--iterations`, its
// iterations/s (iterations 1 to N over wall time, as the page shows them), and with
// `--screenshot-at I` the README's screenshot of the view at iteration I (docs/train-view.png).
//
//   tsx scripts/trainView.ts [--preset cpu] [--emoji 1f98e] [--iterations 200] [--threads N] [--screenshot-at I] [--out FILE]
//
// The CLI on the same settings: `pnpm train --emoji 🦎 --preset cpu --iterations 200 --workers 1`.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { startViewerServer, VIEWER_ROOT } from './server.ts';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'cpu' },
    emoji: { type: 'string', default: '1f98e' },
    iterations: { type: 'string', default: '200' },
    'screenshot-at': { type: 'string' },
    threads: { type: 'string' },
    out: { type: 'string', default: resolve(VIEWER_ROOT, '../../docs/train-view.png') },
  },
});

const server = await startViewerServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 760, height: 1000 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}?tab=train${values.threads === undefined ? '' : `&threads=${values.threads}`}`);
  await page.getByTestId(`emoji-${values.emoji}`).click();
  await page.getByTestId('target-size').waitFor({ timeout: 60_000 });
  await page.selectOption('[data-testid=preset]', values.preset);
  const total = Number(values.iterations);
  // By count, not by the preset's time budget: the Minutes field emptied.
  await page.fill('[data-testid=minutes]', '');
  await page.fill('[data-testid=iterations]', String(total));
  await page.click('[data-testid=start]');
  const reached = (n: number): Promise<unknown> =>
    page.waitForFunction((n) => Number(document.querySelector('[data-testid=train-status]')?.getAttribute('data-iteration')) >= n, n, {
      timeout: 3_600_000,
      polling: 100,
    });
  await reached(1);
  const began = performance.now();
  const shotAt = values['screenshot-at'] === undefined ? null : Number(values['screenshot-at']);
  if (shotAt !== null) {
    await reached(shotAt);
    await page.locator('main').screenshot({ path: values.out, animations: 'disabled' });
    console.error(`wrote ${values.out}`);
  }
  await reached(total);
  const seconds = (performance.now() - began) / 1000;
  const route = await page.getByTestId('route-line').textContent();
  console.log(
    JSON.stringify({
      preset: values.preset,
      emoji: values.emoji,
      route,
      iterations: total,
      seconds: Number(seconds.toFixed(1)),
      iterationsPerSecond: Number(((total - 1) / seconds).toFixed(3)),
    }),
  );
} finally {
  await browser.close();
  await server.close();
}
