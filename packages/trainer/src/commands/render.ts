import {
  checkBudget,
  countMature,
  createRng,
  eraseDisc,
  IMAGE_BYTES,
  kernelRun,
  kernelRunMemory,
  startArray,
  sharedKernel,
  type MemoryEstimate,
  type RolloutKernel,
} from '@nca-studio/core';
import { encodeGif, GRID_SIDE, MATURE_ALPHA, type NcaConfig, type NcaModel } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { guardInference } from '../backends/budget.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import type { DamageSpec } from './choices.ts';
import type { CommandIo } from './io.ts';
import { loadModel } from './inspect.ts';
import { decodeNpy, encodeNpy } from '../files/npy.ts';
import { readFile, stat } from 'node:fs/promises';
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

/**
 * Runs a model from the seed (or `start`) on core's rollout kernel, forward only (kernelRun,
 * tested equal to `step` on the conformance matrix): `steps` CA steps, erasing the `damage` discs
 * at their steps. Reads nothing and writes nothing. The kernel computes only the cells that fire
 * and, with the pre-and-post alive mask, have a mature neighbour, so a small pattern on a large
 * grid costs what the pattern costs; the fire draws are the whole grid's, so a render consumes
 * the RNG as core's run does.
 */
export async function renderModel(model: NcaModel, options: RenderOptions, kernel?: RolloutKernel): Promise<RenderResult> {
  const width = options.width ?? model.config.gridWidth;
  const height = options.height ?? model.config.gridHeight;
  checkOptions(options, width, height);
  const config: NcaConfig = { ...model.config, gridWidth: width, gridHeight: height, fireRate: options.fireRate ?? model.config.fireRate };
  const channels = config.channels;
  const grid = { height, width, channels };
  const frameEvery = options.frameEvery ?? 0;
  if (options.start !== undefined && options.start.length !== width * height * channels) {
    throw new NcaError('BAD_FLAG', `the start state has ${options.start.length} values, expected ${height} x ${width} x ${channels}`);
  }
  const runner = kernel ?? (await sharedKernel());
  const rng = createRng(options.seed ?? 1);
  const damage = options.damage ?? [];
  const framed = (t: number): boolean => frameEvery > 0 && (t % frameEvery === 0 || t === options.steps);
  const frames: Frame[] = [];
  let state = options.start === undefined ? startArray(config, grid) : options.start.slice();
  /** What happens after step t: the discs of that step are erased, then a frame is kept. */
  const after = (t: number): void => {
    for (const disc of damage.filter((d) => d.step === t)) {
      eraseDisc(state, grid, disc);
    }
    if (framed(t)) {
      frames.push(stateToFrame(state, height, width, channels, [1, 1, 1], config.display));
    }
  };
  after(0);
  for (let t = 0; t < options.steps;) {
    // Run up to the next step where something happens.
    let next = t + 1;
    while (next < options.steps && !framed(next) && !damage.some((d) => d.step === next)) {
      next++;
    }
    state = kernelRun(runner, { config, params: model.params }, state, 1, next - t, rng).states;
    t = next;
    after(t);
  }
  return { state, width, height, channels, steps: options.steps, config, frames };
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
const GIF_TIMING = { frameMs: 40, lastFrameMs: 1500 } as const;

export interface RenderRequest extends RenderOptions {
  /** A weights file. */
  model: string;
  png?: string;
  gif?: string;
  /** A .npy file for the final state, float32 [H, W, C]. */
  state?: string;
  /** A .npy file to start from instead of the model's start (one written by `state`): float32 [H, W, C]. */
  init?: string;
  /** Integer upscale factor of the PNG and GIF. Default 4. */
  scale?: number;
}

/**
 * `--init STATE.npy`: a state [H, W, C] of this model's channel count, finite, whose grid agrees
 * with --size where both are given. Read and checked before any step runs.
 */
async function readInitialState(
  path: string,
  channels: number,
  size: { width?: number; height?: number },
): Promise<{ data: Float32Array; width: number; height: number }> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    // The largest grid (GRID_SIDE.max squared) of this model's channels, and the header.
    if (info.size > GRID_SIDE.max * GRID_SIDE.max * channels * 4 + 4096) {
      throw new NcaError('BAD_FLAG', `--init ${path}: ${info.size} bytes is larger than any ${channels}-channel state`);
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof NcaError) {
      throw error;
    }
    throw new NcaError('BAD_FLAG', `--init: file not found: ${path}`);
  }
  let decoded: { data: Float32Array; shape: number[] };
  try {
    decoded = decodeNpy(bytes);
  } catch (error) {
    throw new NcaError('BAD_FLAG', `--init ${path}: ${error instanceof Error ? error.message.replace(/^decodeNpy: /, '') : String(error)}`);
  }
  const [height, width, depth] = decoded.shape;
  if (decoded.shape.length !== 3 || depth !== channels || height === undefined || width === undefined) {
    throw new NcaError('BAD_FLAG', `--init ${path}: shape (${decoded.shape.join(', ')}), expected (height, width, ${channels}) for this model`);
  }
  if (height < GRID_SIDE.min || width < GRID_SIDE.min) {
    throw new NcaError('BAD_FLAG', `--init ${path}: a ${width}x${height} grid is smaller than ${GRID_SIDE.min}x${GRID_SIDE.min}`);
  }
  if ((size.width !== undefined && size.width !== width) || (size.height !== undefined && size.height !== height)) {
    throw new NcaError('BAD_FLAG', `--init ${path} is a ${width}x${height} grid, --size says ${size.width}x${size.height}: give one of them`);
  }
  if (!decoded.data.every(Number.isFinite)) {
    throw new NcaError('BAD_FLAG', `--init ${path}: the state has non-finite values`);
  }
  return { data: decoded.data, width, height };
}

export interface RenderSummary {
  width: number;
  height: number;
  steps: number;
  seconds: number;
  /** What ran the steps: core's rollout kernel, and which build. */
  runner: string;
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
  guardInference('rendering', kernelRunMemory(config, grid, { held: 1, batch: 1 }), 'kernel');
  const pixels = grid.width * scale * grid.height * scale;
  const picture = (what: string, bytes: number): MemoryEstimate => ({ bytes, parts: [{ what, bytes, setting: '--scale or --size' }] });
  if (request.png !== undefined) {
    checkBudget('the PNG', picture(`${grid.width * scale}x${grid.height * scale} pixels x 4 bytes`, pixels * 4), IMAGE_BYTES, 'a picture may take');
  }
  if (request.gif !== undefined) {
    const frames = Math.floor(request.steps / frameEvery) + 2;
    // The frames, and the encoder's palette indices and output beside them (at most as much again).
    checkBudget(
      'the GIF',
      picture(`${frames} frames of ${grid.width * scale}x${grid.height * scale} pixels x 4 bytes, twice`, 2 * frames * pixels * 4),
      IMAGE_BYTES,
      'a picture may take (--gif-every fewer frames)',
    );
  }
}

/** `nca render MODEL` (docs/design.md §6): runs a model headless on core's rollout kernel and writes the pictures and state asked for. */
export async function render(request: RenderRequest, io: { log: (line: string) => void } = { log: () => {} }): Promise<RenderSummary> {
  const scale = request.scale ?? 4;
  if (!Number.isSafeInteger(scale) || scale < 1 || scale > 64) {
    throw new NcaError('BAD_FLAG', `--scale must be an integer from 1 to 64, got ${scale}`);
  }
  const { model } = await loadModel(request.model);
  if (request.init !== undefined) {
    const init = await readInitialState(request.init, model.config.channels, request);
    request = { ...request, start: init.data, width: init.width, height: init.height };
  }
  const frameEvery = request.gif === undefined ? 0 : (request.frameEvery ?? defaultFrameEvery(request.steps));
  guardRender(model.config, request, scale, frameEvery);
  const kernel = await sharedKernel();
  const runner = `core's rollout kernel (${kernel.variant})`;
  const started = performance.now();
  const result = await renderModel(model, { ...request, frameEvery }, kernel);
  const seconds = (performance.now() - started) / 1000;
  const { mature, nonFinite } = stateStats(result.state, result.channels);
  // A texture has no alpha: its summary is the range of its state (at +-clip where the clips hold it).
  let [low, high] = [Infinity, -Infinity];
  for (const v of result.state) {
    [low, high] = [Math.min(low, v), Math.max(high, v)];
  }
  const shape = result.config.display === 'rgb-signed' ? `state in [${low.toFixed(2)}, ${high.toFixed(2)}]` : `${mature} cells with alpha > ${MATURE_ALPHA}`;
  io.log(
    `rendered ${request.model}: ${result.steps} steps on ${result.width}x${result.height} ` +
      `(fire rate ${result.config.fireRate}, seed ${request.seed ?? 1}${request.init === undefined ? '' : `, from ${request.init}`}, ${runner}) ` +
      `in ${seconds.toFixed(1)} s; ${shape}`,
  );
  if (nonFinite > 0) {
    io.log(`warning: the final state has ${nonFinite} non-finite values: the model diverged`);
  }
  const written: string[] = [];
  if (request.png !== undefined) {
    const frame = upscale(stateToFrame(result.state, result.height, result.width, result.channels, [1, 1, 1], result.config.display), scale);
    await writeFileAtomic(request.png, await encodePng(frame));
    written.push(request.png);
    io.log(`wrote ${request.png} (${frame.width}x${frame.height}, final state${result.config.display === 'rgba' ? ' over white' : ''})`);
  }
  if (request.gif !== undefined) {
    const frames = result.frames.map((frame) => upscale(frame, scale));
    await writeFileAtomic(request.gif, encodeGif(frames, GIF_TIMING));
    written.push(request.gif);
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    io.log(`wrote ${request.gif} (${plural(frames.length, 'frame')}, one every ${plural(frameEvery, 'step')})`);
  }
  if (request.state !== undefined) {
    await writeFileAtomic(request.state, encodeNpy(result.state, [result.height, result.width, result.channels]));
    written.push(request.state);
    io.log(`wrote ${request.state} (float32 [${result.height}, ${result.width}, ${result.channels}])`);
  }
  return { width: result.width, height: result.height, steps: result.steps, seconds, runner, mature, nonFinite, written };
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
  init?: string;
  scale: number;
}

/** `nca render MODEL`: the run and the files the flags ask for. */
export async function renderCommand(model: string, flags: RenderFlags, io: CommandIo): Promise<number> {
  const { size, gifEvery, damage, ...rest } = flags;
  await render({ model, ...rest, ...size, damage: damage ?? [], ...(gifEvery === undefined ? {} : { frameEvery: gifEvery }) }, io);
  return EXIT_OK;
}
