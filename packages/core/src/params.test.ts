import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { paramsToTensors, tensorsToParams } from './params.ts';
import { createParams } from './freshParams.ts';
import { createRng } from './rng.ts';

describe('createParams', () => {
  it('draws the first layer glorot-uniform and zeroes the rest', () => {
    const p = createParams(DEFAULT_CONFIG, createRng(1));
    const limit = Math.sqrt(6 / (48 + 128));
    expect(p.dense1Weight.length).toBe(48 * 128);
    const max = p.dense1Weight.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(max).toBeLessThanOrEqual(limit);
    expect(max).toBeGreaterThan(0.95 * limit);
    const mean = p.dense1Weight.reduce((s, v) => s + v, 0) / p.dense1Weight.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(p.dense1Bias.every((v) => v === 0)).toBe(true);
    expect(p.dense2Weight.length).toBe(128 * 16);
    expect(p.dense2Weight.every((v) => v === 0)).toBe(true);
    expect(p.dense2Bias.every((v) => v === 0)).toBe(true);
  });

  it('is reproducible from the seed', () => {
    expect(createParams(DEFAULT_CONFIG, createRng(5)).dense1Weight).toEqual(createParams(DEFAULT_CONFIG, createRng(5)).dense1Weight);
  });

  it('round-trips through tensors', async () => {
    const p = createParams({ channels: 4, hidden: 3 }, createRng(2));
    p.dense2Bias.set([1, 2, 3, 4]);
    const t = paramsToTensors(p, { channels: 4, hidden: 3 });
    expect(t.dense1Weight.shape).toEqual([12, 3]);
    expect(t.dense2Weight.shape).toEqual([3, 4]);
    expect(await tensorsToParams(t)).toEqual(p);
  });
});
