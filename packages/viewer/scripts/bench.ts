// `pnpm bench:viewer`: steps/s of the fused WebGL step and of core's op-by-op step at 96x96 and
// 256x256, in headless Chromium (Debian's /usr/bin/chromium, WebGL2 on SwiftShader unless the
// machine has a GPU Chromium uses). A benchmark, not a test.
//
//   tsx scripts/bench.ts [--sizes 96,256] [--engines fused,core] [--skip-naive] [--seconds 3] [--model FILE] [--json]
//
// Scenarios: "every cell alive" (the worst case, a synthetic model of the default shape whose
// weights are all non-zero), and "grown pattern" (a real model grown from its seed for 150
// steps: what the viewer shows), where a model is found (--model, else the first entry of
// public/models/index.json or public/models/distill/index.json). Each row also times the naive
// op-by-op tfjs step the issue's reference figures came from, as a same-run baseline.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type * as Nca from '../src/harness/index.ts';
import type { BenchmarkRow, Scenario } from '../src/harness/index.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { startViewerServer, VIEWER_ROOT } from './server.ts';

declare global {
  interface Window {
    nca: typeof Nca;
  }
}

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '96,256' },
    engines: { type: 'string', default: 'fused,core' },
    seconds: { type: 'string', default: '3' },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
    'skip-naive': { type: 'boolean', default: false },
    chromium: { type: 'string', default: CHROMIUM },
  },
});

const sizes = values.sizes.split(',').map(Number);
const engines = values.engines.split(',') as ('fused' | 'core')[];
const seconds = Number(values.seconds);

/** The model of the "grown pattern" rows: --model, else the first listed in a manifest. */
function findModel(): string | null {
  if (values.model !== undefined) {
    return resolve(values.model);
  }
  for (const manifest of ['public/models/index.json', 'public/models/distill/index.json']) {
    const path = join(VIEWER_ROOT, manifest);
    if (existsSync(path)) {
      const first = (JSON.parse(readFileSync(path, 'utf8')) as { models?: { file?: string }[] }).models?.[0]?.file;
      if (first !== undefined && existsSync(join(dirname(path), first))) {
        return join(dirname(path), first);
      }
    }
  }
  return null;
}

const LABELS: Record<Scenario, string> = { full: 'every cell alive', grown: 'grown pattern' };

async function main(): Promise<void> {
  const modelFile = findModel();
  const dir = await mkdtemp(join(tmpdir(), 'nca-bench-'));
  await writeFile(
    join(dir, 'bench.html'),
    '<!doctype html><meta charset="utf-8"><title>bench</title><script type="module">import * as nca from "/src/harness/index.ts"; window.nca = nca;</script>',
  );
  const mounts: Record<string, string> = { '/bench/': dir };
  if (modelFile !== null) {
    mounts['/bench-model/'] = dirname(modelFile);
  }
  const server = await startViewerServer(mounts);
  const browser = await chromium.launch({ executablePath: values.chromium, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}bench/bench.html`);
    await page.waitForFunction(() => window.nca !== undefined, null, { timeout: 120_000 });
    const environment = await page.evaluate(async () => {
      const gpu = await window.nca.getGpu();
      const debug = gpu.gl.getExtension('WEBGL_debug_renderer_info');
      return {
        renderer: String(debug === null ? gpu.gl.getParameter(gpu.gl.RENDERER) : gpu.gl.getParameter(debug.UNMASKED_RENDERER_WEBGL)),
        precision: gpu.precision,
        cores: navigator.hardwareConcurrency,
        userAgent: navigator.userAgent,
      };
    });
    const log = (line: string): void => {
      if (!values.json) {
        console.log(line);
      }
    };
    log(`NCA viewer benchmark: ${environment.userAgent.match(/(Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, ${environment.cores} cores`);
    log(`WebGL: ${environment.renderer}, ${environment.precision} state`);
    log(`grown pattern model: ${modelFile === null ? 'none found (pass --model FILE)' : modelFile}\n`);

    const rows: BenchmarkRow[] = [];
    const naive: { size: number; scenario: Scenario; stepsPerSecond: number }[] = [];
    const scenarios: Scenario[] = modelFile === null ? ['full'] : ['full', 'grown'];
    for (const size of sizes) {
      for (const scenario of scenarios) {
        if (!values['skip-naive']) {
          const run = await page.evaluate(
            async ({ size, scenario, url }) => {
              const model = url === null ? window.nca.syntheticModel() : await window.nca.fetchModel(url);
              const state = scenario === 'full' ? window.nca.fullState(size, size, model.config.channels) : await window.nca.grownState(model, size, 150);
              return window.nca.benchmarkNaive(model, size, state, 0);
            },
            { size, scenario, url: scenario === 'grown' && modelFile !== null ? `/bench-model/${basename(modelFile)}` : null },
          );
          naive.push({ size, scenario, stepsPerSecond: run.stepsPerSecond });
          log(
            `${`${size}x${size}`.padEnd(9)} ${LABELS[scenario].padEnd(17)} ${'naive'.padEnd(6)} ` +
              `${run.stepsPerSecond.toFixed(2).padStart(8)} steps/s  ${run.msPerStep.toFixed(1).padStart(8)} ms/step  (${run.steps} steps; naive op-by-op tfjs reference)`,
          );
        }
        for (const engine of engines) {
          const row = await page.evaluate(
            async ({ test, url }) => {
              const model = url === null ? window.nca.syntheticModel() : await window.nca.fetchModel(url);
              return window.nca.benchmarkCase(test, model);
            },
            {
              test: { engine, size, scenario, seconds: engine === 'core' ? Math.min(seconds, 2) : seconds, minSteps: engine === 'core' ? 2 : 10 },
              url: scenario === 'grown' && modelFile !== null ? `/bench-model/${basename(modelFile)}` : null,
            },
          );
          rows.push(row);
          const passes = row.passes.map((pass) => `${pass.name} ${(pass.share * 100).toFixed(0)}%`).join(', ');
          log(
            `${`${size}x${size}`.padEnd(9)} ${LABELS[scenario].padEnd(17)} ${row.engine.padEnd(6)} ` +
              `${row.stepsPerSecond.toFixed(2).padStart(8)} steps/s  ${row.msPerStep.toFixed(1).padStart(8)} ms/step  ` +
              `(${row.steps} steps, ${row.matureCells} mature cells; ${passes})`,
          );
        }
      }
    }
    if (values.json) {
      console.log(JSON.stringify({ environment, model: modelFile, rows, naive }, null, 2));
      return;
    }
    log('\nRatios, same run (fused / core, fused / naive):');
    for (const size of sizes) {
      for (const scenario of scenarios) {
        const fused = rows.find((r) => r.width === size && r.scenario === scenario && r.engine === 'fused');
        const core = rows.find((r) => r.width === size && r.scenario === scenario && r.engine === 'core');
        const reference = naive.find((r) => r.size === size && r.scenario === scenario);
        if (fused !== undefined) {
          const ratios = [
            core === undefined ? '' : `${(fused.stepsPerSecond / core.stepsPerSecond).toFixed(1)}x core`,
            reference === undefined ? '' : `${(fused.stepsPerSecond / reference.stepsPerSecond).toFixed(1)}x naive`,
          ];
          log(`  ${`${size}x${size}`.padEnd(9)} ${LABELS[scenario].padEnd(17)} ${ratios.filter(Boolean).join(', ')}`);
        }
      }
    }
    log('\nReference points measured before in this headless Chromium (SwiftShader, 2 cores): the Distill demo ran about 4.5-7 steps/s');
    log('at 96x96 and about 1 at 256x256; the naive op-by-op step about 8-9 and 0.8 (the "naive" rows above re-measure it in this run).');
  } finally {
    await browser.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
