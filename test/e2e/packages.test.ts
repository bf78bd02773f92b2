// The four packages as people install them: packed with pnpm (workspace versions resolved,
// publishConfig applied), installed with npm into an empty project, then used there: `npx nca`
// on a bundled model, and <nca-viewer> loaded from that project's node_modules into plain pages,
// by a <script type="module"> and through a bundler.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import sharp from 'sharp';
import { parameterCount, readModel } from '@nca-studio/weights-format';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NcaViewerElement } from '../../packages/viewer/src/widget/element.ts';
import { countForeground, launchBrowser, openPage } from './support/browser.ts';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');
const PACKAGES = ['weights-format', 'core', 'trainer', 'viewer'] as const;
const LIZARD = join(REPO, 'packages/viewer/public/models/lizard.safetensors');

let dir: string;
let project: string;
let tarballs: string[];
let server: Server;
let origin: string;
let browser: Browser;

/** Serves the project folder as it is (the page, the model, node_modules). */
function serve(root: string): Promise<Server> {
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.wasm': 'application/wasm',
    '.safetensors': 'application/octet-stream',
  };
  const server = createServer((req, res) => {
    const path = join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    readFile(path).then(
      (body) => res.writeHead(200, { 'Content-Type': types[extname(path)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-packages-'));
  const packs = join(dir, 'packs');
  await mkdir(packs);
  // The packages' dist/ as `pnpm build` makes it (turbo replays it when nothing changed).
  await run('pnpm', ['-w', 'run', 'build'], { cwd: REPO, maxBuffer: 1 << 26 });
  for (const name of PACKAGES) {
    await run('pnpm', ['pack', '--pack-destination', packs], { cwd: join(REPO, 'packages', name) });
  }
  tarballs = (await readdir(packs)).map((file) => join(packs, file));
  project = join(dir, 'project');
  await mkdir(project);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'site', private: true, type: 'module' }));
  // Ours from the tarballs alone; their dependencies from npm's cache or the configured registry.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs], { cwd: project, maxBuffer: 1 << 26 });
  await cp(LIZARD, join(project, 'lizard.safetensors'));
  server = await serve(project);
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  browser = await launchBrowser();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  server?.close();
  if (dir !== undefined) {
    await rm(dir, { recursive: true, force: true });
  }
});

describe('the packed packages', () => {
  it('hold built JavaScript, types, a README and the license, and no TypeScript sources or workspace links', async () => {
    expect(tarballs.map((t) => t.replace(/.*\//, '')).sort()).toEqual([
      'nca-studio-core-0.1.0.tgz',
      'nca-studio-trainer-0.1.0.tgz',
      'nca-studio-viewer-0.1.0.tgz',
      'nca-studio-weights-format-0.1.0.tgz',
    ]);
    for (const name of PACKAGES) {
      const root = join(project, 'node_modules/@nca-studio', name);
      const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as Record<string, Record<string, string> | string>;
      const files = await readdir(root, { recursive: true });
      expect(files, name).toContain('README.md');
      expect(files, name).toContain('LICENSE');
      expect(
        files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')),
        name,
      ).toEqual([]);
      expect(
        files.some((f) => f.endsWith('index.d.ts')),
        name,
      ).toBe(true);
      expect(JSON.stringify(manifest.dependencies ?? {}), name).not.toMatch(/workspace:|"tsx"/);
      expect(manifest.version).toBe('0.1.0');
    }
  });

  it('npx nca inspect and npx nca render run the installed CLI on a bundled model', async () => {
    const inspect = await run('npx', ['--no-install', 'nca', 'inspect', 'lizard.safetensors', '--json'], { cwd: project });
    const { config } = readModel(await readFile(join(project, 'lizard.safetensors')));
    expect(JSON.parse(inspect.stdout)).toMatchObject({ parameters: parameterCount(config), config: { gridWidth: config.gridWidth } });
    const render = await run('npx', ['--no-install', 'nca', 'render', 'lizard.safetensors', '--steps', '120', '--png', 'grown.png'], { cwd: project });
    expect(render.stdout).toMatch(/rendered lizard\.safetensors: 120 steps/);
    const { data, info } = await sharp(join(project, 'grown.png')).raw().toBuffer({ resolveWithObject: true });
    let coloured = 0;
    for (let i = 0; i < data.length; i += info.channels) {
      coloured += data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200 ? 1 : 0;
    }
    expect(coloured).toBeGreaterThan(1000);
  });
});

/** Bytes on disk under `path` (files' sizes, links not followed). */
async function installedBytes(path: string): Promise<number> {
  const { stdout } = await run('du', ['-sb', path]);
  return Number(stdout.split('\t')[0]);
}

describe("the trainer's install", () => {
  it('npm i of the CLI alone stays under 250 MB; its size is reported dependency by dependency', async () => {
    const alone = join(dir, 'cli-only');
    await mkdir(alone);
    await writeFile(join(alone, 'package.json'), JSON.stringify({ name: 'cli-only', private: true, type: 'module' }));
    const ours = tarballs.filter((t) => !t.includes('viewer'));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...ours], { cwd: alone, maxBuffer: 1 << 26 });
    const modules = join(alone, 'node_modules');
    const entries: Array<[string, number]> = [];
    for (const name of await readdir(modules)) {
      const scoped = name.startsWith('@') ? (await readdir(join(modules, name))).map((inner) => `${name}/${inner}`) : [name];
      for (const entry of scoped) {
        entries.push([entry, await installedBytes(join(modules, entry))]);
      }
    }
    entries.sort((a, b) => b[1] - a[1]);
    const total = await installedBytes(modules);
    const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
    console.info(
      `npm i @nca-studio/trainer: ${mb(total)} in ${entries.length} packages; ${entries
        .slice(0, 12)
        .map(([name, bytes]) => `${name} ${mb(bytes)}`)
        .join(', ')}`,
    );
    expect(total).toBeLessThan(250e6);
    // The GPU binding (Dawn) and the full tfjs bundle are opt-in; the CLI still runs without them.
    expect(entries.map(([name]) => name)).not.toContain('webgpu');
    expect(entries.map(([name]) => name)).not.toContain('@tensorflow/tfjs');
    const inspect = await run('npx', ['--no-install', 'nca', 'inspect', LIZARD, '--json'], { cwd: alone });
    expect(JSON.parse(inspect.stdout)).toMatchObject({ parameters: 8336 });
    const hint = await run('npx', ['--no-install', 'nca', 'train', '--emoji', '🦎', '--backend', 'webgpu', '--iterations', '1', '--out', join(alone, 'run')], {
      cwd: alone,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(hint).toMatchObject({ code: 1 });
    expect((hint as { stderr: string }).stderr).toMatch(/needs the optional package "webgpu" .*npm i webgpu@0\.6\.2/);
  }, 600_000);
});

/** Opens a page of the project, waits for the widget's load event and for it to grow. */
async function widgetGrows(file: string, probe: () => unknown = () => null): Promise<{ engine: string; count: number; errors: string[]; probe: unknown }> {
  const { page, errors } = await openPage(browser, `${origin}/${file}`);
  try {
    const engine = await page.evaluate(
      () =>
        new Promise<string>((done, fail) => {
          const element = document.querySelector('nca-viewer') as NcaViewerElement;
          if (element.viewer !== null) {
            done(element.viewer.info.engine);
          }
          element.addEventListener('load', (event) => done(event.detail.engine));
          element.addEventListener('error', (event) => fail(new Error(event.detail.message)));
        }),
    );
    await page.waitForFunction(() => (document.querySelector('nca-viewer') as NcaViewerElement).stepCount > 100, null, { timeout: 60_000 });
    const { count } = await countForeground(page.locator('nca-viewer'));
    return { engine, count, errors, probe: await page.evaluate(probe) };
  } finally {
    await page.close();
  }
}

describe('<nca-viewer> from node_modules', () => {
  it("declares the element's type: tag name, attributes, methods and events", async () => {
    await writeFile(
      join(project, 'typed.ts'),
      [
        "import type { NcaViewerAttributes } from '@nca-studio/viewer/widget';",
        "const element = document.createElement('nca-viewer');",
        "element.addEventListener('load', (event) => console.log(event.detail.gridWidth + 1, event.detail.engine.length));",
        "element.addEventListener('error', (event) => console.log(event.detail.message.length));",
        'element.play();',
        'element.reset();',
        'const steps: number = element.stepCount;',
        "const attributes: NcaViewerAttributes = { src: 'lizard.safetensors', autoplay: '', 'grid-size': '96x64' };",
        'console.log(steps, attributes);',
        '',
      ].join('\n'),
    );
    const options = [
      '--noEmit',
      '--strict',
      '--target',
      'es2022',
      '--module',
      'esnext',
      '--moduleResolution',
      'bundler',
      '--lib',
      'es2022,dom',
      '--skipLibCheck',
      'typed.ts',
    ];
    await expect(run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), ...options], { cwd: project })).resolves.toBeDefined();
    // And a wrong use is an error, so the check above means something.
    await writeFile(
      join(project, 'wrong.ts'),
      "import type {} from '@nca-studio/viewer/widget';\ndocument.createElement('nca-viewer').addEventListener('load', (event) => event.detail.nope.length);\n",
    );
    const wrong = await run(process.execPath, [join(REPO, 'node_modules/typescript/bin/tsc'), ...options.slice(0, -1), 'wrong.ts'], { cwd: project }).catch(
      (error: { stdout: string }) => error,
    );
    expect((wrong as { stdout: string }).stdout).toMatch(/Property 'nope' does not exist/);
  });

  it('loads as a plain <script type="module"> and grows the model, fetched relative to the page', async () => {
    await writeFile(
      join(project, 'plain.html'),
      '<!doctype html><meta charset="utf-8"><title>plain</title>' +
        '<script type="module" src="./node_modules/@nca-studio/viewer/dist/nca-viewer.js"></script>' +
        '<nca-viewer src="lizard.safetensors" autoplay></nca-viewer>',
    );
    const grown = await widgetGrows('plain.html');
    expect(grown.engine).toBe('fused');
    expect(grown.count).toBeGreaterThan(500);
    expect(grown.errors).toEqual([]);
  });

  it("loads through a bundler from `import '@nca-studio/viewer/widget'`", async () => {
    const app = join(project, 'app');
    await mkdir(app);
    // The element, and the controller API beside it (the library build, tfjs resolved by the bundler).
    await writeFile(
      join(app, 'main.js'),
      "import '@nca-studio/viewer/widget';\nimport { createViewer } from '@nca-studio/viewer';\nwindow.controller = typeof createViewer;\n",
    );
    await writeFile(
      join(app, 'index.html'),
      '<!doctype html><meta charset="utf-8"><title>bundled</title><script type="module" src="./main.js"></script>' +
        '<nca-viewer src="../lizard.safetensors" autoplay></nca-viewer>',
    );
    await build({
      root: app,
      base: './',
      logLevel: 'silent',
      configFile: false,
      build: { outDir: join(project, 'bundled'), emptyOutDir: true, target: 'es2022' },
    });
    const grown = await widgetGrows('bundled/index.html', () => (window as unknown as { controller: string }).controller);
    expect(grown.probe).toBe('function');
    expect(grown.count).toBeGreaterThan(500);
    expect(grown.errors).toEqual([]);
  });
});
