// A test oracle: docs/design.md §3 written out again as plain loops over cells and channels, with
// no tfjs and nothing from @nca-studio/core, so a mistake in one is unlikely to be in both.
// One grid (no batch), state float32 [H, W, C] row-major; sums in float64.
import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';

export interface OracleGrid {
  width: number;
  height: number;
  channels: number;
}

/** docs/design.md §3 seed: zeros, except channels 3..C-1 of the cell (x, y) (the centre by default) set to 1. */
export function oracleSeed(grid: OracleGrid, at = { x: Math.floor(grid.width / 2), y: Math.floor(grid.height / 2) }): Float32Array {
  const state = new Float32Array(grid.width * grid.height * grid.channels);
  for (let c = 3; c < grid.channels; c++) {
    state[(at.y * grid.width + at.x) * grid.channels + c] = 1;
  }
  return state;
}

/** The index along one axis of the neighbour at i (which may be -1 or n), or -1 where it reads as zero. */
function neighbour(i: number, n: number, padding: NcaConfig['padding']): number {
  if (i >= 0 && i < n) {
    return i;
  }
  switch (padding) {
    case 'zero':
      return -1;
    case 'wrap':
      return (i + n) % n;
    case 'reflect':
      // Mirror about the edge cell, the edge itself not repeated: -1 -> 1, n -> n - 2.
      return i < 0 ? -i : 2 * (n - 1) - i;
  }
}

/** Value of channel c at (x, y), with the border rule of `padding`. */
function read(state: Float32Array, grid: OracleGrid, x: number, y: number, c: number, padding: NcaConfig['padding']): number {
  const nx = neighbour(x, grid.width, padding);
  const ny = neighbour(y, grid.height, padding);
  return nx < 0 || ny < 0 ? 0 : state[(ny * grid.width + nx) * grid.channels + c]!;
}

/** docs/design.md §3.4: alive where the 3x3 maximum of alpha (channel 3) exceeds the threshold. */
export function oracleAlive(state: Float32Array, grid: OracleGrid, config: NcaConfig): Uint8Array {
  const alive = new Uint8Array(grid.width * grid.height);
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      let max = -Infinity;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          max = Math.max(max, read(state, grid, x + dx, y + dy, 3, config.padding));
        }
      }
      alive[y * grid.width + x] = max > config.aliveThreshold ? 1 : 0;
    }
  }
  return alive;
}

/**
 * docs/design.md §3.1: the 3C perception values of one cell, filter-major [identity, sobel_x, sobel_y],
 * and with §3.6's Laplacian [[1,2,1],[2,-12,2],[1,2,1]] * s a fourth group of C.
 */
export function oraclePerceive(state: Float32Array, grid: OracleGrid, x: number, y: number, config: NcaConfig): Float64Array {
  const C = grid.channels;
  const p = new Float64Array((config.laplacian ? 4 : 3) * C);
  const laplacian = [
    [1, 2, 1],
    [2, -12, 2],
    [1, 2, 1],
  ];
  const rowWeight = [1, 2, 1];
  const colWeight = [-1, 0, 1];
  const cos = Math.cos(config.angle);
  const sin = Math.sin(config.angle);
  for (let c = 0; c < C; c++) {
    let gx = 0;
    let gy = 0;
    let lap = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        // Row i is y-1..y+1 (y grows downward), column j is x-1..x+1.
        const v = read(state, grid, x + j - 1, y + i - 1, c, config.padding);
        gx += rowWeight[i]! * colWeight[j]! * config.sobelScale * v;
        gy += rowWeight[j]! * colWeight[i]! * config.sobelScale * v;
        lap += laplacian[i]![j]! * config.sobelScale * v;
      }
    }
    p[c] = read(state, grid, x, y, c, config.padding);
    p[C + c] = cos * gx - sin * gy;
    p[2 * C + c] = sin * gx + cos * gy;
    if (config.laplacian) {
      p[3 * C + c] = lap;
    }
  }
  return p;
}

/** The texture model's clip (§3.6) of a value to [lo, hi]; no bound is no clip. */
function clipTo(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * docs/design.md §3.2: ds = W2 relu(W1 p + b1) + b2 (then tanh if the config says so). W1 is [3C, hidden]
 * row-major ([4C, hidden] with the Laplacian). §3.6's bound b clips p and ds to [-b, b] and the hidden layer to [0, b].
 */
function oracleUpdate(perception: Float64Array, params: NcaParams, config: NcaConfig): Float64Array {
  const b = config.clip ?? Infinity;
  const p = perception.map((v) => clipTo(v, -b, b));
  const inputs = p.length;
  const hidden = new Float64Array(config.hidden);
  for (let h = 0; h < config.hidden; h++) {
    let sum = params.dense1Bias[h]!;
    for (let i = 0; i < inputs; i++) {
      sum += p[i]! * params.dense1Weight[i * config.hidden + h]!;
    }
    hidden[h] = clipTo(sum, 0, b);
  }
  const ds = new Float64Array(config.channels);
  for (let c = 0; c < config.channels; c++) {
    let sum = params.dense2Bias[c]!;
    for (let h = 0; h < config.hidden; h++) {
      sum += hidden[h]! * params.dense2Weight[h * config.channels + c]!;
    }
    ds[c] = clipTo(config.tanh ? Math.tanh(sum) : sum, -b, b);
  }
  return ds;
}

/**
 * One CA step, docs/design.md §3.1-3.5. `fire[cell]` is 1 where the cell applies its update
 * (docs/design.md §3.3); null means every cell fires. Returns a new state.
 */
export function oracleStep(state: Float32Array, grid: OracleGrid, params: NcaParams, config: NcaConfig, fire: Uint8Array | null = null): Float32Array {
  const C = grid.channels;
  const cells = grid.width * grid.height;
  const pre = config.aliveMasking === 'pre-post' ? oracleAlive(state, grid, config) : null;
  const next = new Float32Array(state);
  for (let y = 0; y < grid.height; y++) {
    for (let x = 0; x < grid.width; x++) {
      const cell = y * grid.width + x;
      if (fire !== null && fire[cell] === 0) {
        continue;
      }
      const ds = oracleUpdate(oraclePerceive(state, grid, x, y, config), params, config);
      for (let c = 0; c < C; c++) {
        next[cell * C + c] = state[cell * C + c]! + ds[c]!;
      }
    }
  }
  const post = config.aliveMasking === 'none' ? null : oracleAlive(next, grid, config);
  const b = config.clip ?? Infinity;
  for (let cell = 0; cell < cells; cell++) {
    const alive = post === null || (post[cell] === 1 && (pre === null || pre[cell] === 1));
    for (let c = 0; c < C; c++) {
      next[cell * C + c] = clipTo(next[cell * C + c]!, -b, b);
      if (!alive) {
        next[cell * C + c] = 0;
      } else if (config.clampRgba && c < 4) {
        next[cell * C + c] = Math.min(1, Math.max(0, next[cell * C + c]!));
      }
    }
  }
  return next;
}
