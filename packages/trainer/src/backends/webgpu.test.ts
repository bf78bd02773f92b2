import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { batchGradient, PRESETS, webgpuGradient, WebgpuRolloutError } from '@nca-studio/core';
import { readModel } from '@nca-studio/weights-format';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../commands/train.ts';
import type { TrainFlags } from '../training/plan.ts';
import { errorExitCode } from '../errors.ts';
import { discPng } from '../testing/images.ts';
import { gradientRoute } from '../training/plan.ts';
import { registerGradients, selectBackend } from './backend.ts';
import { gradientTask, relativeError } from '../testing/gradientTask.ts';
import { describeAdapter, hardwareGpuPossible, webgpuDevice, webgpuForTests } from './webgpu.ts';

describe('describeAdapter', () => {
  it('names a hardware adapter by its description, vendor and architecture', () => {
    const a = describeAdapter({ info: { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false } });
    expect(a).toEqual({ description: 'NVIDIA GeForce RTX 3060 (nvidia, ampere)', software: false });
  });

  it('flags lavapipe and other fallback adapters as software', () => {
    expect(describeAdapter({ info: { vendor: 'mesa', architecture: 'software', description: 'llvmpipe', isFallbackAdapter: true } }).software).toBe(true);
    expect(describeAdapter({ info: { vendor: 'google', architecture: 'software', device: 'SwiftShader' } }).software).toBe(true);
    expect(describeAdapter({ isFallbackAdapter: true }).software).toBe(true);
  });
});

// Runs wherever Dawn finds an adapter (lavapipe in CI, which sets NCA_TEST_WEBGPU=1 so that a
// missing driver fails instead of skipping).
const webgpu = await webgpuForTests();

describe.runIf(webgpu)('backend webgpu', () => {
  it('is selected by name and reports its adapter', async () => {
    const info = await selectBackend('webgpu');
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.detail).toMatch(/^@tensorflow\/tfjs-backend-webgpu on \S/);
  });

  it('gives the wasm gradient of a quick-preset batch (relative error < 1e-3)', async () => {
    await registerGradients();
    const config = PRESETS.quick.config;
    const task = () => gradientTask(config, 4, 12, 7);
    await selectBackend('wasm');
    const wasm = await batchGradient(task());
    await selectBackend('webgpu');
    const gpu = await batchGradient(task());
    expect(tf.getBackend()).toBe('webgpu');
    const errors = wasm.grads.map((g, i) => {
      expect(g.some((v) => v !== 0)).toBe(true);
      return relativeError(gpu.grads[i]!, g);
    });
    console.info(`webgpu vs wasm gradient relative errors (dense1 W, b, dense2 W, b): ${errors.map((e) => e.toExponential(1)).join(', ')}`);
    errors.forEach((e) => expect(e).toBeLessThan(1e-3));
    expect(relativeError(gpu.losses, wasm.losses)).toBeLessThan(1e-4);
    expect(relativeError(gpu.final, wasm.final)).toBeLessThan(1e-4);
  }, 300_000);
});

describe.runIf(webgpu)("the webgpu route (core's fused WGSL rollout) on --backend webgpu", () => {
  let dir: string;
  let target: string;
  const quiet = { log: () => {}, progress: 'none' as const };
  const request = (out: string, iterations: number, extra: Partial<TrainFlags> = {}): TrainFlags => ({
    target,
    preset: 'regenerating',
    targetSize: 10,
    padding: 3,
    batch: 4,
    pool: 16,
    damage: 1,
    steps: [12, 16],
    iterations,
    reseedEvery: 2,
    overflowWeight: 0.5,
    lr: 4e-3,
    hidden: 32,
    seed: 5,
    backend: 'webgpu',
    out,
    checkpointEvery: 4,
    ...extra,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-fused-'));
    target = join(dir, 'disc.png');
    await writeFile(target, await discPng(32));
  });

  it("is the webgpu backend's default route, and a short run learns on it as on the wasm kernel", async () => {
    expect(gradientRoute('webgpu')).toBe('webgpu');
    const lines: string[] = [];
    const plain = { reseedEvery: 1, overflowWeight: 0, lr: 2e-3 };
    const fused = await train(request(join(dir, 'learns'), 40, plain), { ...quiet, log: (l: string) => lines.push(l) });
    expect(lines.join('\n')).toMatch(/gradient: core's fused WebGPU rollout \(WGSL\) on \S/);
    const kernel = await train(request(join(dir, 'learns-kernel'), 40, { ...plain, backend: 'wasm' }), quiet);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(fused.losses.slice(0, 5));
    const last = mean(fused.losses.slice(-5));
    console.info(`fused route: loss ${first.toExponential(2)} over the first 5 iterations, ${last.toExponential(2)} over the last 5`);
    expect(last).toBeLessThan(first * 0.8);
    // The same run on the wasm kernel: the same losses, but for float rounding.
    fused.losses.forEach((loss, i) => expect(Math.abs(loss - kernel.losses[i]!) / kernel.losses[i]!, `iteration ${i + 1}`).toBeLessThan(1e-3));
  }, 300_000);

  it('resumes exactly: 2N iterations equal N resumed for N more, bit for bit', async () => {
    const whole = await train(request(join(dir, 'whole'), 6), quiet);
    await train(request(join(dir, 'split'), 3), quiet);
    const resumed = await train({ resume: join(dir, 'split'), iterations: 6, backend: 'webgpu' }, quiet);
    expect(resumed.losses).toEqual(whole.losses);
    const a = readModel(await readFile(join(dir, 'whole', 'model.safetensors')));
    const b = readModel(await readFile(join(dir, 'split', 'model.safetensors')));
    expect(b.params.dense1Weight).toEqual(a.params.dense1Weight);
    expect(b.params.dense2Weight).toEqual(a.params.dense2Weight);
  }, 300_000);

  it('refuses a rollout larger than the GPU can bind, with a typed error before any work', async () => {
    const { device } = await webgpuDevice();
    const config = { ...PRESETS.regenerating.config, gridWidth: 2048, gridHeight: 2048 };
    const task = gradientTask({ ...PRESETS.quick.config, hidden: config.hidden }, 1, 1, 3);
    const huge = { ...task, config, count: 64, steps: 1, states: new Float32Array(0), fire: new Uint8Array(0) };
    const error = await webgpuGradient(device)(huge).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WebgpuRolloutError);
    expect(error).toMatchObject({ code: 'WEBGPU_LIMIT' });
    expect(errorExitCode(error)).toBe(2);
  });
});

describe.runIf(process.platform === 'linux')('hardwareGpuPossible', () => {
  async function fakeRoot(files: string[]): Promise<string> {
    const root = await mkdtemp(join(tmpdir(), 'nca-root-'));
    for (const f of files) {
      await mkdir(join(root, dirname(f)), { recursive: true });
      await writeFile(join(root, f), '');
    }
    return root;
  }

  it('needs a GPU device node and a Vulkan driver manifest', async () => {
    const icd = 'usr/share/vulkan/icd.d/radeon_icd.x86_64.json';
    expect(hardwareGpuPossible({}, await fakeRoot(['dev/dri/renderD128', icd]))).toBe(true);
    expect(hardwareGpuPossible({}, await fakeRoot(['dev/nvidia0', 'etc/vulkan/icd.d/nvidia_icd.json']))).toBe(true);
    // lavapipe alone, as in CI: Mesa's manifests but no GPU device.
    expect(hardwareGpuPossible({}, await fakeRoot(['dev/null', icd, 'usr/share/vulkan/icd.d/lvp_icd.x86_64.json']))).toBe(false);
    // A GPU without a Vulkan driver.
    expect(hardwareGpuPossible({}, await fakeRoot(['dev/dri/renderD128']))).toBe(false);
    expect(hardwareGpuPossible({ VK_ICD_FILENAMES: '/opt/icd.json' }, await fakeRoot(['dev/dri/renderD128']))).toBe(true);
  });
});

describe('--backend webgpu without a driver', () => {
  it('fails with one clear line and exit code 1, not a fallback', async () => {
    const bin = fileURLToPath(new URL('../../bin/nca.js', import.meta.url));
    const env = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'train', '--emoji', '🦎', '--backend', 'webgpu', '--iterations', '1', '--out', join(tmpdir(), 'nca-never')],
        { env },
        (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }),
      );
    });
    expect(result.code).toBe(1);
    const ours = result.stderr.split('\n').filter((l) => l.startsWith('nca:'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(
      /^nca: backend "webgpu": Dawn found no GPU adapter\. .*vulkaninfo --summary|^nca: backend "webgpu" needs the optional package "webgpu"/,
    );
    // No stack trace of ours (Dawn's own warning names a line of its C++ source).
    expect(result.stderr).not.toMatch(/\.[jt]s:\d+|node:internal/);
    expect(result.stdout).not.toMatch(/iteration/);
  }, 60_000);
});
