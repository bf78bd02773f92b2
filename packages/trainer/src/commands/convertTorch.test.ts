// `nca convert --from torch` and `--to torch` on real torch.save files (made by PyTorch in
// packages/weights-format/scripts/torch_fixtures.py), and the converted model against the
// notebook's own forward pass (notebook-grown.npy, written by PyTorch from the same file).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readModel, readStateDict } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeNpy } from '../files/npy.ts';
import { nca } from '../testing/cli.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../weights-format/fixtures/torch');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-torch-'));
});

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Number.isNaN(v - b[i]!) ? Infinity : Math.abs(v - b[i]!)), 0);
}

describe('nca convert --from torch', () => {
  it("imports the notebook's state dict (float32, float16, bfloat16) with the notebook config and its provenance", async () => {
    for (const name of ['notebook', 'notebook-half', 'notebook-bf16']) {
      const out = join(dir, `${name}.safetensors`);
      const { code, out: lines } = await nca('convert', '--from', 'torch', join(FIXTURES, `${name}.pt`), out);
      expect(code, name).toBe(0);
      expect(lines[0]).toMatch(/-> .*: 64x64 grid, 8,336 parameters/);
      const model = readModel(await readFile(out));
      expect(model.config).toMatchObject({
        channels: 16,
        hidden: 128,
        padding: 'reflect',
        sobelScale: 1,
        tanh: true,
        fireRate: 0.75,
        aliveThreshold: 0,
        aliveMasking: 'post',
        clampRgba: true,
      });
      expect(model.source).toMatchObject({ format: 'pytorch-notebook state dict', file: `${name}.pt` });
    }
    const full = readModel(await readFile(join(dir, 'notebook.safetensors')));
    const half = readModel(await readFile(join(dir, 'notebook-half.safetensors')));
    expect(maxAbsDifference(full.params.dense1Weight, half.params.dense1Weight)).toBeLessThan(2e-3);
  });

  it('runs the converted model as the notebook does: 40 deterministic steps on its 24x24 grid, <= 1e-4', async () => {
    const state = join(dir, 'grown.npy');
    const { code } = await nca('render', join(dir, 'notebook.safetensors'), '--fire-rate', '1', '--steps', '40', '--size', '24x24', '--state', state);
    expect(code).toBe(0);
    const ours = decodeNpy(await readFile(state));
    const notebook = decodeNpy(await readFile(join(FIXTURES, 'notebook-grown.npy')));
    expect(ours.shape).toEqual(notebook.shape);
    expect(maxAbsDifference(ours.data, notebook.data)).toBeLessThanOrEqual(1e-4);
    // Not an empty grid.
    expect(notebook.data.filter((v, i) => i % 16 === 3 && v > 0.1).length).toBeGreaterThan(20);
  });

  it.each([
    [
      'wrong-keys.pt',
      /^nca: .*wrong-keys\.pt: not the notebook's state dict: expected mapper\.0\.weight \[128,48\], .*; found conv\.weight \[16,48\], conv\.bias \[16\]$/,
    ],
    ['wrong-shape.pt', /found mapper\.0\.weight \[64,48\], mapper\.0\.bias \[64\], mapper\.2\.weight \[16,64\], mapper\.2\.bias \[16\]$/],
    ['hostile-reduce.pt', /^nca: .*hostile-reduce\.pt: pickle: global posix\.system is not allowed/],
  ])('refuses %s: exit 2, one line', async (name, message) => {
    const started = performance.now();
    const { code, err } = await nca('convert', '--from', 'torch', join(FIXTURES, name), join(dir, 'x.safetensors'));
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('nca convert --to torch', () => {
  it('round-trips torch -> ours -> torch bit for bit, as .pt and as .safetensors', async () => {
    const original = readStateDict(await readFile(join(FIXTURES, 'notebook.pt')));
    for (const file of ['back.pt', 'back.safetensors']) {
      const { code, out } = await nca('convert', '--to', 'torch', join(dir, 'notebook.safetensors'), join(dir, file));
      expect(code).toBe(0);
      expect(out[0]).toMatch(/the notebook's state dict/);
      const back = readStateDict(await readFile(join(dir, file)));
      for (const [key, tensor] of original) {
        expect(back.get(key)!.shape).toEqual(tensor.shape);
        expect(Buffer.from(back.get(key)!.data.buffer).equals(Buffer.from(tensor.data.buffer)), key).toBe(true);
      }
    }
  });

  it('refuses a model the notebook cannot run, and an output that is neither .pt nor .safetensors', async () => {
    const lizard = resolve(import.meta.dirname, '../../../viewer/public/models/lizard.safetensors');
    const refused = await nca('convert', '--to', 'torch', lizard, join(dir, 'lizard.pt'));
    expect(refused.code).toBe(2);
    expect(refused.err[0]).toMatch(/^nca: .*lizard\.safetensors: the notebook's module cannot run this model: .*padding "zero" \(the notebook: "reflect"\)/);
    const badName = await nca('convert', '--to', 'torch', join(dir, 'notebook.safetensors'), join(dir, 'x.bin'));
    expect([badName.code, badName.err[0]]).toEqual([2, `nca: --to torch writes OUT.pt (torch.save) or OUT.safetensors, got ${join(dir, 'x.bin')}`]);
  });
});
