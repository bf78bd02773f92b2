// The texture article's 66 models (CC BY 4.0 test data in ../shared, never in this repo), imported
// by `nca convert --from distill-textures`, against texture_ref.py, the folder's independent NumPy
// runner: 20 steps at fire rate 1 from the same random state. Needs ../shared and Debian's
// python3 with NumPy and Pillow (`pnpm test:setup` installs python3-pil); skipped without them,
// unless NCA_TEST_TORCH=1 (CI, which has both) makes a missing Python a failure.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { createRng, disposeParams, paramsToTensors, step } from '@nca-studio/core';
import { main } from '@nca-studio/trainer';
import { readModel, TEXTURE_CONFIG } from '@nca-studio/weights-format';
import type { NcaModel } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';

const TEXTURES_DIR = fileURLToPath(new URL('../../shared/fixtures/distill-textures/', import.meta.url));
const PYTHON = '/usr/bin/python3';

function hasNumpyRunner(): boolean {
  if (!existsSync(TEXTURES_DIR)) {
    return false;
  }
  try {
    execFileSync(PYTHON, ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env['NCA_TEST_TORCH'] === '1') {
      throw new Error(`${PYTHON} cannot import numpy and PIL: apt-get install python3-pil (pnpm test:setup does)`);
    }
    return false;
  }
}

/** The models of the goals and of the README's checks: DTD photos, the painting, a feature visualisation. */
const NAMES = ['bubbly_0101', 'banded_0037', 'chequered_0121', 'interlaced_0172', 'mondrian', 'mixed4a_472'];
const [SIZE, STEPS] = [32, 20];

/** texture_ref.py's own step, imported as a module: its decoding of models.json and its clips. */
const REFERENCE = `
import sys, numpy as np
sys.path.insert(0, sys.argv[1])
import texture_ref
models = texture_ref.load_models(sys.argv[1] + 'models.json')
state = np.fromfile(sys.argv[3], dtype='<f4').reshape(${SIZE}, ${SIZE}, 12)
for _ in range(${STEPS}):
    state = texture_ref.step(state, models[sys.argv[2]], np.random.default_rng(0), fire_rate=1.0)
state.astype('<f4').tofile(sys.argv[4])
`;

describe.skipIf(!hasNumpyRunner())("the texture article's models: imported, and run as texture_ref.py runs them", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-textures-'));
    const err: string[] = [];
    const code = await main(['convert', '--from', 'distill-textures', join(TEXTURES_DIR, 'models.json'), join(dir, 'models')], {
      log: () => {},
      error: (line) => err.push(line),
    });
    expect(code, err.join('\n')).toBe(0);
  });

  it('writes all 66, listed in the file order, each with its exemplar and the credit', async () => {
    const index = JSON.parse(await readFile(join(dir, 'models', 'index.json'), 'utf8')) as { models: { id: string; file: string }[] };
    expect(index.models).toHaveLength(66);
    expect(index.models[0]!.id).toBe('bubbly_0101');
    expect(index.models[38]!.id).toBe('mondrian');
    const model = readModel(await readFile(join(dir, 'models', 'bubbly_0101.safetensors')));
    expect(model.config).toEqual(TEXTURE_CONFIG);
    expect(model.source).toMatchObject({ name: 'bubbly_0101', license: 'CC BY 4.0', url: 'https://distill.pub/selforg/2021/textures' });
    // The README's decoded values of bubbly_0101.
    expect(model.params.dense1Weight[47 * 96 + 95]).toBeCloseTo(0.299321, 6);
    expect(Array.from(model.params.dense2Bias.subarray(0, 4))).toEqual([-0.115533, -0.077022, -0.019255, 0.072208].map((v) => expect.closeTo(v, 6)));
    // Its exemplar, cell 0 of the sheet: teal bubbles (the README's mean colour 0.080/0.275/0.312).
    expect([model.target?.width, model.target?.height]).toEqual([128, 128]);
    const mean = [0, 1, 2].map((c) => model.target!.data.filter((_, i) => i % 4 === c).reduce((a, b) => a + b, 0) / (128 * 128 * 255));
    expect(mean[0]).toBeCloseTo(0.08, 1);
    expect(mean[1]).toBeCloseTo(0.275, 1);
    expect(mean[2]).toBeCloseTo(0.312, 1);
  });

  it.each(NAMES)(`%s: core's step = texture_ref.py within 1e-4 after ${STEPS} steps at fire rate 1 from the same random state`, async (name) => {
    const model: NcaModel = readModel(await readFile(join(dir, 'models', `${name}.safetensors`)));
    const rng = createRng(NAMES.indexOf(name) + 1);
    const start = Float32Array.from({ length: SIZE * SIZE * 12 }, () => (rng.next() * 2 - 1) * 1.5);
    const [startFile, endFile] = [join(dir, `${name}.start.f32`), join(dir, `${name}.end.f32`)];
    await writeFile(startFile, start);
    execFileSync(PYTHON, ['-c', REFERENCE, TEXTURES_DIR, name, startFile, endFile]);
    const reference = new Float32Array((await readFile(endFile)).buffer.slice(0));

    const config = { ...model.config, gridWidth: SIZE, gridHeight: SIZE };
    const params = paramsToTensors(model.params, config);
    let state = tf.tensor4d(start, [1, SIZE, SIZE, 12]);
    const fire = tf.ones([1, SIZE, SIZE, 1]) as tf.Tensor4D;
    for (let t = 0; t < STEPS; t++) {
      const next = step(state, params, config, { fire });
      state.dispose();
      state = next;
    }
    const ours = state.dataSync();
    tf.dispose([state, fire]);
    disposeParams(params);
    let max = 0;
    for (let i = 0; i < ours.length; i++) {
      max = Math.max(max, Math.abs(ours[i]! - reference[i]!));
    }
    expect(max).toBeLessThanOrEqual(1e-4);
    // Not a trivial agreement: the state moved and the clips are at work.
    expect(reference.some((v, i) => Math.abs(v - start[i]!) > 0.1)).toBe(true);
    expect(reference.filter((v) => Math.abs(v) === 2).length).toBeGreaterThan(0);
  });
});
