import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from './errors.ts';
import { readModel, writeModel } from './model.ts';
import { mulberry32, smallModel } from './test-support.ts';

// Change the seed to explore further; a failure prints the seed, iteration and mutation.
const SEED = 0x5eed_2024;
const ITERATIONS = 12_000;

describe('fuzz: truncations and byte flips of valid model files', () => {
  it(`every outcome is a model or a WeightsFormatError (${ITERATIONS} cases, seed ${SEED})`, () => {
    const random = mulberry32(SEED);
    const int = (n: number): number => Math.floor(random() * n);
    const bases = (['float32', 'float16', 'uint8'] as const).map((dtype) => writeModel(smallModel(), { dtype }));
    const outcomes = new Map<string, number>();
    const failures: string[] = [];

    for (let i = 0; i < ITERATIONS; i++) {
      const base = bases[i % bases.length] ?? new Uint8Array(0);
      const headerEnd = 8 + new DataView(base.buffer).getUint32(0, true);
      let bytes = base.slice();
      const steps: string[] = [];
      const flip = (from: number, to: number): void => {
        const at = from + int(to - from);
        const value = random() < 0.5 ? (bytes[at] ?? 0) ^ (1 << int(8)) : int(256);
        bytes[at] = value;
        steps.push(`bytes[${at}] = ${value}`);
      };
      const kind = int(10);
      if (kind < 4) {
        // Tensor data: reaches the dequantization and finiteness checks.
        for (let n = 1 + int(4); n > 0; n--) {
          flip(headerEnd, bytes.length);
        }
      } else if (kind < 6) {
        // One digit of the header JSON for another: the JSON stays valid, so the shape,
        // offset, version and config checks get hostile values.
        const digits = [...bytes.subarray(8, headerEnd).keys()].filter((k) => (bytes[8 + k] ?? 0) >= 0x30 && (bytes[8 + k] ?? 0) <= 0x39);
        for (let n = 1 + int(2); n > 0; n--) {
          const at = 8 + (digits[int(digits.length)] ?? 0);
          bytes[at] = 0x30 + int(10);
          steps.push(`bytes[${at}] = '${String.fromCharCode(bytes[at] ?? 0)}'`);
        }
      } else if (kind < 8) {
        // Anywhere in the length prefix and header.
        for (let n = 1 + int(4); n > 0; n--) {
          flip(0, headerEnd);
        }
      }
      if (kind >= 8 || random() < 0.1) {
        const length = int(bytes.length);
        bytes = bytes.subarray(0, length);
        steps.push(`truncate to ${length}`);
      }
      try {
        const { config, params } = readModel(bytes);
        // Whatever is accepted must be usable: lengths match the config, every value finite.
        const { channels: c, hidden: h } = config;
        const lengths = [params.dense1Weight.length, params.dense1Bias.length, params.dense2Weight.length, params.dense2Bias.length];
        const finite = Object.values(params).every((values: Float32Array) => values.every(Number.isFinite));
        if (lengths.join() !== [3 * c * h, h, h * c, c].join() || !finite) {
          failures.push(`seed ${SEED}, iteration ${i} (${steps.join(', ')}): accepted an unusable model`);
        }
        outcomes.set('valid', (outcomes.get('valid') ?? 0) + 1);
      } catch (error) {
        if (error instanceof WeightsFormatError) {
          outcomes.set(error.code, (outcomes.get(error.code) ?? 0) + 1);
        } else {
          failures.push(`seed ${SEED}, iteration ${i} (${steps.join(', ')}): ${String(error)}`);
        }
      }
    }

    expect(failures.slice(0, 10)).toEqual([]);
    // The mutations must reach deep enough to matter: valid files and many kinds of rejection.
    expect(outcomes.get('valid') ?? 0).toBeGreaterThan(100);
    expect([...outcomes.keys()].length).toBeGreaterThanOrEqual(10);
    expect(outcomes.get('NON_FINITE') ?? 0).toBeGreaterThan(0);
  });
});
