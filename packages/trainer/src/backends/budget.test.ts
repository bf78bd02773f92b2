// Every command refuses work that would need many gigabytes, before doing any: exit 2, one line
// with the estimate and the flag to change (the resource budget of core's budget.ts).
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DEFAULT_CONFIG, writeModel, type NcaConfig, type NcaModel } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { nca } from '../testing/cli.ts';

let dir: string;

function model(overrides: Partial<NcaConfig>, fill: (name: string, i: number) => number = () => 0.01): NcaModel {
  const config: NcaConfig = { ...DEFAULT_CONFIG, ...overrides };
  const { channels: c, hidden: h } = config;
  const array = (name: string, n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => fill(name, i));
  return {
    config,
    params: { dense1Weight: array('w1', 3 * c * h), dense1Bias: array('b1', h), dense2Weight: array('w2', h * c), dense2Bias: array('b2', c) },
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-budget-'));
  // Passes every format check, and asks for a 2048x2048 grid of 64 channels and 1024 hidden units.
  await writeFile(join(dir, 'huge.safetensors'), writeModel(model({ channels: 64, hidden: 1024, gridWidth: 2048, gridHeight: 2048 })));
  await writeFile(join(dir, 'small.safetensors'), writeModel(model({ gridWidth: 32, gridHeight: 32 })));
});

/** One line on stderr, exit 2, no stack, nothing written. */
function expectRefused(result: { code: number; err: string[] }, message: RegExp): void {
  expect(result.code).toBe(2);
  expect(result.err).toHaveLength(1);
  expect(result.err[0]).toMatch(message);
}

describe('the resource budget', () => {
  it.each([
    [
      ['--steps', '1..100000'],
      /^nca: one training iteration \(per worker, 1 of the batch\) needs about [\d.]+ GiB \(rollout kernel: 100003 states of one 32x32 sample x 16 channels, and its masks: [\d.]+ GiB\), over the 3\.5 GiB one rollout kernel can hold; lower --steps or --target-size$/,
    ],
    [
      ['--steps', '1..100000', '--gradient', 'tfjs'],
      /^nca: one training iteration \(per worker, \d of the batch\) needs about \d+ GiB \(rollout: .* x 100000 steps .*\), over the 2\.0 GiB one wasm worker can hold; lower --steps, --batch or --target-size$/,
    ],
    [
      ['--pool', '100000'],
      /^nca: the training run needs about 6\.1 GiB \(sample pool: 100000 x 32x32 cells x 16 channels: 6\.1 GiB\), over the 1\.0 GiB a sample pool may take .*; lower --pool or --target-size$/,
    ],
    [['--target-size', '1024', '--padding', '512'], /^nca: the training run needs about 16 GiB \(sample pool: 64 x 2048x2048 cells/],
  ])('nca train %s: exit 2 before the target is read or a folder made', async (flags, message) => {
    const out = join(dir, `run-${flags[0]}`);
    const started = performance.now();
    expectRefused(await nca('train', '--emoji', '🦎', '--preset', 'quick', '--backend', 'wasm', '--out', out, ...flags), message);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(existsSync(out)).toBe(false);
  });

  it('nca render of a huge grid, and of a huge picture', async () => {
    expectRefused(
      await nca('render', join(dir, 'huge.safetensors'), '--steps', '1'),
      /^nca: rendering needs about 5\.0 GiB \(the kernel's batch: 1 x 2048x2048 cells x 64 channels, in and out, and its two state buffers: 4\.0 GiB\), over the 3\.5 GiB the rollout kernel can hold; lower --size$/,
    );
    const png = join(dir, 'x.png');
    expectRefused(
      await nca('render', join(dir, 'small.safetensors'), '--size', '1024x1024', '--scale', '32', '--png', png),
      /^nca: the PNG needs about 4\.0 GiB \(32768x32768 pixels x 4 bytes: 4\.0 GiB\), over the 1\.0 GiB a picture may take; lower --scale or --size$/,
    );
    expectRefused(
      await nca('render', join(dir, 'small.safetensors'), '--size', '1024x1024', '--scale', '64', '--png', png),
      /^nca: the PNG needs about 16 GiB/,
    );
    expectRefused(
      await nca('render', join(dir, 'small.safetensors'), '--size', '512x512', '--steps', '1000', '--gif-every', '1', '--gif', join(dir, 'x.gif')),
      /^nca: the GIF needs about \d+ GiB \(1002 frames of 2048x2048 pixels/,
    );
    expect(existsSync(png)).toBe(false);
  });

  it('nca eval of a huge grid', async () => {
    expectRefused(
      await nca('eval', join(dir, 'huge.safetensors'), '--emoji', '🦎', '--padding', '512'),
      /^nca: evaluating needs about \d+ GiB .*; lower --seeds/,
    );
  });
});

describe('nca eval of a diverging model', () => {
  it('prints the report, warns and exits 1', async () => {
    // A bias of 1e38 per step overflows float32 within a few steps.
    await writeFile(join(dir, 'diverging.safetensors'), writeModel(model({ gridWidth: 24, gridHeight: 24 }, (name) => (name === 'b2' ? 1e38 : 0))));
    const { code, out, err } = await nca(
      'eval',
      join(dir, 'diverging.safetensors'),
      '--emoji',
      '🦎',
      '--padding',
      '4',
      '--seeds',
      '1',
      '--persistence-steps',
      '50',
    );
    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(/growth loss\s+NaN|growth loss\s+Infinity/);
    expect(err).toEqual([`nca: warning: ${join(dir, 'diverging.safetensors')} diverged: a loss is not finite (the state blew up to NaN or infinity)`]);
  });
});
