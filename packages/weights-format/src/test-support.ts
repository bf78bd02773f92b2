import { zlibSync } from 'fflate';
// Shared by the tests only (left out of the build): a seeded PRNG and small models.
import { DEFAULT_CONFIG } from './config.ts';
import type { NcaConfig } from './config.ts';
import type { Checkpoint } from './checkpoint.ts';
import { PARAM_NAMES, type NcaModel, type NcaParams } from './model.ts';
import type { RunPlan } from './runPlan.ts';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { SafetensorsFile } from './safetensors.ts';
import { encodeUtf8 } from './utf8.ts';

/** mulberry32: a tiny seeded PRNG, so a failing random case can be replayed from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomParams(config: NcaConfig, random: () => number, spread = 0.5): NcaParams {
  const { channels: c, hidden: h } = config;
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => (random() * 2 - 1) * spread);
  return { dense1Weight: fill(3 * c * h), dense1Bias: fill(h), dense2Weight: fill(h * c), dense2Bias: fill(c) };
}

export const SMALL_CONFIG: NcaConfig = { ...DEFAULT_CONFIG, channels: 4, hidden: 8, gridWidth: 8, gridHeight: 6 };

/** A small model with every optional part present. */
export function smallModel(seed = 1): NcaModel {
  const random = mulberry32(seed);
  const data = Uint8Array.from({ length: 3 * 2 * 4 }, () => Math.floor(random() * 256));
  return {
    config: SMALL_CONFIG,
    params: randomParams(SMALL_CONFIG, random),
    target: { width: 2, height: 3, data, name: 'lizard', size: 1, padding: 1 },
    training: { preset: 'quick', iterations: 10, final_loss: 0.125 },
    source: { from: 'test' },
  };
}

/** Decodes a valid file, lets `edit` change it, and encodes it again. */
export function rewrite(bytes: Uint8Array, edit: (file: SafetensorsFile) => void): Uint8Array {
  const file = decodeSafetensors(bytes);
  edit(file);
  return encodeSafetensors(file);
}

/** A file with an arbitrary header string and data, bypassing the writer's checks. */
export function rawFile(header: string, data: Uint8Array = new Uint8Array(0), headerLength?: number): Uint8Array {
  const json = encodeUtf8(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, headerLength ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** A small run plan: the settings of a short run with a pool of 4. */
function smallPlan(): RunPlan {
  return {
    preset: 'quick',
    config: SMALL_CONFIG,
    training: {
      targetSize: 4,
      padding: 1,
      batch: 2,
      pool: 4,
      reseedEvery: 2,
      damaged: 1,
      damageRadius: { min: 0.1, max: 0.3 },
      stepsMin: 4,
      stepsMax: 6,
      lr: 2e-3,
      lrDecayAt: 5,
      lrDecayFactor: 0.1,
      lrSchedule: 'step',
      iterations: 10,
      normalizeGradients: true,
      overflowWeight: 1,
      outsideWeight: 0,
      detailWeight: 0,
      budget: null,
    },
    seed: 3,
    target: { kind: 'emoji', char: '🦎' },
    targetName: 'lizard',
    checkpointEvery: 5,
  };
}

/** A checkpoint of smallPlan at iteration 3, every array filled from the seed. */
export function smallCheckpoint(seed = 1): Checkpoint {
  const random = mulberry32(seed);
  const plan = smallPlan();
  const { gridWidth: w, gridHeight: h, channels: c } = plan.config;
  const fill = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => random() * scale);
  const params = randomParams(plan.config, random);
  const moments = (): Float32Array[] => PARAM_NAMES.map((name) => fill(params[name].length, 0.01));
  return {
    plan,
    iteration: 3,
    rngState: 123456789,
    params,
    adam: { t: 3, m: moments(), v: moments() },
    pool: fill(plan.training.pool * h * w * c),
    target: fill(h * w * 4),
    losses: [0.25, 0.125, 0.0625],
    seconds: 1.5,
    resumptions: [],
    route: 'kernel',
  };
}

const CRC = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(
    [...type].map((ch) => ch.charCodeAt(0)),
    4,
  );
  out.set(body, 8);
  let c = 0xffffffff;
  for (const byte of out.subarray(4, 8 + body.length)) {
    c = CRC[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  view.setUint32(8 + body.length, (c ^ 0xffffffff) >>> 0);
  return out;
}

/** A PNG writer for the tests: row y filtered with filters[y % filters.length] (0 none .. 4 Paeth). */
export function encodePng(width: number, height: number, data: Uint8Array, filters: number[] = [0], colour = 6): Uint8Array {
  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  const at = (x: number, y: number): number => (x < 0 || y < 0 ? 0 : data[y * stride + x]!);
  for (let y = 0; y < height; y++) {
    const filter = filters[y % filters.length]!;
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const [a, b, c] = [at(i - 4, y), at(i, y - 1), at(i - 4, y - 1)];
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filter]!;
      raw[y * (stride + 1) + 1 + i] = (at(i, y) - predictor) & 0xff;
    }
  }
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header.set([8, colour, 0, 0, 0], 8);
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', header),
    chunk('IDAT', zlibSync(raw)),
    chunk('IEND', new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0);
  return out;
}
