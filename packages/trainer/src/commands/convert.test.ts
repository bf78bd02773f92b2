import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors, readModel, writeModel } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { nca } from '../testing/cli.ts';
import { convert, convertFolder, distillEntry, QUANTIZE_CHECK_STEPS } from './convert.ts';

/** Bytes 0..255 repeating: weights (q / 255 - 0.5) * scale are known for every index. */
function layer(inCh: number, outCh: number, scale: number): Record<string, unknown> {
  const bytes = Buffer.alloc((inCh + 1) * outCh);
  bytes.forEach((_, i) => (bytes[i] = i % 256));
  return { data_b64: bytes.toString('base64'), in_ch: inCh, out_ch: outCh, weight_scale: scale, bias_scale: scale / 2, type: 'uint8' };
}
const distillJson = JSON.stringify([layer(48, 128, 0.5), layer(128, 16, 0.05)]);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-convert-'));
  await mkdir(join(dir, 'models'));
  await writeFile(join(dir, 'models', 'ex3_1f98e.json'), distillJson);
  await writeFile(join(dir, 'models', 'ex1_1f600.json'), distillJson);
  await writeFile(join(dir, 'models', 'ex3_planarian.json'), distillJson);
  await writeFile(join(dir, 'models', 'README.md'), '# not a model\n');
  await writeFile(join(dir, 'mine.json'), distillJson);
  await writeFile(join(dir, 'object.json'), '{"layers": []}');
  await writeFile(join(dir, 'broken.json'), '[{"data_b64": ');
  await writeFile(join(dir, 'short.json'), JSON.stringify([layer(48, 128, 0.5), layer(128, 8, 0.05)]));
});

describe('distillEntry', () => {
  it('recognises the published names, by code point or by emoji', () => {
    expect(distillEntry('/x/ex3_1f98e.json')).toMatchObject({ id: 'ex3_1f98e', name: '🦎 lizard (regenerating)', experiment: 'regenerating', config: {} });
    expect(distillEntry('ex3_🦎.json')?.id).toBe('ex3_1f98e');
    expect(distillEntry('ex1_1f578.json')?.name).toBe('🕸 spider web (growing)');
    expect(distillEntry('ex2_1f384')?.name).toBe('🎄 christmas tree (persistent)');
    expect(distillEntry('ex3_planarian.json')).toMatchObject({
      name: 'planarian (regenerating)',
      config: { angle: Math.PI / 2, gridWidth: 96, gridHeight: 64 },
    });
    expect(distillEntry('ex4_1f98e.json')).toBeNull();
    expect(distillEntry('ex3_1f999.json')).toBeNull();
    expect(distillEntry('lizard.json')).toBeNull();
  });
});

describe('convert --from distill', () => {
  it('writes a weights file with the dequantized values, the Distill behaviour and the credit', async () => {
    const output = join(dir, 'out', 'lizard.safetensors');
    const summary = await convert({ from: 'distill', input: join(dir, 'models', 'ex3_1f98e.json'), output });
    const model = readModel(await readFile(output));
    expect(summary.bytes).toBe((await readFile(output)).length);
    expect(model.config).toEqual({
      channels: 16,
      hidden: 128,
      padding: 'zero',
      sobelScale: 0.125,
      angle: 0,
      tanh: false,
      fireRate: 0.5,
      aliveThreshold: 0.1,
      aliveMasking: 'pre-post',
      clampRgba: false,
      laplacian: false,
      clip: null,
      start: 'seed',
      display: 'rgba',
      gridWidth: 72,
      gridHeight: 72,
    });
    // Weight [r, o] is byte r * 128 + o; the bias is the row after the 48 weight rows.
    expect(model.params.dense1Weight[300]).toBeCloseTo(((300 % 256) / 255 - 0.5) * 0.5, 6);
    expect(model.params.dense1Bias[7]).toBeCloseTo((((48 * 128 + 7) % 256) / 255 - 0.5) * 0.25, 6);
    expect(model.params.dense2Bias[15]).toBeCloseTo((((128 * 16 + 15) % 256) / 255 - 0.5) * 0.025, 6);
    expect(model.source).toMatchObject({
      format: 'distill-webgl-uint8',
      id: 'ex3_1f98e',
      name: '🦎 lizard (regenerating)',
      file: 'ex3_1f98e.json',
      experiment: 'regenerating',
      license: 'CC BY 4.0',
      url: 'https://distill.pub/2020/growing-ca',
    });
    expect(String(model.source?.credit)).toMatch(/Mordvintsev, Randazzo, Niklasson, Levin/);
  });

  it("applies the planarian's rotation and wide grid", async () => {
    const output = join(dir, 'planarian.safetensors');
    await convert({ from: 'distill', input: join(dir, 'models', 'ex3_planarian.json'), output });
    const { config } = readModel(await readFile(output));
    expect([config.angle, config.gridWidth, config.gridHeight]).toEqual([Math.PI / 2, 96, 64]);
  });

  it('keeps the defaults and the file name for a file of another name', async () => {
    const output = join(dir, 'mine.safetensors');
    await convert({ from: 'distill', input: join(dir, 'mine.json'), output });
    const model = readModel(await readFile(output));
    expect(model.config.gridWidth).toBe(72);
    expect(model.source).toMatchObject({ file: 'mine.json' });
    expect(model.source?.name).toBeUndefined();
  });

  it('nca convert prints one line and exits 0', async () => {
    const { code, out, err } = await nca('convert', '--from', 'distill', join(dir, 'models', 'ex3_1f98e.json'), join(dir, 'cli.safetensors'));
    expect([code, err]).toEqual([0, []]);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^converted .*ex3_1f98e\.json \(ex3_1f98e: 🦎 lizard \(regenerating\)\) -> .*cli\.safetensors: 72x72 grid, 8,336 parameters, [\d,]+ bytes$/,
    );
  });

  it.each([
    ['missing.json', /^nca: input file not found: .*missing\.json$/],
    ['object.json', /^nca: .*object\.json: not a Distill model: expected a JSON array of 2 layer objects, got an object$/],
    ['broken.json', /^nca: .*broken\.json: not a Distill model: the file is not JSON$/],
    ['short.json', /^nca: .*short\.json: not a Distill model: layer 1 is 128 -> 8, expected in_ch 128, out_ch 16/],
    ['models', /^nca: input is not a file: .*models$/],
  ])('bad input %s: one line, exit code 2, nothing written', async (file, message) => {
    const output = join(dir, `never-${file}.safetensors`);
    const { code, out, err } = await nca('convert', '--from', 'distill', join(dir, file), output);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
    await expect(readFile(output)).rejects.toThrow(/ENOENT/);
  });

  it('refuses an unknown --from and a missing --from', async () => {
    const input = join(dir, 'mine.json');
    const unknown = await nca('convert', '--from', 'pytorch', input, join(dir, 'x.safetensors'));
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/'pytorch' is invalid.*distill/);
    const missing = await nca('convert', input, join(dir, 'x.safetensors'));
    expect(missing.code).toBe(2);
    expect(missing.err.join('\n')).toMatch(/give --from distill\|torch \(import into our format\), --to torch \(export from it\) or --quantize u8\|f16/);
  });
});

describe('convert --all', () => {
  it("converts every *.json of a folder and writes the manifest in the article's order", async () => {
    const out = join(dir, 'all');
    const { code, out: lines } = await nca('convert', '--from', 'distill', '--all', join(dir, 'models'), out);
    expect(code).toBe(0);
    expect(lines).toHaveLength(4);
    const manifest = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
    expect(manifest.title).toBe('Distill reference models');
    expect(manifest.models).toEqual([
      { id: 'ex3_1f98e', name: '🦎 lizard (regenerating)', file: 'ex3_1f98e.safetensors', gridWidth: 72, gridHeight: 72 },
      { id: 'ex3_planarian', name: 'planarian (regenerating)', file: 'ex3_planarian.safetensors', gridWidth: 96, gridHeight: 64 },
      { id: 'ex1_1f600', name: '😀 smiley (growing)', file: 'ex1_1f600.safetensors', gridWidth: 72, gridHeight: 72 },
    ]);
    for (const { file } of manifest.models as Array<{ file: string }>) {
      expect(readModel(await readFile(join(out, file))).config.channels).toBe(16);
    }
  });

  it('fails on a folder without models, and on a missing folder', async () => {
    await expect(convertFolder({ from: 'distill', inputDir: join(dir, 'out'), outputDir: join(dir, 'none') })).rejects.toThrow(/no \*\.json files in/);
    await expect(convertFolder({ from: 'distill', inputDir: join(dir, 'nowhere'), outputDir: join(dir, 'none') })).rejects.toThrow(/input folder not found/);
  });
});

describe('convert --from distill-textures', () => {
  it('refuses a file that is not the texture models, --all, and a missing file, each with exit 2 and one line', async () => {
    const notJson = await nca('convert', '--from', 'distill-textures', join(dir, 'broken.json'), join(dir, 'tex'));
    expect([notJson.code, notJson.err]).toEqual([2, [`nca: ${join(dir, 'broken.json')}: not a Distill texture models file: the file is not JSON`]]);
    const growing = await nca('convert', '--from', 'distill-textures', join(dir, 'mine.json'), join(dir, 'tex'));
    expect(growing.code).toBe(2);
    expect(growing.err.join('\n')).toMatch(/not a Distill texture models file: expected a JSON object with model_names and layers, got an array of 2/);
    const all = await nca('convert', '--from', 'distill-textures', '--all', join(dir, 'models'), join(dir, 'tex'));
    expect([all.code, all.err]).toEqual([2, ['nca: --from distill-textures reads one models.json, which holds every model; drop --all']]);
    const missing = await nca('convert', '--from', 'distill-textures', join(dir, 'nowhere.json'), join(dir, 'tex'));
    expect(missing.err).toEqual([`nca: input file not found: ${join(dir, 'nowhere.json')}`]);
  });
});

describe('convert --quantize', () => {
  it('writes our model in 8 bits and in half floats, smaller, and says what that changes after 200 steps', async () => {
    await convert({ from: 'distill', input: join(dir, 'mine.json'), output: join(dir, 'float32.safetensors') });
    const float32 = readModel(await readFile(join(dir, 'float32.safetensors')));
    const sizes: Record<string, number> = {};
    for (const [form, dtype] of [
      ['u8', 'U8'],
      ['f16', 'F16'],
    ] as const) {
      const output = join(dir, `small-${form}.safetensors`);
      const { code, out } = await nca('convert', join(dir, 'float32.safetensors'), output, '--quantize', form);
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(
        new RegExp(`wrote .*small-${form}.safetensors \\(${form}\\): [\\d,]+ -> [\\d,]+ bytes; after ${QUANTIZE_CHECK_STEPS} steps`),
      );
      const bytes = await readFile(output);
      sizes[form] = bytes.length;
      expect(decodeSafetensors(bytes).tensors['dense1.weight']?.dtype).toBe(dtype);
      const small = readModel(bytes);
      // Each weight within half a step of its tensor's 8-bit grid (or float16's rounding) of the float32 value.
      const dense1 = float32.params.dense1Weight;
      const range = Math.max(...dense1) - Math.min(...dense1);
      const tolerance = form === 'u8' ? range / 255 / 2 + 1e-6 : 1e-3;
      small.params.dense1Weight.forEach((w, i) => expect(Math.abs(w - dense1[i]!)).toBeLessThanOrEqual(tolerance));
      expect(small.config).toEqual(float32.config);
    }
    const f32Bytes = (await readFile(join(dir, 'float32.safetensors'))).length;
    expect(sizes['u8']).toBeLessThan(sizes['f16']!);
    expect(sizes['f16']).toBeLessThan(f32Bytes);
    // nca render runs the 8-bit file as it runs any.
    const rendered = await nca('render', join(dir, 'small-u8.safetensors'), '--steps', '20', '--png', join(dir, 'small-u8.png'));
    expect(rendered.code).toBe(0);
    expect((await readFile(join(dir, 'small-u8.png'))).subarray(1, 4).toString()).toBe('PNG');
    // Our writer's u8 equals what --quantize wrote: one encoder.
    expect(Buffer.compare(await readFile(join(dir, 'small-u8.safetensors')), Buffer.from(writeModel(float32, { dtype: 'uint8' })))).toBe(0);
  });

  it('refuses --quantize with --to torch, and a form it does not know, writing nothing', async () => {
    const model = join(dir, 'float32.safetensors');
    const torch = await nca('convert', model, join(dir, 'q.pt'), '--to', 'torch', '--quantize', 'u8');
    expect(torch.code).toBe(2);
    expect(torch.err.join('\n')).toMatch(/--quantize writes our weights file; --to torch writes the notebook's float32 state dict/);
    const unknown = await nca('convert', model, join(dir, 'q.safetensors'), '--quantize', 'u4');
    expect(unknown.code).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/'u4' is invalid.*u8, f16, f32/);
    await expect(readFile(join(dir, 'q.safetensors'))).rejects.toThrow(/ENOENT/);
    await expect(readFile(join(dir, 'q.pt'))).rejects.toThrow(/ENOENT/);
  });
});
