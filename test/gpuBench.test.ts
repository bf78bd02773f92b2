// The GPU bench as a GPU machine without network or pnpm gets it: `pnpm bundle:gpu-bench` writes
// the folder, which is copied outside the repository (no node_modules anywhere above it) and run
// with the plain `node` binary, here on lavapipe.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { readModel } from '@nca-studio/weights-format';
import { webgpuForTests } from '@nca-studio/trainer';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..');
const webgpu = await webgpuForTests();

describe.runIf(webgpu)('pnpm bundle:gpu-bench', () => {
  let dir: string;
  let folder: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-gpu-bench-'));
    const built = join(dir, 'built');
    await run('pnpm', ['-s', 'bundle:gpu-bench', '--out', built], { cwd: REPO });
    folder = join(dir, 'elsewhere', 'gpu-bench');
    await cp(built, folder, { recursive: true });
  });

  it("is at most 40 MB: the script, its bundled JavaScript and Dawn's dawn.node", async () => {
    const files = await readdir(folder, { recursive: true, withFileTypes: true });
    let total = 0;
    for (const f of files.filter((e) => e.isFile())) {
      total += (await stat(join(f.parentPath, f.name))).size;
    }
    expect(total).toBeLessThanOrEqual(40 * 2 ** 20);
    const names = files.filter((e) => e.isFile()).map((e) => e.name);
    expect(names).toContain('bench-gpu.js');
    expect(names).toContain('dawn.node');
    expect(names.filter((n) => !/\.(js|node)$/.test(n) && n !== 'package.json')).toEqual([]);
  });

  it('runs with nothing but node: adapter, both rates, the projection, a model and its growth strip', async () => {
    const out = join(dir, 'out');
    // No PATH (no pnpm, no npx), no NODE_PATH: node itself, by its absolute path.
    const { stdout } = await run(process.execPath, [join(folder, 'bench-gpu.js'), '--iterations', '2', '--repeats', '1', '--steps', '8', '--out', out], {
      cwd: join(dir, 'elsewhere'),
      env: { HOME: dir },
      maxBuffer: 16 * 2 ** 20,
    });
    expect(stdout).toMatch(/^adapter: \S.*$/m);
    const fused = Number(/^fused WebGPU rollout: (\d+) cell-steps\/s/m.exec(stdout)?.[1]);
    const kernel = Number(/^wasm rollout kernel \(\d+ thread\(s\)\): (\d+) cell-steps\/s/m.exec(stdout)?.[1]);
    expect(fused).toBeGreaterThan(0);
    expect(kernel).toBeGreaterThan(0);
    expect(stdout).toMatch(/^projected: the full regenerating recipe \(8000 iterations\) in \d+\.\d min on this adapter$/m);
    const model = readModel(await readFile(join(out, 'model.safetensors')));
    expect(model.training).toMatchObject({ preset: 'regenerating', iterations: 2, backend: 'webgpu' });
    const strip = await sharp(join(out, 'growth.png')).metadata();
    expect(strip.width).toBeGreaterThan(72 * 3);
    expect(stdout.trim().split('\n').at(-1)).toBe(`cell_steps_per_s ${fused}`);
  }, 600_000);

  it('refuses a bad flag with one line and exit code 2', async () => {
    const error = await run(process.execPath, [join(folder, 'bench-gpu.js'), '--iterations', 'many'], { env: { HOME: dir } }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).toBe(2);
    expect(error?.stderr).toMatch(/^bench:gpu: --iterations expects a whole number from 1 to 100000, got "many"/);
  });
});
