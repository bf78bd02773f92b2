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
