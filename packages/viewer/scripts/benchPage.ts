// `pnpm bench:page`: a long page of 30 autoplaying <nca-viewer> widgets (the bundled lizard),
// loaded eagerly and then with loading="lazy", in headless Chromium (Debian's, WebGL2 on
// SwiftShader unless the machine has a GPU Chromium uses). For each: the main thread's busy time
// over the first seconds (Chrome DevTools Protocol's Performance metrics: TaskDuration, and the
// script share), the models fetched, the widgets running, and the GPU memory the live viewers
// hold (the page budget's estimate, NcaViewerElement.gpuBytes). A benchmark, not a test.
//
//   tsx scripts/benchPage.ts [--widgets 30] [--seconds 8] [--json]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { startViewerServer } from './server.ts';
import { buildWidget } from './widget.ts';

const { values } = parseArgs({
  options: {
    widgets: { type: 'string', default: '30' },
    seconds: { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
  },
});
const widgets = Number(values.widgets);
const seconds = Number(values.seconds);

const page = (loading: 'eager' | 'lazy'): string => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${widgets} widgets</title></head>
<body style="margin: 0; background: white">
${Array.from({ length: widgets }, (_, i) => `<p style="height: 300px">Section ${i + 1}</p><nca-viewer src="/models/lizard.safetensors?w=${i}" autoplay loading="${loading}" style="width: 240px"></nca-viewer>`).join('\n')}
<script type="module" src="/bench-widget/nca-viewer.js"></script></body></html>`;

interface Figures {
  loading: string;
  mainThreadMs: number;
  scriptMs: number;
  fetched: number;
  running: number;
  gpuMiB: number;
}

const dir = await mkdtemp(join(tmpdir(), 'nca-bench-page-'));
await buildWidget(join(dir, 'widget'));
const server = await startViewerServer({ '/bench-widget/': join(dir, 'widget') });
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const rows: Figures[] = [];
try {
  for (const loading of ['eager', 'lazy'] as const) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const tab = await context.newPage();
    const url = `${server.url}bench-page-${loading}.html`;
    await tab.route(url, (route) => route.fulfill({ contentType: 'text/html', body: page(loading) }));
    const fetched = new Set<string>();
    tab.on('request', (request) => {
      if (request.url().includes('lizard.safetensors')) {
        fetched.add(request.url());
      }
    });
    const cdp = await context.newCDPSession(tab);
    await cdp.send('Performance.enable');
    const metric = async (name: string): Promise<number> =>
      ((await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> }).metrics.find((m) => m.name === name)?.value ?? 0;
    const [task0, script0] = [await metric('TaskDuration'), await metric('ScriptDuration')];
    await tab.goto(url);
    await tab.waitForTimeout(seconds * 1000);
    const [task1, script1] = [await metric('TaskDuration'), await metric('ScriptDuration')];
    // Running: stepping now (an eager widget off screen plays but is suspended; a lazy one far away is parked).
    const live = await tab.evaluate(async () => {
      const all = [...document.querySelectorAll('nca-viewer')] as Array<HTMLElement & { stepCount: number }>;
      const before = all.map((w) => w.stepCount);
      await new Promise((done) => setTimeout(done, 1000));
      return {
        running: all.filter((w, i) => w.stepCount > before[i]!).length,
        gpuBytes: (customElements.get('nca-viewer') as unknown as { gpuBytes: number }).gpuBytes,
      };
    });
    rows.push({
      loading,
      mainThreadMs: Math.round((task1 - task0) * 1000),
      scriptMs: Math.round((script1 - script0) * 1000),
      fetched: fetched.size,
      running: live.running,
      gpuMiB: live.gpuBytes / 2 ** 20,
    });
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify(rows));
} else {
  console.log(`${widgets} autoplaying widgets on a 1280x800 page, the first ${seconds} s after navigation (headless Chromium, SwiftShader):`);
  console.log('| loading | main thread busy | of it, script | models fetched | widgets stepping | GPU memory held |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(`| ${r.loading} | ${r.mainThreadMs} ms | ${r.scriptMs} ms | ${r.fetched} | ${r.running} | ${r.gpuMiB.toFixed(1)} MiB |`);
  }
}
