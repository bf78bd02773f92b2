import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, configToJson } from './config.ts';
import { WeightsFormatError } from './errors.ts';
import { FORMAT_VERSION, parameterCount, readModel, writeModel } from './model.ts';
import type { NcaModel, NcaParams } from './model.ts';
import { decodeSafetensors } from './safetensors.ts';
import { mulberry32, randomParams, rewrite, SMALL_CONFIG, smallModel } from './test-support.ts';

const PARAM_KEYS = ['dense1Weight', 'dense1Bias', 'dense2Weight', 'dense2Bias'] as const;

function defaultModel(seed = 7): NcaModel {
  return { config: { ...DEFAULT_CONFIG }, params: randomParams(DEFAULT_CONFIG, mulberry32(seed)) };
}

function thrown(run: () => unknown): WeightsFormatError {
  try {
    run();
  } catch (error) {
    if (error instanceof WeightsFormatError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a WeightsFormatError');
}

describe('parameterCount', () => {
  it('is 8336 for the default model (docs/design.md §1: about 8.3k)', () => {
    expect(parameterCount(DEFAULT_CONFIG)).toBe(8336);
    expect(parameterCount({ ...DEFAULT_CONFIG, channels: 4, hidden: 8 })).toBe(96 + 8 + 32 + 4);
  });
});

describe('writeModel / readModel', () => {
  it('round-trips float32 exactly, with config, target, training and source', () => {
    const model = smallModel(3);
    const back = readModel(writeModel(model));
    expect(back).toEqual(model);
    for (const key of PARAM_KEYS) {
      expect(back.params[key]).toBeInstanceOf(Float32Array);
    }
  });

  it('round-trips the default model exactly in float32 (8336 parameters)', () => {
    const model = defaultModel();
    const bytes = writeModel(model);
    expect(bytes.length).toBeGreaterThan(8336 * 4);
    expect(readModel(bytes).params).toEqual(model.params);
  });

  it('stores the metadata keys and tensors of docs/design.md §5', () => {
    const file = decodeSafetensors(writeModel(smallModel(), { dtype: 'uint8' }));
    expect(Object.keys(file.metadata)).toEqual(['format', 'format_version', 'config', 'target', 'training', 'source', 'quantization']);
    expect(file.metadata['format']).toBe('nca-weights');
    expect(file.metadata['format_version']).toBe(String(FORMAT_VERSION));
    expect(JSON.parse(file.metadata['config'] ?? '')).toEqual(configToJson(SMALL_CONFIG));
    expect(JSON.parse(file.metadata['target'] ?? '')).toEqual({ name: 'lizard', size: 1, padding: 1, width: 2, height: 3 });
    const shapes = Object.fromEntries(Object.entries(file.tensors).map(([name, t]) => [name, `${t.dtype} ${t.shape.join('x')}`]));
    expect(shapes).toEqual({
      'dense1.weight': 'U8 12x8',
      'dense1.bias': 'U8 8',
      'dense2.weight': 'U8 8x4',
      'dense2.bias': 'U8 4',
      target: 'U8 3x2x4',
    });
  });

  it('round-trips a model without optional parts, leaving them out', () => {
    const model = defaultModel();
    const back = readModel(writeModel(model));
    expect(Object.keys(back)).toEqual(['config', 'params']);
    expect(Object.keys(decodeSafetensors(writeModel(model)).metadata)).toEqual(['format', 'format_version', 'config']);
  });

  it('float16: within half-precision error, exact on representable values', () => {
    const model = defaultModel(11);
    const back = readModel(writeModel(model, { dtype: 'float16' }));
    for (const key of PARAM_KEYS) {
      model.params[key].forEach((value, i) => {
        const got = back.params[key][i] ?? NaN;
        // Relative error 2^-11 for normals, absolute 2^-25 in the subnormal range.
        expect(Math.abs(got - value)).toBeLessThanOrEqual(Math.max(Math.abs(value) * 2 ** -11, 2 ** -25));
      });
    }
    const exact = Float32Array.of(1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1023 * 2 ** -24, -(2 ** -24), 0.099975586);
    const params: NcaParams = { ...model.params, dense2Bias: new Float32Array(16) };
    params.dense2Bias.set(exact);
    const stored = readModel(writeModel({ ...model, params }, { dtype: 'float16' })).params.dense2Bias;
    expect([...stored]).toEqual([...params.dense2Bias]);
  });

  it('float16: refuses to write a value that overflows to infinity', () => {
    const model = defaultModel();
    model.params.dense1Bias[5] = 70000;
    const error = thrown(() => writeModel(model, { dtype: 'float16' }));
    expect(error.code).toBe('NON_FINITE');
    expect(error.message).toMatch(/'dense1\.bias' value 70000 .* overflows float16 \(max 65504\)/);
    model.params.dense1Bias[5] = 65519; // rounds down to 65504, still finite
    expect(readModel(writeModel(model, { dtype: 'float16' })).params.dense1Bias[5]).toBe(65504);
  });

  it('float16: readModel rejects an infinity stored in the file', () => {
    const bytes = rewrite(writeModel(defaultModel(), { dtype: 'float16' }), (file) => {
      const tensor = file.tensors['dense2.weight'];
      tensor?.bytes.set([0x00, 0x7c], 2 * 17); // +inf at [1, 1] of [128, 16]
    });
    const error = thrown(() => readModel(bytes, { source: 'inf.safetensors' }));
    expect(error.code).toBe('NON_FINITE');
    expect(error.message).toBe("inf.safetensors: tensor 'dense2.weight' has a non-finite value (Infinity) at [1, 1]; weights must be finite");
  });

  it('uint8: within scale / 2 of each value, per-tensor scale and offset in metadata', () => {
    const model = defaultModel(5);
    const bytes = writeModel(model, { dtype: 'uint8' });
    const quantization = JSON.parse(decodeSafetensors(bytes).metadata['quantization'] ?? '') as Record<string, { scale: number; offset: number }>;
    expect(Object.keys(quantization)).toEqual(['dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias']);
    const back = readModel(bytes);
    const names = { dense1Weight: 'dense1.weight', dense1Bias: 'dense1.bias', dense2Weight: 'dense2.weight', dense2Bias: 'dense2.bias' };
    for (const key of PARAM_KEYS) {
      const values = model.params[key];
      const { scale, offset } = quantization[names[key]] ?? { scale: NaN, offset: NaN };
      expect(offset).toBe(Math.min(...values));
      expect(scale).toBeCloseTo((Math.max(...values) - Math.min(...values)) / 255, 12);
      values.forEach((value, i) => {
        expect(Math.abs((back.params[key][i] ?? NaN) - value)).toBeLessThanOrEqual(scale / 2 + 1e-7);
      });
    }
    expect(bytes.length).toBeLessThan(8336 + 1100);
  });

  it('uint8: a constant tensor (scale 0) comes back exactly', () => {
    const model = defaultModel();
    model.params.dense2Weight.fill(0);
    model.params.dense2Bias.fill(-0.25);
    const back = readModel(writeModel(model, { dtype: 'uint8' }));
    expect(back.params.dense2Weight).toEqual(new Float32Array(128 * 16));
    expect([...back.params.dense2Bias]).toEqual(new Array(16).fill(-0.25));
  });

  it('keeps the target pixels byte for byte', () => {
    const data = Uint8Array.from({ length: 72 * 64 * 4 }, (_, i) => (i * 37) % 256);
    const model: NcaModel = { ...defaultModel(), target: { width: 72, height: 64, data } };
    for (const dtype of ['float32', 'float16', 'uint8'] as const) {
      expect(readModel(writeModel(model, { dtype })).target).toEqual({ width: 72, height: 64, data });
    }
  });

  it('refuses params whose lengths do not match the config (BAD_SHAPE)', () => {
    const model = defaultModel();
    const error = thrown(() => writeModel({ ...model, params: { ...model.params, dense1Weight: new Float32Array(10) } }));
    expect(error.code).toBe('BAD_SHAPE');
    expect(error.message).toMatch(/params\.dense1Weight \(dense1\.weight\) has 10 values, expected \[48, 128\] = 6144 for channels 16, hidden 128/);
    const wrongConfig = thrown(() => writeModel({ ...model, config: { ...model.config, hidden: 64 } }));
    expect(wrongConfig.code).toBe('BAD_SHAPE');
  });

  it('refuses a bad config, NaN params and a malformed target before writing', () => {
    const model = defaultModel();
    expect(thrown(() => writeModel({ ...model, config: { ...model.config, fireRate: 3 } })).message).toMatch(/fire_rate/);
    const nan = defaultModel();
    nan.params.dense2Bias[3] = NaN;
    expect(thrown(() => writeModel(nan)).message).toMatch(/'dense2\.bias' has a non-finite value \(NaN\) at \[3\]/);
    const target = { width: 2, height: 2, data: new Uint8Array(15) };
    expect(thrown(() => writeModel({ ...model, target })).code).toBe('BAD_SHAPE');
    expect(thrown(() => writeModel({ ...model, training: [] as unknown as Record<string, unknown> })).code).toBe('BAD_METADATA');
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(thrown(() => writeModel({ ...model, source: cyclic })).code).toBe('BAD_METADATA');
  });

  it('writes the same bytes for the same model', () => {
    expect(writeModel(smallModel(9), { dtype: 'float16' })).toEqual(writeModel(smallModel(9), { dtype: 'float16' }));
  });
});
