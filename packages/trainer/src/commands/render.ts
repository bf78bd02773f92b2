import * as tf from '@tensorflow/tfjs-core';
import {
  checkBudget,
  countMature,
  createRng,
  damageDisc,
  disposeParams,
  IMAGE_BYTES,
  inferenceMemory,
  paramsToTensors,
  run,
  seedArray,
  trainingStep,
  type MemoryEstimate,
  type StepFunction,
  type StepHook,
} from '@nca-studio/core';
import { GRID_SIDE, MATURE_ALPHA, type NcaConfig, type NcaModel } from '@nca-studio/weights-format';
import sharp from 'sharp';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { guardInference } from '../backends/budget.ts';
import { selectBackend, type BackendInfo, type BackendName } from '../backends/backend.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import type { DamageSpec } from './choices.ts';
import type { CommandIo } from './io.ts';
import { loadModel } from './inspect.ts';
import { encodeNpy } from '../files/npy.ts';
import { encodePng, stateToFrame, upscale, type Frame } from '../images/picture.ts';

export interface RenderOptions {
  steps: number;
  /** Grid size; default the model's own (config gridWidth x gridHeight). */
  width?: number;
  height?: number;
  /** Overrides the model's fire rate; 1 makes the run deterministic. */
  fireRate?: number;
  /** Seed of the fire masks' RNG. Default 1. */
  seed?: number;
  damage?: readonly DamageSpec[];
  /** Start from this state, float32 [H, W, C], instead of the seed (e.g. a grown pattern). */
  start?: Float32Array;
  /** Keep a display frame (colour over white) every N steps, and the last one; 0 keeps none. */
  frameEvery?: number;
}

export interface RenderResult {
  /** The final state, float32 [H, W, C]. */
  state: Float32Array;
  width: number;
  height: number;
  channels: number;
  steps: number;
  /** The config the run used (the model's, with the size and fire rate overrides). */
  config: NcaConfig;
  /** Unscaled frames, if `frameEvery` > 0: the seed, every N steps, the final state. */
  frames: Frame[];
}

function checkOptions(options: RenderOptions, width: number, height: number): void {
  const bad = (message: string): NcaError => new NcaError('BAD_FLAG', message);
  if (!Number.isSafeInteger(options.steps) || options.steps < 0) {
    throw bad(`--steps must be a non-negative integer, got ${options.steps}`);
  }
  for (const [name, n] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isSafeInteger(n) || n < GRID_SIDE.min || n > GRID_SIDE.max) {
      throw bad(`--size: ${name} must be an integer from ${GRID_SIDE.min} to ${GRID_SIDE.max}, got ${n}`);
    }
  }
  if (options.fireRate !== undefined && !(options.fireRate >= 0 && options.fireRate <= 1)) {
    throw bad(`--fire-rate must be a number from 0 to 1, got ${options.fireRate}`);
  }
  for (const d of options.damage ?? []) {
    const text = `${d.x},${d.y},${d.radius}@${d.step}`;
    if (!(d.x >= 0 && d.x < width && d.y >= 0 && d.y < height)) {
      throw bad(`--damage ${text}: the centre is outside the ${width}x${height} grid`);
    }
    if (!(d.radius > 0) || !Number.isSafeInteger(d.step) || d.step < 0 || d.step > options.steps) {
      throw bad(`--damage ${text}: needs a radius > 0 and a step from 0 to ${options.steps}`);
    }
  }
}

/** A rectangle of cells, inclusive bounds. */
interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The smallest box holding every cell with a non-zero channel; null for an all-zero state. */
export function nonZeroBox(state: Float32Array, width: number, height: number, channels: number): Box | null {
  let box: Box | null = null;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const base = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        if (state[base + c] !== 0) {
          box =
            box === null
              ? { x0: x, y0: y, x1: x, y1: y }
              : { x0: Math.min(box.x0, x), y0: Math.min(box.y0, y), x1: Math.max(box.x1, x), y1: Math.max(box.y1, y) };
          break;
        }
      }
    }
  }
  return box;
}

/**
 * Where one step has to be computed. With zero padding and the pre-and-post alive mask, a cell
 * two or more cells away from every non-zero cell is dead before the update, so it stays zero,
 * and a window of the non-zero cells plus a 2-cell margin (its zero padding standing for the
 * zeros around it) gives exactly the full grid's result. Other configs need the whole grid.
 */
function stepWindow(state: Float32Array, width: number, height: number, config: NcaConfig): Box | null {
  const whole = { x0: 0, y0: 0, x1: width - 1, y1: height - 1 };
  if (config.padding !== 'zero' || config.aliveMasking !== 'pre-post' || config.aliveThreshold < 0) {
    return whole;
  }
  const box = nonZeroBox(state, width, height, config.channels);
  if (box === null) {
    return null;
  }
  return { x0: Math.max(0, box.x0 - 2), y0: Math.max(0, box.y0 - 2), x1: Math.min(width - 1, box.x1 + 2), y1: Math.min(height - 1, box.y1 + 2) };
}

/** The cells of `box` from a [H, W, C] state, as a [h, w, C] array. */
function crop(state: Float32Array, width: number, box: Box, channels: number): Float32Array {
  const rowLength = (box.x1 - box.x0 + 1) * channels;
  const out = new Float32Array((box.y1 - box.y0 + 1) * rowLength);
  for (let y = box.y0; y <= box.y1; y++) {
    const from = (y * width + box.x0) * channels;
    out.set(state.subarray(from, from + rowLength), (y - box.y0) * rowLength);
  }
  return out;
}

/** A zero [H, W, C] state with `window` (the cells of `box`) written in. */
function paste(window: Float32Array, box: Box, width: number, height: number, channels: number): Float32Array {
  const rowLength = (box.x1 - box.x0 + 1) * channels;
  const out = new Float32Array(width * height * channels);
  for (let y = box.y0; y <= box.y1; y++) {
    const from = (y - box.y0) * rowLength;
    out.set(window.subarray(from, from + rowLength), (y * width + box.x0) * channels);
  }
  return out;
}

/**
 * Runs a model from the seed (or `start`) on the current tfjs backend: `steps` CA steps,
 * erasing the `damage` discs at their steps. Reads nothing and writes nothing. A step is core's
 * `trainingStep` (the docs/design.md §3 step of `step`, tested equal to it and to the scalar oracle, about
 * twice as fast on wasm) on the window of the grid that can change (see stepWindow); the fire
 * masks are drawn for that window only.
 */
export function renderModel(model: NcaModel, options: RenderOptions): RenderResult {
  const width = options.width ?? model.config.gridWidth;
  const height = options.height ?? model.config.gridHeight;
  checkOptions(options, width, height);
  const config: NcaConfig = { ...model.config, gridWidth: width, gridHeight: height, fireRate: options.fireRate ?? model.config.fireRate };
  const channels = config.channels;
  const rng = createRng(options.seed ?? 1);
  const frameEvery = options.frameEvery ?? 0;
  const frames: Frame[] = [];
  if (options.start !== undefined && options.start.length !== width * height * channels) {
    throw new NcaError('BAD_FLAG', `the start state has ${options.start.length} values, expected ${height} x ${width} x ${channels}`);
  }
  const start = options.start === undefined ? seedArray({ height, width, channels }) : options.start;
  const shape: [number, number, number, number] = [1, height, width, channels];
  // Only the window that can change is computed (see stepWindow); its fire draws are the
  // whole grid's, cropped, so a render consumes the RNG as core's run does.
  const windowStep: StepFunction = (state, params, config, fire) => {
    const values = state.dataSync() as Float32Array;
    const box = stepWindow(values, width, height, config);
    if (box === null) {
      return tf.clone(state); // all zero: nothing is alive, nothing can grow
    }
    const [h, w] = [box.y1 - box.y0 + 1, box.x1 - box.x0 + 1];
    const window = trainingStep(
      tf.tensor4d(crop(values, width, box, channels), [1, h, w, channels]),
      params,
      config,
      tf.slice(fire, [0, box.y0, box.x0, 0], [1, h, w, 1]),
    );
    return tf.tensor4d(paste(window.dataSync() as Float32Array, box, width, height, channels), shape);
  };
  const damageAndFrames: StepHook = (state, t) => {
    const discs = (options.damage ?? []).filter((d) => d.step === t);
    const damaged = discs.length === 0 ? state : tf.tidy(() => discs.reduce((x, disc) => damageDisc(x, [disc]), state));
    if (frameEvery > 0 && (t % frameEvery === 0 || t === options.steps)) {
      frames.push(stateToFrame(damaged.dataSync() as Float32Array, height, width, channels));
    }
    return damaged;
  };
  const params = paramsToTensors(model.params, config);
  const initial = tf.tensor4d(start, shape);
  try {
    const end = run(initial, params, config, options.steps, rng, { step: windowStep, each: damageAndFrames });
    const state = new Float32Array(end.dataSync());
    end.dispose();
    return { state, width, height, channels, steps: options.steps, config, frames };
  } finally {
    initial.dispose();
    disposeParams(params);
  }
}

/** Counts mature cells (alpha > MATURE_ALPHA) and non-finite values of a [H, W, C] state. */
export function stateStats(state: Float32Array, channels: number): { mature: number; nonFinite: number } {
  let nonFinite = 0;
  for (let i = 0; i < state.length; i++) {
    if (!Number.isFinite(state[i]!)) {
      nonFinite++;
    }
  }
  return { mature: countMature(state, channels), nonFinite };
}

/** Milliseconds each frame of the growth animation is shown; the last one is held longer. */
const FRAME_MS = 40;
const LAST_FRAME_MS = 1500;

/** An animated GIF (looping) of equal-size frames, through sharp's multi-page raw input. */
export async function encodeGif(frames: readonly Frame[]): Promise<Buffer> {
  const { width, height } = frames[0]!;
  const pages = new Uint8Array(width * height * 4 * frames.length);
  frames.forEach((frame, i) => pages.set(frame.rgba, i * width * height * 4));
  const delay = frames.map((_, i) => (i === frames.length - 1 ? LAST_FRAME_MS : FRAME_MS));
  return sharp(pages, { raw: { width, height: height * frames.length, channels: 4, pageHeight: height } })
    .gif({ delay, loop: 0 })
    .toBuffer();
}

export interface RenderRequest extends RenderOptions {
  /** A weights file. */
  model: string;
  png?: string;
  gif?: string;
  /** A .npy file for the final state, float32 [H, W, C]. */
  state?: string;
  /** Integer upscale factor of the PNG and GIF. Default 4. */
  scale?: number;
  /** A CPU backend by default: wasm. */
  backend?: BackendName;
}

export interface RenderSummary {
  width: number;
  height: number;
  steps: number;
  seconds: number;
  backend: BackendInfo;
  /** Cells with alpha > MATURE_ALPHA at the end. */
  mature: number;
  nonFinite: number;
  written: string[];
}

/** The default GIF frame interval: about 100 frames, whatever the step count. */
export function defaultFrameEvery(steps: number): number {
  return Math.max(1, Math.ceil(steps / 100));
}

/** The resource budget of a render, before any work: the CA on its backend, and the pictures. */
function guardRender(config: NcaConfig, request: RenderRequest, scale: number, frameEvery: number): void {
  const grid = { width: request.width ?? config.gridWidth, height: request.height ?? config.gridHeight };
  guardInference('rendering', inferenceMemory(config, grid), request.backend ?? 'wasm');
  const pixels = grid.width * scale * grid.height * scale;
  const picture = (what: string, bytes: number): MemoryEstimate => ({ bytes, parts: [{ what, bytes, setting: '--scale or --size' }] });
  if (request.png !== undefined) {
    checkBudget('the PNG', picture(`${grid.width * scale}x${grid.height * scale} pixels x 4 bytes`, pixels * 4), IMAGE_BYTES, 'a picture may take');
  }
  if (request.gif !== undefined) {
    const frames = Math.floor(request.steps / frameEvery) + 2;
    // The frames, and sharp's copy of them as one tall page.
    checkBudget(
      'the GIF',
      picture(`${frames} frames of ${grid.width * scale}x${grid.height * scale} pixels x 4 bytes, twice`, 2 * frames * pixels * 4),
      IMAGE_BYTES,
      'a picture may take (--gif-every fewer frames)',
    );
  }
}

/** `nca render MODEL` (docs/design.md §6): runs a model headless on a CPU backend and writes the pictures and state asked for. */
export async function render(request: RenderRequest, io: { log: (line: string) => void } = { log: () => {} }): Promise<RenderSummary> {
  const scale = request.scale ?? 4;
  if (!Number.isSafeInteger(scale) || scale < 1 || scale > 64) {
    throw new NcaError('BAD_FLAG', `--scale must be an integer from 1 to 64, got ${scale}`);
  }
  const { model } = await loadModel(request.model);
  const frameEvery = request.gif === undefined ? 0 : (request.frameEvery ?? defaultFrameEvery(request.steps));
  guardRender(model.config, request, scale, frameEvery);
  const backend = await selectBackend(request.backend ?? 'wasm');
  const started = performance.now();
  const result = renderModel(model, { ...request, frameEvery });
  const seconds = (performance.now() - started) / 1000;
  const { mature, nonFinite } = stateStats(result.state, result.channels);
  io.log(
    `rendered ${request.model}: ${result.steps} steps on ${result.width}x${result.height} ` +
      `(fire rate ${result.config.fireRate}, seed ${request.seed ?? 1}, ${backend.name}) in ${seconds.toFixed(1)} s; ` +
      `${mature} cells with alpha > ${MATURE_ALPHA}`,
  );
  if (nonFinite > 0) {
    io.log(`warning: the final state has ${nonFinite} non-finite values: the model diverged`);
  }
  const written: string[] = [];
  if (request.png !== undefined) {
    const frame = upscale(stateToFrame(result.state, result.height, result.width, result.channels), scale);
    await writeFileAtomic(request.png, await encodePng(frame));
    written.push(request.png);
    io.log(`wrote ${request.png} (${frame.width}x${frame.height}, final state over white)`);
  }
  if (request.gif !== undefined) {
    const frames = result.frames.map((frame) => upscale(frame, scale));
    await writeFileAtomic(request.gif, await encodeGif(frames));
    written.push(request.gif);
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    io.log(`wrote ${request.gif} (${plural(frames.length, 'frame')}, one every ${plural(frameEvery, 'step')})`);
  }
  if (request.state !== undefined) {
    await writeFileAtomic(request.state, encodeNpy(result.state, [result.height, result.width, result.channels]));
    written.push(request.state);
    io.log(`wrote ${request.state} (float32 [${result.height}, ${result.width}, ${result.channels}])`);
  }
  return { width: result.width, height: result.height, steps: result.steps, seconds, backend, mature, nonFinite, written };
}

/** `nca render`'s flags, as the CLI parses them. */
export interface RenderFlags {
  steps: number;
  size?: { width: number; height: number };
  fireRate?: number;
  seed: number;
  damage?: DamageSpec[];
  png?: string;
  gif?: string;
  gifEvery?: number;
  state?: string;
  scale: number;
  backend: BackendName;
}

/** `nca render MODEL`: the run and the files the flags ask for. */
export async function renderCommand(model: string, flags: RenderFlags, io: CommandIo): Promise<number> {
  const { size, gifEvery, damage, ...rest } = flags;
  await render({ model, ...rest, ...size, damage: damage ?? [], ...(gifEvery === undefined ? {} : { frameEvery: gifEvery }) }, io);
  return EXIT_OK;
}
