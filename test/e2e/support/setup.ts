// Global setup of the browser tests: the test models (the Distill lizard and butterfly converted
// into a temp folder when ../shared is there, else the bundled lizard and butterfly), the widget
// bundle built from source, and one viewer dev server for every test file.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { DEFAULT_CONFIG, importNotebook, readStateDict, writeModel } from '@nca-studio/weights-format';
import { startViewerServer, VIEWER_ROOT } from '../../../packages/viewer/scripts/server.ts';
import { buildWidget } from '../../../packages/viewer/scripts/widget.ts';
import { DISTILL_FIXTURES, writeDistillModels } from './distill.ts';
import type { ConvertedModel } from './distill.ts';
import type { TestModel, TestModels } from './models.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The viewer dev server, ending with /. */
    baseUrl: string;
    models: TestModels;
  }
}

/** A plain HTML page with six widgets (two good, a PyTorch notebook's model converted; a missing, a corrupt and a far too large src) and a button. */
const widgetPage = (models: TestModels): string => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>widgets</title></head>
<body style="margin: 8px; background: white">
  <button id="plain" onclick="this.dataset.clicks = Number(this.dataset.clicks || 0) + 1">plain button</button>
  <div>
    <nca-viewer id="good" src="${models.primary.url}" start="seed" interactive steps-per-frame="max" background="transparent" brush-radius="10"></nca-viewer>
    <nca-viewer id="big" src="${models.secondary.url}" grid-size="96" autoplay steps-per-frame="2"></nca-viewer>
  </div>
  <nca-viewer id="missing" src="/models/distill/nope.safetensors" autoplay></nca-viewer>
  <nca-viewer id="corrupt" src="/e2e-fixtures/corrupt.safetensors" autoplay></nca-viewer>
  <nca-viewer id="huge" src="/e2e-fixtures/huge.safetensors" autoplay></nca-viewer>
  <nca-viewer id="notebook" src="/e2e-fixtures/notebook.safetensors" autoplay></nca-viewer>
  <script>
    window.widgetEvents = [];
    for (const element of document.querySelectorAll('nca-viewer')) {
      for (const type of ['load', 'error']) {
        element.addEventListener(type, (event) => window.widgetEvents.push({ id: element.id, type, detail: event.detail }));
      }
    }
  </script>
  <script type="module" src="/e2e-widget/nca-viewer.js"></script>
</body>
</html>
`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'nca-e2e-'));
  const models = join(dir, 'models');
  const fixtures = join(dir, 'fixtures');
  const mounts: Record<string, string> = {};
  let testModels: TestModels;
  const entry = (base: string, m: ConvertedModel): TestModel => ({ id: m.id, url: `${base}${m.file}`, gridWidth: m.gridWidth, gridHeight: m.gridHeight });
  if (existsSync(DISTILL_FIXTURES)) {
    const [lizard, butterfly] = await writeDistillModels(models);
    testModels = { source: 'Distill', primary: entry('/models/distill/', lizard!), secondary: entry('/models/distill/', butterfly!) };
    mounts['/models/distill/'] = models;
  } else {
    // The viewer's own bundled models, served from its public/ folder.
    const manifest = JSON.parse(await readFile(join(VIEWER_ROOT, 'public/models/index.json'), 'utf8')) as { models: ConvertedModel[] };
    const bundled = (id: string): TestModel =>
      entry(
        '/models/',
        manifest.models.find((model) => model.id === id)!,
      );
    testModels = { source: 'bundled', primary: bundled('lizard'), secondary: bundled('butterfly') };
  }
  console.log(`browser tests: on the ${testModels.source} models ${testModels.primary.id} and ${testModels.secondary.id}`);
  await mkdir(fixtures, { recursive: true });
  // Random bytes with a plausible length: not a safetensors file.
  await writeFile(join(fixtures, 'corrupt.safetensors'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
  // A 1 MB model that passes every format check and asks for a 2048x2048 grid of 64 channels
  // and 1024 hidden units: gigabytes of GPU memory.
  const huge = { ...DEFAULT_CONFIG, channels: 64, hidden: 1024, gridWidth: 2048, gridHeight: 2048 };
  const zeros = (n: number): Float32Array => new Float32Array(n);
  await writeFile(
    join(fixtures, 'huge.safetensors'),
    writeModel({
      config: huge,
      params: { dense1Weight: zeros(3 * 64 * 1024), dense1Bias: zeros(1024), dense2Weight: zeros(1024 * 64), dense2Bias: zeros(64) },
    }),
  );
  // A same-origin page with nothing on it but the viewer's modules, as window.nca.
  await writeFile(
    join(fixtures, 'blank.html'),
    '<!doctype html><meta charset="utf-8"><title>blank</title><body>' +
      '<script type="module">import * as nca from "/src/harness/index.ts"; window.nca = nca;</script></body>',
  );
  await writeFile(join(fixtures, 'widget.html'), widgetPage(testModels));
  // The PyTorch notebook's model (a torch.save file made by PyTorch), converted as
  // `nca convert --from torch` does.
  const torch = resolve(import.meta.dirname, '../../../packages/weights-format/fixtures/torch');
  const notebook = importNotebook(readStateDict(await readFile(join(torch, 'notebook.pt'))));
  await writeFile(join(fixtures, 'notebook.safetensors'), writeModel(notebook));
  await buildWidget(join(dir, 'widget'));
  const server = await startViewerServer({
    ...mounts,
    '/e2e-fixtures/': fixtures,
    '/e2e-widget/': join(dir, 'widget'),
  });
  project.provide('baseUrl', server.url);
  project.provide('models', testModels);
  return async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  };
}
