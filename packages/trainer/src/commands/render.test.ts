import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, disposeParams, paramsToTensors, run, seedState } from '@nca-studio/core';
import { DEFAULT_CONFIG, TEXTURE_CONFIG, writeModel, type NcaConfig, type NcaModel } from '@nca-studio/weights-format';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends/backend.ts';
import { nca } from '../testing/cli.ts';
import { decodeNpy } from '../files/npy.ts';
import { parseDamage } from './choices.ts';
import { renderModel } from './render.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, channels: 4, hidden: 2, gridWidth: 16, gridHeight: 12 };

/** Every alive cell adds ds = [0.1, 0.2, 0.3, 0.4] each step (hidden unit 0 is a constant 1). */
const constant: NcaModel = {
  config,
  params: {
    dense1Weight: new Float32Array(12 * 2),
    dense1Bias: Float32Array.from([1, 0]),
    dense2Weight: Float32Array.from([0.1, 0.2, 0.3, 0.4, 9, 9, 9, 9]),
    dense2Bias: new Float32Array(4),
  },
};

/** A model with random weights (a fixed seed), whose cells all do different things. */
function randomModel(overrides: Partial<NcaConfig> = {}): NcaModel {
  const random = createRng(3);
  const c: NcaConfig = { ...DEFAULT_CONFIG, channels: 8, hidden: 16, gridWidth: 24, gridHeight: 20, ...overrides };
  const fill = (n: number, spread: number): Float32Array => Float32Array.from({ length: n }, () => (random.next() * 2 - 1) * spread);
  return { config: c, params: { dense1Weight: fill(24 * 16, 0.5), dense1Bias: fill(16, 0.1), dense2Weight: fill(16 * 8, 0.2), dense2Bias: fill(8, 0.02) } };
}

/** core's step on the whole grid, `steps` times, every cell firing. */
function fullGrid(model: NcaModel, steps: number): Float32Array {
  const c = { ...model.config, fireRate: 1 };
  const params = paramsToTensors(model.params, c);
  const seed = seedState({ height: c.gridHeight, width: c.gridWidth, channels: c.channels });
  const state = run(seed, params, c, steps, createRng(0));
  const data = new Float32Array(state.dataSync());
  tf.dispose([seed, state]);
  disposeParams(params);
  return data;
}

const alphaAt = (state: Float32Array, x: number, y: number, width = 16): number => state[(y * width + x) * 4 + 3]!;

let dir: string;
let modelFile: string;
beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'nca-render-'));
  modelFile = join(dir, 'constant.safetensors');
  await writeFile(modelFile, writeModel(constant));
  await writeFile(join(dir, 'not-a-model.safetensors'), 'hello');
}, 60_000);

describe('renderModel', () => {
  it('grows the constant model as computed by hand: alpha 0.4 (n - d + 1) at distance d after n steps', async () => {
    const { state, width, height } = await renderModel(constant, { steps: 3, fireRate: 1 });
    expect([width, height]).toEqual([16, 12]);
    // The seed is at (8, 6).
    expect(alphaAt(state, 8, 6)).toBeCloseTo(1 + 3 * 0.4, 5);
    expect(alphaAt(state, 9, 6)).toBeCloseTo(1.2, 5);
    expect(alphaAt(state, 10, 4)).toBeCloseTo(0.8, 5);
    expect(alphaAt(state, 11, 9)).toBeCloseTo(0.4, 5);
    expect(alphaAt(state, 12, 6)).toBe(0);
  });

  it("equals core's run with step on the whole grid (tfjs), for every border and mask", async () => {
    for (const overrides of [{}, { padding: 'wrap' }, { padding: 'reflect' }, { aliveMasking: 'post' }] as const) {
      for (const steps of [1, 4, 9]) {
        const model = randomModel(overrides);
        const rendered = (await renderModel(model, { steps, fireRate: 1 })).state;
        const full = fullGrid(model, steps);
        expect(full.some((v) => v !== 0)).toBe(true);
        expect(Math.max(...rendered.map((v, i) => Math.abs(v - full[i]!)))).toBeLessThan(1e-5);
      }
    }
  });

  it('erases each damage disc after its step, then lets it regrow', async () => {
    const damage = [{ x: 8, y: 6, radius: 1.5, step: 4 }];
    const erased = (await renderModel(constant, { steps: 4, fireRate: 1, damage })).state;
    expect([alphaAt(erased, 8, 6), alphaAt(erased, 9, 7), alphaAt(erased, 10, 6)]).toEqual([0, 0, expect.closeTo(1.2, 5)]);
    const regrown = (await renderModel(constant, { steps: 6, fireRate: 1, damage })).state;
    expect(alphaAt(regrown, 8, 6)).toBeGreaterThan(0.1);
  });

  it('continues from a start state', async () => {
    const model = randomModel();
    const two = (await renderModel(model, { steps: 2, fireRate: 1 })).state;
    expect((await renderModel(model, { steps: 3, fireRate: 1, start: two })).state).toEqual((await renderModel(model, { steps: 5, fireRate: 1 })).state);
    await expect(renderModel(model, { steps: 1, start: new Float32Array(7) })).rejects.toThrow(/the start state has 7 values, expected 20 x 24 x 8/);
  });

  it('takes its randomness from the seed, and fire rate 0 changes nothing', async () => {
    const a = (await renderModel(constant, { steps: 5, seed: 1 })).state;
    expect((await renderModel(constant, { steps: 5, seed: 1 })).state).toEqual(a);
    expect((await renderModel(constant, { steps: 5, seed: 2 })).state).not.toEqual(a);
    const still = await renderModel(constant, { steps: 5, fireRate: 0 });
    expect(still.state).toEqual(tf.tidy(() => seedState({ height: 12, width: 16, channels: 4 }).dataSync()));
    expect(still.config.fireRate).toBe(0);
  });

  it('runs on another grid size and keeps a frame every N steps and the last', async () => {
    const result = await renderModel(constant, { steps: 7, width: 9, height: 30, frameEvery: 3 });
    expect([result.width, result.height, result.state.length]).toEqual([9, 30, 9 * 30 * 4]);
    expect(result.frames.map((f) => [f.width, f.height])).toEqual([
      [9, 30],
      [9, 30],
      [9, 30],
      [9, 30],
    ]);
  });

  it.each([
    [{ steps: -1 }, /--steps must be a non-negative integer/],
    [{ steps: 5, width: 2 }, /--size: width must be an integer from 3 to 2048, got 2/],
    [{ steps: 5, fireRate: 1.5 }, /--fire-rate must be a number from 0 to 1/],
    [{ steps: 5, damage: [{ x: 16, y: 1, radius: 2, step: 1 }] }, /--damage 16,1,2@1: the centre is outside the 16x12 grid/],
    [{ steps: 5, damage: [{ x: 1, y: 1, radius: 2, step: 6 }] }, /--damage 1,1,2@6: needs a radius > 0 and a step from 0 to 5/],
  ])('refuses %o', async (options, message) => {
    await expect(renderModel(constant, options)).rejects.toThrow(message);
  });
});

describe('flag parsers', () => {
  it('parse X,Y,R@STEP', () => {
    expect(parseDamage('36,36,12@300')).toEqual({ x: 36, y: 36, radius: 12, step: 300 });
    expect(parseDamage('1.5, 2, 3.25 @ 0')).toEqual({ x: 1.5, y: 2, radius: 3.25, step: 0 });
    expect(parseDamage('36,36,12')).toBeNull();
    expect(parseDamage('36,36@3')).toBeNull();
  });
});

describe('nca render', () => {
  it('writes the final frame over white, the growth GIF and the state as .npy', async () => {
    const png = join(dir, 'out', 'final.png');
    const gif = join(dir, 'out', 'growth.gif');
    const npy = join(dir, 'out', 'state.npy');
    const { code, out, err } = await nca(
      'render',
      modelFile,
      '--steps',
      '4',
      '--fire-rate',
      '1',
      '--scale',
      '3',
      '--png',
      png,
      '--gif',
      gif,
      '--gif-every',
      '2',
      '--state',
      npy,
    );
    expect([code, err]).toEqual([0, []]);
    expect(out[0]).toMatch(
      /^rendered .*constant\.safetensors: 4 steps on 16x12 \(fire rate 1, seed 1, core's rollout kernel \((?:relaxed-)?simd\)\) in [\d.]+ s; 81 cells with alpha > 0\.1$/,
    );
    expect(out.slice(1)).toEqual([
      `wrote ${png} (48x36, final state over white)`,
      `wrote ${gif} (3 frames, one every 2 steps)`,
      `wrote ${npy} (float32 [12, 16, 4])`,
    ]);

    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([48, 36]);
    const pixel = (x: number, y: number): number[] => Array.from(data.subarray((y * 48 + x) * info.channels, (y * 48 + x) * info.channels + 3));
    expect(pixel(0, 0)).toEqual([255, 255, 255]);
    // The seed cell (8, 6), upscaled x3: rgb 0.4, 0.8, 1.2 plus (1 - 1) * white, clamped.
    expect(pixel(8 * 3 + 1, 6 * 3 + 1)).toEqual([102, 204, 255]);

    const meta = await sharp(gif, { animated: true }).metadata();
    expect([meta.format, meta.pages, meta.width, meta.pageHeight]).toEqual(['gif', 3, 48, 36]);

    const state = decodeNpy(await readFile(npy));
    expect(state.shape).toEqual([12, 16, 4]);
    expect(state.data).toEqual((await renderModel(constant, { steps: 4, fireRate: 1 })).state);
  });

  it('applies --size, --seed and repeated --damage flags', async () => {
    const npy = join(dir, 'damaged.npy');
    const { code } = await nca(
      'render',
      modelFile,
      '--steps',
      '5',
      '--size',
      '20x10',
      '--seed',
      '9',
      '--damage',
      '10,5,1@3',
      '--damage',
      '12,5,1@5',
      '--state',
      npy,
    );
    expect(code).toBe(0);
    const state = decodeNpy(await readFile(npy));
    expect(state.shape).toEqual([10, 20, 4]);
    const expected = await renderModel(constant, {
      steps: 5,
      width: 20,
      height: 10,
      seed: 9,
      damage: [
        { x: 10, y: 5, radius: 1, step: 3 },
        { x: 12, y: 5, radius: 1, step: 5 },
      ],
    });
    expect(state.data).toEqual(expected.state);
    expect(alphaAt(state.data, 12, 5, 20)).toBe(0);
  });

  it.each([
    [['missing.safetensors'], /^nca: model file not found: .*missing\.safetensors$/],
    [['not-a-model.safetensors'], /^nca: .*not-a-model\.safetensors: /],
    [['constant.safetensors', '--size', '2x2'], /--size.*expected WxH with each side from 3 to 2048/],
    [['constant.safetensors', '--size', 'big'], /--size.*got "big"/],
    [['constant.safetensors', '--damage', '1,2@3'], /--damage.*expected X,Y,R@STEP/],
    [['constant.safetensors', '--damage', '99,2,3@1'], /^nca: --damage 99,2,3@1: the centre is outside the 16x12 grid$/],
    [['constant.safetensors', '--fire-rate', '2'], /--fire-rate.*expected a number from 0 to 1/],
    [['constant.safetensors', '--steps', '-3'], /--steps/],
  ])('bad input %j: exit code 2 and a clear message', async (args, message) => {
    const [file, ...rest] = args;
    const { code, out, err } = await nca('render', join(dir, file!), ...rest);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
  });
});

describe('render of a texture model (docs/design.md §3.6)', () => {
  /** A small texture model with random weights: zeros start, clips, signed RGB. */
  function textureModel(): NcaModel {
    const random = createRng(5);
    const c: NcaConfig = { ...TEXTURE_CONFIG, channels: 8, hidden: 16, gridWidth: 20, gridHeight: 16 };
    const fill = (n: number, spread: number): Float32Array => Float32Array.from({ length: n }, () => (random.next() * 2 - 1) * spread);
    return { config: c, params: { dense1Weight: fill(32 * 16, 0.8), dense1Bias: fill(16, 0.3), dense2Weight: fill(16 * 8, 0.5), dense2Bias: fill(8, 0.2) } };
  }

  it('starts from zeros, equals core run with step, and writes the signed colours x / 2 + 0.5', async () => {
    const model = textureModel();
    const result = await renderModel(model, { steps: 12, seed: 4 });
    const params = paramsToTensors(model.params, model.config);
    const zeros = tf.zeros([1, 16, 20, 8]) as tf.Tensor4D;
    const reference = run(zeros, params, model.config, 12, createRng(4));
    const expected = reference.dataSync();
    tf.dispose([zeros, reference]);
    disposeParams(params);
    expect(Math.max(...result.state.map((v, i) => Math.abs(v - expected[i]!)))).toBeLessThanOrEqual(1e-4);
    expect(Math.max(...result.state.map(Math.abs))).toBeLessThanOrEqual(2);

    const file = join(dir, 'texture.safetensors');
    await writeFile(file, writeModel(model));
    const png = join(dir, 'texture.png');
    const { code, out } = await nca('render', file, '--steps', '12', '--seed', '4', '--scale', '1', '--png', png);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/12 steps on 20x16 .* state in \[-?\d\.\d\d, -?\d\.\d\d\]$/);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const cell = 7 * 20 + 5;
    for (let ch = 0; ch < 3; ch++) {
      expect(data[cell * info.channels + ch]).toBe(Math.round(Math.min(1, Math.max(0, result.state[cell * 8 + ch]! / 2 + 0.5)) * 255));
    }
  });

  it('--init continues from a state --state wrote: 6 + 6 steps = the 6 after the first 6 (same fire draws)', async () => {
    const file = join(dir, 'texture.safetensors');
    await writeFile(file, writeModel(textureModel()));
    const [half, whole, continued] = [join(dir, 'half.npy'), join(dir, 'whole.npy'), join(dir, 'continued.npy')];
    expect((await nca('render', file, '--steps', '6', '--fire-rate', '1', '--state', half)).code).toBe(0);
    expect((await nca('render', file, '--steps', '12', '--fire-rate', '1', '--state', whole)).code).toBe(0);
    expect((await nca('render', file, '--steps', '6', '--fire-rate', '1', '--init', half, '--state', continued)).code).toBe(0);
    const [a, b] = [decodeNpy(await readFile(whole)).data, decodeNpy(await readFile(continued)).data];
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThanOrEqual(1e-5);
  });

  it('refuses an --init of another shape, another size, or no file, before any step (exit 2)', async () => {
    const file = join(dir, 'texture.safetensors');
    const half = join(dir, 'half.npy');
    const size = await nca('render', file, '--steps', '1', '--init', half, '--size', '32x32');
    expect([size.code, size.err]).toEqual([2, [`nca: --init ${half} is a 20x16 grid, --size says 32x32: give one of them`]]);
    const other = await nca('render', modelFile, '--steps', '1', '--init', half);
    expect(other.code).toBe(2);
    expect(other.err[0]).toMatch(/shape \(16, 20, 8\), expected \(height, width, 4\) for this model/);
    const missing = await nca('render', file, '--steps', '1', '--init', join(dir, 'nowhere.npy'));
    expect(missing.err).toEqual([`nca: --init: file not found: ${join(dir, 'nowhere.npy')}`]);
  });
});
