// The WebGPU rollout's buffers as the host lays them out: the sizes of one rollout shape, the
// device memory it holds, the parameters packed as the shaders read them, states padded to vec4s
// and back, and the reduced gradient products unpacked into the parameters' shapes.
import type { NcaConfig } from '@nca-studio/weights-format';
import { perceptionKernels } from '../kernels.ts';
import { quads, workRow } from '../rolloutLayout.ts';
import type { GradientTask } from '../training/gradientTask.ts';
import { ROWS_PER_CHUNK } from './rolloutShader.ts';

/** Sizes of everything one rollout shape keeps on the device, in vec4s. */
export interface Layout {
  c: number;
  /** Perception filters: 3, or 4 with the texture model's Laplacian. */
  filters: number;
  hidden: number;
  c4: number;
  k4: number;
  h4: number;
  cells: number;
  n: number;
  steps: number;
  chunks: number;
  /** A row of work's parts (rolloutLayout's workRow), in vec4s. */
  row: ReturnType<typeof workRow>;
  /** vec4s of [dW1; db1] ([4 (K4 + 1)][H4]) and [dW2; db2] ([4 (H4 + 1)][C4]). */
  productOne: number;
  productTwo: number;
  params: number;
}

export function layoutOf(config: NcaConfig, count: number, steps: number): Layout {
  const filters = config.laplacian ? 4 : 3;
  const c4 = quads(config.channels);
  const k4 = filters * c4;
  const h4 = quads(config.hidden);
  const cells = config.gridWidth * config.gridHeight;
  const n = count * cells;
  return {
    c: config.channels,
    filters,
    hidden: config.hidden,
    c4,
    k4,
    h4,
    cells,
    n,
    steps,
    chunks: Math.ceil(n / ROWS_PER_CHUNK),
    row: workRow(config.channels, config.hidden, filters),
    productOne: 4 * (k4 + 1) * h4,
    productTwo: 4 * (h4 + 1) * c4,
    params: 9 + config.hidden * k4 + h4 + config.hidden * c4 + c4,
  };
}

/** Device memory the fused rollout of `count` samples over `steps` steps holds, in bytes. */
export function webgpuRolloutBytes(config: NcaConfig, count: number, steps: number): number {
  const l = layoutOf(config, count, steps);
  const state = l.n * l.c4 * 16;
  return (
    (steps + 4) * state + // every step's state, u, the two gradient buffers
    (steps + 1) * l.n * 4 + // alive masks, before and after
    Math.ceil((steps * l.n) / 4) * 4 + // fire draws, one byte each
    l.n * l.row.length * 16 +
    (l.chunks + 1) * (l.productOne + l.productTwo) * 16 +
    (l.productOne + l.productTwo) * 16 +
    state // read back
  );
}

/**
 * The parameters as the shaders read them, in vec4s: the nine taps (identity, x-gradient,
 * y-gradient, Laplacian or 0), W1 by hidden unit over the
 * padded perception [filter][C4], b1, W2 by hidden unit over C4, b2.
 */
export function packParams(task: GradientTask, l: Layout): Float32Array {
  const out = new Float32Array(l.params * 4);
  const taps = perceptionKernels(task.config);
  for (let k = 0; k < 9; k++) {
    out.set(taps[Math.floor(k / 3)]![k % 3]!, k * 4);
  }
  const { dense1Weight: w1, dense1Bias: b1, dense2Weight: w2, dense2Bias: b2 } = task.params;
  const cp = l.c4 * 4;
  const w1At = 9 * 4;
  const b1At = w1At + l.hidden * l.k4 * 4;
  const w2At = b1At + l.h4 * 4;
  const b2At = w2At + l.hidden * l.c4 * 4;
  for (let j = 0; j < l.hidden; j++) {
    for (let filter = 0; filter < l.filters; filter++) {
      for (let ch = 0; ch < l.c; ch++) {
        out[w1At + j * l.k4 * 4 + filter * cp + ch] = w1[(filter * l.c + ch) * l.hidden + j]!;
      }
    }
    for (let ch = 0; ch < l.c; ch++) {
      out[w2At + j * cp + ch] = w2[j * l.c + ch]!;
    }
  }
  out.set(b1, b1At);
  out.set(b2, b2At);
  return out;
}

/** [n][C] to [n][C4 x 4], zero-padded. */
export function padChannels(states: Float32Array, l: Layout): Float32Array {
  const cp = l.c4 * 4;
  if (cp === l.c) {
    return states.subarray(0, l.n * l.c);
  }
  const out = new Float32Array(l.n * cp);
  for (let i = 0; i < l.n; i++) {
    out.set(states.subarray(i * l.c, (i + 1) * l.c), i * cp);
  }
  return out;
}

export function unpadChannels(padded: Float32Array, l: Layout): Float32Array {
  const cp = l.c4 * 4;
  if (cp === l.c) {
    return padded.slice(0, l.n * l.c);
  }
  const out = new Float32Array(l.n * l.c);
  for (let i = 0; i < l.n; i++) {
    out.set(padded.subarray(i * cp, i * cp + l.c), i * l.c);
  }
  return out;
}

/** The reduced products back in PARAM_NAMES order and shapes. */
export function unpackGrads(out: Float32Array, l: Layout): Float32Array[] {
  const cp = l.c4 * 4;
  const hp = l.h4 * 4;
  // [dW1; db1]: rows of the padded perception index, then the bias row, each hp wide.
  const one = out.subarray(0, l.productOne * 4);
  const two = out.subarray(l.productOne * 4, (l.productOne + l.productTwo) * 4);
  const dw1 = new Float32Array(l.filters * l.c * l.hidden);
  for (let filter = 0; filter < l.filters; filter++) {
    for (let ch = 0; ch < l.c; ch++) {
      const row = one.subarray((filter * cp + ch) * hp, (filter * cp + ch) * hp + l.hidden);
      dw1.set(row, (filter * l.c + ch) * l.hidden);
    }
  }
  const db1 = one.slice(l.k4 * 4 * hp, l.k4 * 4 * hp + l.hidden);
  const dw2 = new Float32Array(l.hidden * l.c);
  for (let j = 0; j < l.hidden; j++) {
    dw2.set(two.subarray(j * cp, j * cp + l.c), j * l.c);
  }
  const db2 = two.slice(l.h4 * 4 * cp, l.h4 * 4 * cp + l.c);
  return [dw1, db1, dw2, db2];
}
