// Python reads our weights files with Hugging Face's `safetensors` package alone, in every form
// (`nca convert --quantize u8|f16`): the values it dequantizes from the file's own metadata are
// the ones our reader returns. Needs a `python3` with `safetensors` and `numpy`
// (`pip install safetensors`); skipped where it has none.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '@nca-studio/trainer';
import { readModel } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = resolve(import.meta.dirname, '../packages/weights-format/scripts/read_weights.py');
const LIZARD = resolve(import.meta.dirname, '../packages/viewer/public/models/lizard.safetensors');

function hasSafetensors(): boolean {
  try {
    execFileSync('python3', ['-c', 'import safetensors, numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasSafetensors())("Python's safetensors reads every form of our weights", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nca-python-'));
    for (const form of ['u8', 'f16', 'f32']) {
      const code = await main(['convert', LIZARD, join(dir, `${form}.safetensors`), '--quantize', form], { log: () => {}, error: () => {} });
      expect(code).toBe(0);
    }
  });

  it.each([
    ['u8', 'U8'],
    ['f16', 'F16'],
    ['f32', 'F32'],
  ])('%s: the stored dtype is %s and the values equal our reader (<= 1e-6)', async (form, dtype) => {
    const file = join(dir, `${form}.safetensors`);
    const python = JSON.parse(execFileSync('python3', [SCRIPT, file], { encoding: 'utf8' })) as Record<string, { dtype: string; values: number[] }>;
    const ours = readModel(await readFile(file)).params;
    const pairs = [
      ['dense1.weight', ours.dense1Weight],
      ['dense1.bias', ours.dense1Bias],
      ['dense2.weight', ours.dense2Weight],
      ['dense2.bias', ours.dense2Bias],
    ] as const;
    for (const [name, values] of pairs) {
      expect(python[name]!.dtype).toBe(dtype);
      expect(python[name]!.values).toHaveLength(values.length);
      const worst = Math.max(...python[name]!.values.map((v, i) => Math.abs(v - values[i]!)));
      expect(worst, name).toBeLessThanOrEqual(1e-6);
    }
  });
});
