// The model config of docs/design.md §3: everything a reader needs to run the CA. In memory it is
// camelCase; stored in the file's "config" metadata it is snake_case JSON.
import { WeightsFormatError } from './errors.ts';

export type Padding = 'zero' | 'wrap' | 'reflect';
export type AliveMasking = 'pre-post' | 'post' | 'none';
/** The state a run starts from: one live seed cell in the middle (growing), or all zeros (texture). */
export type StartState = 'seed' | 'zeros';
/**
 * How the state is shown: `rgba`, channels 0..3 as premultiplied colour and alpha (growing);
 * `rgb-signed`, channels 0..2 as opaque colour `x / 2 + 0.5`, clamped to [0, 1] (texture).
 */
export type Display = 'rgba' | 'rgb-signed';

export interface NcaConfig {
  /** C, the state channels per cell: RGBA + hidden. Integer 4..64. */
  channels: number;
  /** Width of the update rule's hidden layer. Integer 1..1024. */
  hidden: number;
  /** How perception pads the grid borders. */
  padding: Padding;
  /** Sobel kernel scale s. Finite, > 0. */
  sobelScale: number;
  /** Rotation of the perceived gradient, radians. Finite. */
  angle: number;
  /** Final tanh on the update. */
  tanh: boolean;
  /** Probability that a cell applies its update in a step. [0, 1]. */
  fireRate: number;
  /** A cell is alive if the 3x3 max of alpha exceeds this. [0, 1]. */
  aliveThreshold: number;
  /** Alive mask before and after the update (ANDed), after only, or none (every cell lives). */
  aliveMasking: AliveMasking;
  /** Clamp channels 0..3 to [0, 1] after each step. */
  clampRgba: boolean;
  /** Perception adds the Laplacian [[1,2,1],[2,-12,2],[1,2,1]] x sobelScale: 4C inputs, not 3C. */
  laplacian: boolean;
  /**
   * The texture model's bound b, or null for none: perception and the update clipped to [-b, b],
   * the hidden layer to [0, b] (a ReLU capped at b), the state to [-b, b] after each step.
   */
  clip: number | null;
  start: StartState;
  display: Display;
  /** Grid size the model was trained on (and the default to run it on). Integer 3..2048. */
  gridWidth: number;
  gridHeight: number;
}

/** A grid side in cells: 3 holds a 3x3 neighbourhood; 2048 bounds a grid's memory. */
export const GRID_SIDE = Object.freeze({ min: 3, max: 2048 });

/**
 * A grid size as people write it: "96x64" (or 96×64), or "72" for a square; null for anything
 * else or a side outside GRID_SIDE.
 */
export function parseGridSize(text: string): { width: number; height: number } | null {
  const match = /^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*$/i.exec(text);
  if (match === null) {
    return null;
  }
  const width = Number(match[1]);
  const height = match[2] === undefined ? width : Number(match[2]);
  const fits = (side: number): boolean => side >= GRID_SIDE.min && side <= GRID_SIDE.max;
  return fits(width) && fits(height) ? { width, height } : null;
}

/**
 * docs/design.md §3: a cell whose alpha exceeds this is mature (and, through its 3x3 neighbourhood, keeps
 * its neighbours alive). The default `aliveThreshold`, and the line every count of grown cells
 * (render's statistics, eval's IoU, the viewer's benchmarks) draws.
 */
export const MATURE_ALPHA = 0.1;

/** The `regenerating` preset of docs/design.md §4: 40 px target + 16 px padding = 72. */
export const DEFAULT_CONFIG: Readonly<NcaConfig> = Object.freeze({
  channels: 16,
  hidden: 128,
  padding: 'zero',
  sobelScale: 1 / 8,
  angle: 0,
  tanh: false,
  fireRate: 0.5,
  aliveThreshold: MATURE_ALPHA,
  aliveMasking: 'pre-post',
  clampRgba: false,
  laplacian: false,
  clip: null,
  start: 'seed',
  display: 'rgba',
  gridWidth: 72,
  gridHeight: 72,
});

/**
 * The texture model of "Self-Organising Textures" (Niklasson et al., Distill 2021), docs/design.md
 * §3.6: 12 channels, 96 hidden, identity + Sobel + Laplacian perception on a torus, every value
 * clipped at 2, no alive mask, an all-zero start, RGB shown as x / 2 + 0.5; trained on 128x128.
 */
export const TEXTURE_CONFIG: Readonly<NcaConfig> = Object.freeze({
  channels: 12,
  hidden: 96,
  padding: 'wrap',
  sobelScale: 1 / 8,
  angle: 0,
  tanh: false,
  fireRate: 0.5,
  aliveThreshold: MATURE_ALPHA,
  aliveMasking: 'none',
  clampRgba: false,
  laplacian: true,
  clip: 2,
  start: 'zeros',
  display: 'rgb-signed',
  gridWidth: 128,
  gridHeight: 128,
});

/** The perception filters a config runs: identity, Sobel x, Sobel y, and the Laplacian if set. */
export function perceptionFilters(config: Partial<Pick<NcaConfig, 'laplacian'>>): number {
  return config.laplacian ? 4 : 3;
}

const MASKING_TO_JSON: Record<AliveMasking, string> = { 'pre-post': 'pre_and_post', post: 'post', none: 'none' };
const MASKING_FROM_JSON: Record<string, AliveMasking> = { pre_and_post: 'pre-post', post: 'post', none: 'none' };
const DISPLAY_TO_JSON: Record<Display, string> = { rgba: 'rgba', 'rgb-signed': 'rgb_signed' };
const DISPLAY_FROM_JSON: Record<string, Display> = { rgba: 'rgba', rgb_signed: 'rgb-signed' };

/** The stored form, snake_case keys in a fixed order (so a file's bytes are reproducible). */
export function configToJson(config: NcaConfig): Record<string, unknown> {
  return {
    channels: config.channels,
    hidden: config.hidden,
    padding: config.padding,
    sobel_scale: config.sobelScale,
    angle: config.angle,
    tanh: config.tanh,
    fire_rate: config.fireRate,
    alive_threshold: config.aliveThreshold,
    alive_masking: MASKING_TO_JSON[config.aliveMasking],
    clamp_rgba: config.clampRgba,
    laplacian: config.laplacian,
    clip: config.clip,
    start: config.start,
    display: DISPLAY_TO_JSON[config.display],
    grid_width: config.gridWidth,
    grid_height: config.gridHeight,
  };
}

type Check = (value: unknown) => boolean;

function integerIn(min: number, max: number): [Check, string] {
  return [(v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, `an integer in ${min}..${max}`];
}

function numberIn(min: number, max: number): [Check, string] {
  return [(v) => typeof v === 'number' && v >= min && v <= max, `a number in [${min}, ${max}]`];
}

function oneOf(...options: string[]): [Check, string] {
  return [(v) => typeof v === 'string' && options.includes(v), `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`];
}

const isBoolean: [Check, string] = [(v) => typeof v === 'boolean', 'true or false'];

/** Each stored key, its in-memory name, and what it must be. */
const FIELDS: { [K in keyof NcaConfig]: [key: string, check: Check, expected: string] } = {
  channels: ['channels', ...integerIn(4, 64)],
  hidden: ['hidden', ...integerIn(1, 1024)],
  padding: ['padding', ...oneOf('zero', 'wrap', 'reflect')],
  sobelScale: ['sobel_scale', (v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a finite number > 0'],
  angle: ['angle', (v) => typeof v === 'number' && Number.isFinite(v), 'a finite number (radians)'],
  tanh: ['tanh', ...isBoolean],
  fireRate: ['fire_rate', ...numberIn(0, 1)],
  aliveThreshold: ['alive_threshold', ...numberIn(0, 1)],
  aliveMasking: ['alive_masking', ...oneOf('pre_and_post', 'post', 'none')],
  clampRgba: ['clamp_rgba', ...isBoolean],
  laplacian: ['laplacian', ...isBoolean],
  clip: ['clip', (v) => v === null || (typeof v === 'number' && Number.isFinite(v) && v > 0), 'null or a finite number > 0'],
  start: ['start', ...oneOf('seed', 'zeros')],
  display: ['display', ...oneOf('rgba', 'rgb_signed')],
  gridWidth: ['grid_width', ...integerIn(GRID_SIDE.min, GRID_SIDE.max)],
  gridHeight: ['grid_height', ...integerIn(GRID_SIDE.min, GRID_SIDE.max)],
};

const STORED_KEYS = new Set(Object.values(FIELDS).map(([key]) => key));

/**
 * Reads the stored (snake_case) config: missing fields take DEFAULT_CONFIG's value, present
 * ones must have the right type and range, unknown keys are refused (a misspelt key would
 * otherwise silently fall back to its default).
 */
export function parseConfig(json: unknown, options: { source?: string } = {}): NcaConfig {
  const { source } = options;
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WeightsFormatError('BAD_CONFIG', `config must be a JSON object, got ${Array.isArray(json) ? 'an array' : String(json)}`, source);
  }
  const stored = json as Record<string, unknown>;
  for (const key of Object.keys(stored)) {
    if (!STORED_KEYS.has(key)) {
      throw new WeightsFormatError('BAD_CONFIG', `config has an unknown field '${key}'`, source);
    }
  }
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [name, [key, check, expected]] of Object.entries(FIELDS)) {
    if (!Object.hasOwn(stored, key)) {
      continue;
    }
    const value = stored[key];
    if (!check(value)) {
      throw new WeightsFormatError('BAD_CONFIG', `config.${key} must be ${expected}, got ${JSON.stringify(value) ?? String(value)}`, source);
    }
    config[name] = name === 'aliveMasking' ? MASKING_FROM_JSON[value as string] : name === 'display' ? DISPLAY_FROM_JSON[value as string] : value;
  }
  // A grid of zeros has no living cell: under an alive mask it stays empty for ever.
  if (config['start'] === 'zeros' && config['aliveMasking'] !== 'none') {
    throw new WeightsFormatError('BAD_CONFIG', `config.start "zeros" needs alive_masking "none": an alive mask keeps a grid of zeros empty`, source);
  }
  return config as unknown as NcaConfig;
}

/** Validates an in-memory config by the same rules as a stored one. */
export function validateConfig(config: NcaConfig, options: { source?: string } = {}): NcaConfig {
  return parseConfig(configToJson(config), options);
}
