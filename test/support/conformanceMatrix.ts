// The conformance matrix: every combination of the config options that change what a CA step
// computes, on odd grid sizes, with seeded random weights and a seeded random start. Every
// implementation of the step is tested equal to the reference on all of it (conformance.test.ts
// in Node, e2e/engine.test.ts in the browser), so it needs nothing beside the repository.
import { createRng } from '@nca-studio/core';
import { DEFAULT_CONFIG, perceptionFilters } from '@nca-studio/weights-format';
import type { AliveMasking, NcaConfig, NcaModel, Padding } from '@nca-studio/weights-format';

export interface MatrixCase {
  /** Names the combination in a test title. */
  label: string;
  config: NcaConfig;
}

const PADDINGS: readonly Padding[] = ['zero', 'wrap', 'reflect'];
/** No rotation, a quarter turn (the kernels swap), and an angle that mixes them. */
const ANGLES: readonly [string, number][] = [
  ['0', 0],
  ['90deg', Math.PI / 2],
  ['0.7rad', 0.7],
];
const MASKINGS: readonly AliveMasking[] = ['pre-post', 'post'];
/** 16 (four RGBA-sized groups) and 7, which fills no group of four evenly. */
const CHANNELS = [16, 7] as const;

/** Odd sizes, width and height unequal, so a transposed index or a half-cell offset shows. */
const MATRIX_GRID = { width: 13, height: 11 } as const;

export function matrixCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const padding of PADDINGS) {
    for (const [angleName, angle] of ANGLES) {
      for (const tanh of [false, true]) {
        for (const aliveMasking of MASKINGS) {
          for (const clampRgba of [false, true]) {
            for (const channels of CHANNELS) {
              const config: NcaConfig = {
                ...DEFAULT_CONFIG,
                channels,
                hidden: 24,
                padding,
                angle,
                tanh,
                aliveMasking,
                clampRgba,
                gridWidth: MATRIX_GRID.width,
                gridHeight: MATRIX_GRID.height,
              };
              const label = `${padding} angle=${angleName} ${tanh ? 'tanh' : 'linear'} ${aliveMasking} ${clampRgba ? 'clamp' : 'noclamp'} C=${channels}`;
              cases.push({ label, config });
            }
          }
        }
      }
    }
  }
  return cases;
}

/**
 * The texture model's options (docs/design.md §3.6) crossed with those they meet: the Laplacian on
 * and off, the bound b (0.6, which the random weights reach, so every clip has work; or none),
 * no alive mask, every padding, rotation, tanh, the RGBA clamp and both channel counts. Routes
 * that do not run these yet refuse them (UnsupportedOptionsError), tested beside.
 */
export function textureMatrixCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const padding of PADDINGS) {
    for (const laplacian of [false, true]) {
      for (const clip of [null, 0.6]) {
        for (const [angleName, angle, tanh, clampRgba] of [
          ['0', 0, false, false],
          ['0.7rad', 0.7, true, true],
        ] as const) {
          for (const channels of CHANNELS) {
            const config: NcaConfig = {
              ...DEFAULT_CONFIG,
              channels,
              hidden: 24,
              padding,
              angle,
              tanh,
              aliveMasking: 'none',
              clampRgba,
              laplacian,
              clip,
              start: 'zeros',
              display: 'rgb-signed',
              gridWidth: MATRIX_GRID.width,
              gridHeight: MATRIX_GRID.height,
            };
            const label = `${padding} ${laplacian ? 'laplacian' : 'sobel'} clip=${clip ?? 'none'} angle=${angleName} ${tanh ? 'tanh' : 'linear'} ${clampRgba ? 'clamp' : 'noclamp'} no-mask C=${channels}`;
            cases.push({ label, config });
          }
        }
      }
    }
  }
  return cases;
}

/** Seeded random weights, scaled so that one step moves the state by about 0.1..0.5. */
export function randomModel(config: NcaConfig, seed: number): NcaModel {
  const rng = createRng(seed);
  const uniform = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
  const inputs = perceptionFilters(config) * config.channels;
  return {
    config,
    params: {
      dense1Weight: uniform(inputs * config.hidden, 1.5 / Math.sqrt(inputs)),
      dense1Bias: uniform(config.hidden, 0.2),
      dense2Weight: uniform(config.hidden * config.channels, 0.6 / Math.sqrt(config.hidden)),
      dense2Bias: uniform(config.channels, 0.05),
    },
  };
}

/**
 * A seeded random start [H, W, C]: a band of living cells (alpha in 0..1.2, the rest in -1..1.5,
 * so clamping has work) with dead columns on both sides, so that cells die and are born at the
 * band's edges, and the band touches the top and bottom borders, where padding matters.
 */
export function randomState(config: NcaConfig, seed: number): Float32Array {
  const rng = createRng(seed);
  const { gridWidth: w, gridHeight: h, channels: c } = config;
  const state = new Float32Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 2; x < w - 4; x++) {
      for (let k = 0; k < c; k++) {
        state[(y * w + x) * c + k] = k === 3 ? 1.2 * rng.next() : -1 + 2.5 * rng.next();
      }
    }
  }
  // One living column on the left border, so wrap and reflect read living neighbours across it.
  for (let y = 0; y < h; y += 2) {
    state[y * w * c + 3] = 0.9;
  }
  return state;
}

/** Fire masks for `steps` steps, one draw per cell at the config's fire rate. */
export function randomFireMasks(config: NcaConfig, cells: number, steps: number, seed: number): Uint8Array[] {
  const rng = createRng(seed);
  return Array.from({ length: steps }, () => Uint8Array.from({ length: cells }, () => (rng.next() < config.fireRate ? 1 : 0)));
}
