// The data path of docs/design.md §2 end to end: an image -> the trainer -> a weights file -> read back
// through weights-format -> grown by core, as the viewer does.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, paramsToTensors, run, seedState } from '@nca-studio/core';
import { selectBackend, train, webgpuForTests, type BackendName } from '@nca-studio/trainer';
import { readModel } from '@nca-studio/weights-format';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const OUTPUTS = ['model.safetensors', 'checkpoint.safetensors', 'loss.csv', 'loss.svg', 'growth.png', 'target.png', 'run.json'];

const RING =
  '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="26" fill="#2a9d4a"/><circle cx="32" cy="32" r="11" fill="#f2c230"/></svg>';
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A tiny regenerating run on a 24x24 ring; returns the run folder and the summary. */
async function tinyRun(backend: BackendName, iterations: number, steps: [number, number]) {
  const dir = await mkdtemp(join(tmpdir(), 'nca-pipeline-'));
  const target = join(dir, 'ring.png');
  await writeFile(target, await sharp(Buffer.from(RING)).png().toBuffer());
  await selectBackend(backend);
  const out = join(dir, 'run');
  const summary = await train(
    {
      target,
      preset: 'regenerating',
      targetSize: 16,
      padding: 4,
      batch: 4,
      pool: 32,
      damage: 1,
      steps,
      iterations,
      seed: 3,
      backend,
      out,
      checkpointEvery: 20,
    },
    { log: () => {}, progress: 'none' },
  );
  expect(summary.backend.name).toBe(backend);
  expect(summary.losses).toHaveLength(iterations);
  return { out, summary };
}

// CI installs lavapipe and sets NCA_TEST_WEBGPU=1; elsewhere this runs where Dawn finds a GPU.
const webgpu = await webgpuForTests();

describe('pipeline: train -> file -> run', () => {
  it('a tiny regenerating run learns, writes every output, and its model grows a pattern', async () => {
    const { out, summary } = await tinyRun('wasm', 60, [16, 24]);
    const first = mean(summary.losses.slice(0, 10));
    const last = mean(summary.losses.slice(-10));
    expect(last).toBeLessThan(first);

    for (const file of OUTPUTS) {
      await expect(readFile(join(out, file)), file).resolves.toBeInstanceOf(Buffer);
    }
    const csv = (await readFile(join(out, 'loss.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('iteration,loss');
    expect(csv).toHaveLength(61);

    const model = readModel(await readFile(join(out, 'model.safetensors')), { source: 'model.safetensors' });
    expect(model.config.gridWidth).toBe(24);
    expect(model.target?.data.length).toBe(24 * 24 * 4);
    expect(model.training).toMatchObject({ preset: 'regenerating', iterations: 60 });

    // Grown from a seed, the trained model leaves living cells; an untrained one would too
    // (the seed), so also require more of them than the seed's 3x3.
    const params = paramsToTensors(model.params, model.config);
    const grown = run(seedState({ height: 24, width: 24, channels: model.config.channels }), params, model.config, 20, createRng(1));
    const alpha = tf.slice(grown, [0, 0, 0, 3], [1, 24, 24, 1]);
    const alive = (await tf.sum(tf.cast(tf.greater(alpha, 0.1), 'float32')).data())[0]!;
    expect(Number.isFinite((await tf.max(tf.abs(grown)).data())[0]!)).toBe(true);
    expect(alive).toBeGreaterThan(9);
  });
});

describe.runIf(webgpu)('pipeline on webgpu', () => {
  it('a tiny run learns on the WebGPU backend', async () => {
    // Fewer, shorter iterations: lavapipe (CI's software Vulkan) is far slower than wasm.
    const { summary } = await tinyRun('webgpu', 30, [8, 12]);
    const first = mean(summary.losses.slice(0, 8));
    const last = mean(summary.losses.slice(-8));
    expect(last).toBeLessThan(first * 0.9);
  }, 600_000);
});
