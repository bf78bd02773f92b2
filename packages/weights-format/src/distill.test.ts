import { describe, expect, it } from 'vitest';
import { decodeBase64, DISTILL_CONFIG, DistillFormatError, importDistill } from './distill.ts';
import { readModel, writeModel } from './model.ts';
import { mulberry32 } from './test-support.ts';

interface LayerJson {
  data_b64: string;
  in_ch: number;
  out_ch: number;
  weight_scale: number;
  bias_scale: number;
  type: string;
}

/** A plain base64 encoder for building test files (weights-format has no Node types, so no Buffer). */
function encodeBase64(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = [18, 12, 6, 0].map((shift) => alphabet[(n >> shift) & 63]!);
    const kept = Math.min(4, bytes.length - i + 1);
    out += chars.slice(0, kept).join('') + '='.repeat(4 - kept);
  }
  return out;
}

function layer(inCh: number, outCh: number, bytes: Uint8Array, weightScale = 0.5, biasScale = 0.25): LayerJson {
  return { data_b64: encodeBase64(bytes), in_ch: inCh, out_ch: outCh, weight_scale: weightScale, bias_scale: biasScale, type: 'uint8' };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
}

/** A file shaped like the Distill ones, with random bytes. */
function distillJson(seed = 1): LayerJson[] {
  return [layer(48, 128, randomBytes(49 * 128, seed), 0.6, 0.2), layer(128, 16, randomBytes(129 * 16, seed + 1), 0.04, 0.01)];
}

function errorOf(fn: () => unknown): DistillFormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DistillFormatError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a DistillFormatError');
}

describe('decodeBase64', () => {
  it('decodes the RFC 4648 test vectors', () => {
    const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : String.fromCharCode(...bytes));
    const vectors = [
      ['', ''],
      ['Zg==', 'f'],
      ['Zm8=', 'fo'],
      ['Zm9v', 'foo'],
      ['Zm9vYg==', 'foob'],
      ['Zm9vYmE=', 'fooba'],
      ['Zm9vYmFy', 'foobar'],
    ];
    for (const [encoded, decoded] of vectors) {
      expect(text(decodeBase64(encoded!))).toBe(decoded);
    }
  });

  it('round-trips random bytes of every padding length', () => {
    for (const n of [1, 2, 3, 4, 5, 100, 6272]) {
      const bytes = randomBytes(n, n);
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
    }
  });

  it('refuses text that is not base64', () => {
    expect(decodeBase64('abc')).toBeNull();
    expect(decodeBase64('ab!d')).toBeNull();
    expect(decodeBase64('a=bc')).toBeNull();
  });
});

describe('importDistill', () => {
  it('dequantizes weights row-major [in, out] and takes the bias from the last row', () => {
    const json = distillJson();
    const model = importDistill(json);
    const q0 = randomBytes(49 * 128, 1);
    const q1 = randomBytes(129 * 16, 2);
    // Input r (filter-major: identity 0..15, sobel_x 16..31, sobel_y 32..47) to hidden o.
    for (const [r, o] of [
      [0, 0],
      [17, 5],
      [47, 127],
      [32, 64],
    ] as const) {
      expect(model.params.dense1Weight[r * 128 + o]).toBeCloseTo((q0[r * 128 + o]! / 255 - 0.5) * 0.6, 6);
    }
    expect(model.params.dense1Bias[3]).toBeCloseTo((q0[48 * 128 + 3]! / 255 - 0.5) * 0.2, 6);
    expect(model.params.dense2Weight[127 * 16 + 15]).toBeCloseTo((q1[127 * 16 + 15]! / 255 - 0.5) * 0.04, 7);
    expect(model.params.dense2Bias[0]).toBeCloseTo((q1[128 * 16]! / 255 - 0.5) * 0.01, 7);
    expect(model.params.dense1Weight.length).toBe(48 * 128);
    expect(model.params.dense2Bias.length).toBe(16);
  });

  it('maps bytes 0, 255 and 128 to -scale/2, +scale/2 and just above zero', () => {
    const bytes = new Uint8Array(49 * 128).fill(128);
    bytes[0] = 0;
    bytes[1] = 255;
    const model = importDistill([layer(48, 128, bytes, 2), layer(128, 16, new Uint8Array(129 * 16))]);
    expect(model.params.dense1Weight[0]).toBe(-1);
    expect(model.params.dense1Weight[1]).toBe(1);
    expect(model.params.dense1Weight[2]).toBeCloseTo(2 * (128 / 255 - 0.5), 7);
  });

  it('gives the behaviour of the original and credits the source', () => {
    const model = importDistill(distillJson(), { source: '/some/where/ex3_1f98e.json', name: 'lizard' });
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
    expect(model.config).not.toBe(DISTILL_CONFIG);
    expect(model.source).toMatchObject({ name: 'lizard', file: 'ex3_1f98e.json', license: 'CC BY 4.0', url: 'https://distill.pub/2020/growing-ca' });
  });

  it('makes a model that round-trips through a weights file', () => {
    const model = importDistill(distillJson(3), { name: 'x' });
    const back = readModel(writeModel(model));
    expect(back.config).toEqual(model.config);
    expect(back.params.dense1Weight).toEqual(model.params.dense1Weight);
    expect(back.source).toEqual(model.source);
  });

  describe('refuses other shapes with one clear message', () => {
    const good = distillJson();
    const cases: Array<[string, unknown, RegExp]> = [
      ['an object', { layers: [] }, /expected a JSON array of 2 layer objects, got an object/],
      ['one layer', [good[0]], /got an array of 1/],
      ['three layers', [...good, good[1]], /got an array of 3/],
      ['a string layer', [good[0], 'x'], /layer 1 must be an object, got "x"/],
      ['swapped layers', [good[1], good[0]], /layer 0 is 128 -> 16, expected in_ch 48, out_ch 128/],
      ['a float32 layer', [{ ...good[0], type: 'float32' }, good[1]], /layer 0 has type "float32", expected "uint8"/],
      ['a missing scale', [{ ...good[0], weight_scale: undefined }, good[1]], /layer 0 weight_scale must be a finite number/],
      ['a string scale', [good[0], { ...good[1], bias_scale: '0.1' }], /layer 1 bias_scale must be a finite number >= 0, got "0.1"/],
      ['a negative scale', [good[0], { ...good[1], weight_scale: -1 }], /layer 1 weight_scale/],
      ['bad base64', [{ ...good[0], data_b64: 'not base64!' }, good[1]], /layer 0 data_b64 is not valid base64/],
      ['short data', [layer(48, 128, new Uint8Array(48 * 128)), good[1]], /layer 0 holds 6144 bytes, expected \(48 \+ 1\) \* 128 = 6272/],
      ['no data', [good[0], { ...good[1], data_b64: 5 }], /layer 1 data_b64 must be a base64 string/],
      ['null', null, /got null/],
    ];
    it.each(cases)('%s', (_, json, message) => {
      const error = errorOf(() => importDistill(json, { source: 'in.json' }));
      expect(error.code).toBe('BAD_DISTILL_FILE');
      expect(error.name).toBe('DistillFormatError');
      expect(error.message).toMatch(/^in\.json: not a Distill model: /);
      expect(error.message).toMatch(message);
      expect(error.message).not.toContain('\n');
    });
  });
});
