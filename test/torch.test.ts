// PyTorch itself on our exported files: a model trained by our trainer, exported with
// `nca convert --to torch`, loads with torch.load(weights_only=True) into the notebook's class
// and grows there to the state `nca render` grows it to. Needs Debian's python3-torch
// (`pnpm test:setup` installs it); skipped where it is missing, unless NCA_TEST_TORCH=1 (CI).
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeNpy, main } from '@nca-studio/trainer';
import { beforeAll, describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
const SCRIPTS = resolve(import.meta.dirname, '../packages/weights-format/scripts');

function hasTorch(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['NCA_TEST_TORCH'] === '1') {
      throw new Error(`NCA_TEST_TORCH=1 but ${PYTHON} cannot import torch: apt-get install python3-torch`);
    }
    return false;
  }
}

async function nca(...argv: string[]): Promise<void> {
  const err: string[] = [];
  const code = await main(argv, { log: () => {}, error: (line) => err.push(line) });
  expect(code, err.join('\n')).toBe(0);
}

describe.skipIf(!hasTorch())('PyTorch runs our exported models', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-pytorch-'));
  });

  it("a notebook-preset model trained here, exported as .pt, grows in the notebook's class as in nca render (40 steps, <= 1e-4)", async () => {
    const run = join(dir, 'run');
    await nca(
      'train',
      '--emoji',
      '🦎',
      '--preset',
      'notebook',
      '--target-size',
      '16',
      '--padding',
      '4',
      '--iterations',
      '3',
      '--steps',
      '8..12',
      '--backend',
      'wasm',
      '--out',
      run,
    );
    await nca('convert', '--to', 'torch', join(run, 'model.safetensors'), join(dir, 'exported.pt'));
    execFileSync(PYTHON, ['-B', join(SCRIPTS, 'notebook_run.py'), join(dir, 'exported.pt'), '24', '40', join(dir, 'torch.npy')]);
    await nca('render', join(run, 'model.safetensors'), '--fire-rate', '1', '--steps', '40', '--state', join(dir, 'ours.npy'));
    const torch = decodeNpy(await readFile(join(dir, 'torch.npy')));
    const ours = decodeNpy(await readFile(join(dir, 'ours.npy')));
    expect(ours.shape).toEqual([24, 24, 16]);
    expect(torch.shape).toEqual(ours.shape);
    let max = 0;
    ours.data.forEach((v, i) => (max = Math.max(max, Math.abs(v - torch.data[i]!))));
    console.log(`PyTorch vs nca render after 40 steps: max |difference| = ${max.toExponential(2)}`);
    expect(max).toBeLessThanOrEqual(1e-4);
    expect(ours.data.some((v, i) => i % 16 === 3 && v > 0.1)).toBe(true);
  });
});
