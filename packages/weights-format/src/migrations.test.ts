import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config.ts';
import { WeightsFormatError } from './errors.ts';
import { migrate, MIGRATIONS } from './migrations.ts';
import { FORMAT_VERSION, readModel } from './model.ts';
import { encodeSafetensors } from './safetensors.ts';
import type { SafetensorsFile } from './safetensors.ts';
import { float32ToBytes } from './tensor-data.ts';
import { mulberry32, randomParams } from './test-support.ts';

/** A file in the pre-release layout: old config keys, tensors w1/b1/w2/b2. */
function version0File(config: Record<string, unknown>): { file: SafetensorsFile; params: ReturnType<typeof randomParams> } {
  const shapes = { channels: 8, hidden: 16 };
  const params = randomParams({ ...DEFAULT_CONFIG, ...shapes }, mulberry32(4));
  const f32 = (values: Float32Array, shape: number[]): SafetensorsFile['tensors'][string] => ({ dtype: 'F32', shape, bytes: float32ToBytes(values) });
  const file: SafetensorsFile = {
    metadata: { format: 'nca-weights', format_version: '0', config: JSON.stringify(config) },
    tensors: {
      w1: f32(params.dense1Weight, [24, 16]),
      b1: f32(params.dense1Bias, [16]),
      w2: f32(params.dense2Weight, [16, 8]),
      b2: f32(params.dense2Bias, [8]),
    },
  };
  return { file, params };
}

describe('migrations', () => {
  it('has one step per version, from 0 up to FORMAT_VERSION', () => {
    expect(MIGRATIONS).toHaveLength(FORMAT_VERSION);
    MIGRATIONS.forEach((step, version) => {
      expect([step.from, step.to]).toEqual([version, version + 1]);
    });
  });

  it('reads a format_version "0" file: config keys and tensor names migrated', () => {
    const { file, params } = version0File({ channel_n: 8, hidden_n: 16, fire_rate: 0.25, grid_size: 40 });
    const model = readModel(encodeSafetensors(file));
    expect(model.config).toEqual({
      channels: 8,
      hidden: 16,
      padding: 'zero',
      sobelScale: 0.125,
      angle: 0,
      tanh: false,
      fireRate: 0.25,
      aliveThreshold: 0.1,
      aliveMasking: 'pre-post',
      clampRgba: false,
      laplacian: false,
      clip: null,
      start: 'seed',
      display: 'rgba',
      gridWidth: 40,
      gridHeight: 40,
    });
    expect(model.params).toEqual(params);
  });

  it('reads a format_version "1" file as before the texture model: no Laplacian, no clip, a seed, RGBA', () => {
    const { file, params } = version0File({ channel_n: 8, hidden_n: 16 });
    const v1 = migrate(file, 0, 1);
    const model = readModel(encodeSafetensors(v1));
    expect(model.config).toMatchObject({ laplacian: false, clip: null, start: 'seed', display: 'rgba', aliveMasking: 'pre-post' });
    expect(model.params).toEqual(params);
    expect(migrate(v1, 1, 2).metadata['format_version']).toBe('2');
  });

  it('refuses a format_version "1" file that names a version 2 field or value', () => {
    const { file } = version0File({ channel_n: 8, hidden_n: 16 });
    const v1 = migrate(file, 0, 1);
    const withConfig = (change: Record<string, unknown>): Uint8Array => {
      const config = { ...JSON.parse(v1.metadata['config']!), ...change };
      return encodeSafetensors({ ...v1, metadata: { ...v1.metadata, config: JSON.stringify(config) } });
    };
    expect(() => readModel(withConfig({ laplacian: true }), { source: 'old.safetensors' })).toThrow(
      /^old\.safetensors: config has 'laplacian', a format_version 2 field, in a format_version 1 file$/,
    );
    expect(() => readModel(withConfig({ clip: 2 }))).toThrow(/'clip', a format_version 2 field/);
    expect(() => readModel(withConfig({ alive_masking: 'none' }))).toThrow(/alive_masking "none" is format_version 2/);
  });

  it('does not change the file it migrates', () => {
    const { file } = version0File({ channel_n: 8, hidden_n: 16 });
    const before = JSON.stringify(file.metadata);
    const migrated = migrate(file, 0, 1);
    expect(JSON.stringify(file.metadata)).toBe(before);
    expect(Object.keys(file.tensors)).toEqual(['w1', 'b1', 'w2', 'b2']);
    expect(Object.keys(migrated.tensors)).toEqual(['dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias']);
    expect(migrated.metadata['format_version']).toBe('1');
  });

  it('validates a migrated config by the current rules, naming the current field', () => {
    const { file } = version0File({ channel_n: 2, hidden_n: 16 });
    const error = (() => {
      try {
        readModel(encodeSafetensors(file), { source: 'old.safetensors' });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(WeightsFormatError);
    expect((error as WeightsFormatError).code).toBe('BAD_CONFIG');
    expect((error as WeightsFormatError).message).toMatch(/^old\.safetensors: config\.channels must be an integer in 4\.\.64, got 2$/);
  });

  it('refuses a version 0 config that is not JSON', () => {
    const { file } = version0File({});
    file.metadata['config'] = 'channel_n=8';
    expect(() => readModel(encodeSafetensors(file))).toThrow(/format_version 0 config is not valid JSON/);
  });
});
