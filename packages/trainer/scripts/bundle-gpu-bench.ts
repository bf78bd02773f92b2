// `pnpm bundle:gpu-bench [--out DIR]`: bench:gpu as a folder that runs on a GPU machine with
// nothing but `node` (>= 20.19): no network, no pnpm, no node_modules. It holds the script and
// its worker bundled by esbuild (core's wasm kernel is inside, as base64), the prepared lizard
// target embedded, and Dawn's linux-x64 dawn.node where the `webgpu` package looks for it.
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { PRESETS } from '@nca-studio/core';
import { loadTarget } from '../src/images/target.ts';
import { TOOL_VERSION } from '../src/version.ts';

/** The ceiling for the folder; dawn.node alone is about 21 MB. */
const MAX_BYTES = 40 * 2 ** 20;
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');

const { values } = parseArgs({ options: { out: { type: 'string', default: join(repo, 'dist', 'gpu-bench') } } });
const out = resolve(values.out);

const recipe = PRESETS.regenerating;
const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: recipe.training.targetSize, padding: recipe.training.padding });

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { 'bench-gpu': join(here, 'bench-gpu.ts'), gradientWorkerMain: join(here, '../src/training/gradientWorkerMain.ts') },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifySyntax: true,
  // The native TensorFlow packages stay optional (loaded by name, absent here); sharp is only
  // reached from the sources, where the target is decoded instead of embedded.
  external: ['sharp', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'],
  define: { NCA_BUNDLED_TARGET: JSON.stringify(Buffer.from(target.rgba8).toString('base64')), NCA_BUNDLED_VERSION: JSON.stringify(TOOL_VERSION) },
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __ncaRequire } from 'node:module'; const require = __ncaRequire(import.meta.url);" },
  logLevel: 'warning',
});
// Dawn, where the bundled `webgpu` package resolves it: dist/<platform>-<arch>/dawn.node beside the script.
const webgpuDir = dirname(createRequire(join(repo, 'packages/trainer/package.json')).resolve('webgpu'));
await mkdir(join(out, 'dist', 'linux-x64'), { recursive: true });
await copyFile(join(webgpuDir, 'dist', 'linux-x64', 'dawn.node'), join(out, 'dist', 'linux-x64', 'dawn.node'));
await writeFile(join(out, 'package.json'), JSON.stringify({ type: 'module', private: true }) + '\n');

let total = 0;
const files: string[] = [];
const walk = async (dir: string): Promise<void> => {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      await walk(path);
    } else {
      total += (await stat(path)).size;
      files.push(relative(out, path));
    }
  }
};
await walk(out);
console.log(`bundle: ${out}, ${files.length} files, ${(total / 2 ** 20).toFixed(1)} MiB`);
console.log(
  `run it anywhere with a GPU and Vulkan: cp -r ${relative(process.cwd(), out) || '.'} <somewhere> && node <somewhere>/bench-gpu.js [--iterations N] [--out DIR]`,
);
if (total > MAX_BYTES) {
  console.error(`bundle:gpu-bench: ${(total / 2 ** 20).toFixed(1)} MiB is more than the ${MAX_BYTES / 2 ** 20} MiB it may take`);
  process.exit(1);
}
