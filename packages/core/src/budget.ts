// One resource budget for every way of running a CA: estimated from the config and the
// settings before any work, so that a flag or a model file that asks for many gigabytes is
// refused with the estimate and the setting to change, not found out by a crash or a hang.
import type { NcaConfig } from '@nca-studio/weights-format';
import type { GradientRoute } from './training/routes.ts';
import { webgpuRolloutBytes } from './webgpu/rolloutBuffers.ts';

const FLOAT = 4;
const GiB = 2 ** 30;
const MiB = 2 ** 20;

/**
 * What one tfjs-backend-wasm instance (the trainer's default, one per worker thread) can hold:
 * a wasm32 memory is at most 4 GiB, and tfjs's allocator grows it without compacting, so a
 * working set beyond half of it fails with "memory access out of bounds" long before 4 GiB.
 */
export const WASM_HEAP_BYTES = 2 * GiB;

/**
 * What one wasm rollout kernel may ask of its memory: wasm32 addresses at most 4 GiB, and the
 * kernel's own allocator keeps a margin below it.
 */
export const KERNEL_ARENA_BYTES = 3.5 * GiB;

/**
 * The sample pool is held in memory and written whole into every checkpoint: at 1 GiB a
 * checkpoint already takes seconds to write and as much again in free disk space.
 */
export const POOL_BYTES = 1 * GiB;

/** Largest picture `nca render` encodes (RGBA, all GIF frames together): 16384x16384 at most. */
export const IMAGE_BYTES = 1 * GiB;

/**
 * What one viewer or widget may ask of the GPU it shares with the rest of the page: a phone's
 * browser may give a whole tab less than 1 GB, and a lost context blanks every widget on it.
 */
export const PAGE_GPU_BYTES = 256 * MiB;

/** Share of the machine's memory that one run may plan to use. */
export const MACHINE_SHARE = 0.75;

export interface MemoryPart {
  /** What it holds, in the user's words, with the sizes that make it up. */
  what: string;
  bytes: number;
  /** The setting that shrinks it, as the user spells it (a CLI flag or an attribute). */
  setting: string;
}

export interface MemoryEstimate {
  bytes: number;
  parts: MemoryPart[];
}

export interface GridSize {
  width: number;
  height: number;
}

function estimate(parts: MemoryPart[]): MemoryEstimate {
  return { bytes: parts.reduce((sum, part) => sum + part.bytes, 0), parts };
}

/**
 * Running `batch` grids without gradients, per step: the state in and out, perception (3C),
 * the hidden layer, the update and the masks of every cell. Nothing accumulates over steps.
 */
export function inferenceMemory(config: Pick<NcaConfig, 'channels' | 'hidden'>, grid: GridSize, batch = 1, setting = '--size'): MemoryEstimate {
  const cells = grid.width * grid.height * batch;
  const c = config.channels;
  return estimate([
    { what: `state: ${batch > 1 ? `${batch} x ` : ''}${grid.width}x${grid.height} cells x ${c} channels, in and out`, bytes: cells * 2 * c * FLOAT, setting },
    {
      what: `one step's work: ${grid.width}x${grid.height} cells x (perception and ${config.hidden} hidden units)`,
      bytes: cells * (3 * c + config.hidden + c + 2) * FLOAT,
      setting,
    },
  ]);
}

/**
 * A forward run on the rollout kernel (kernelRun: `nca eval`, `nca render`): `held` states on
 * the host at once, and a batch of `batch` in the kernel's memory, in and out, beside its two
 * state buffers and one segment's fire draws (8 MiB). It works on 64 cells at a time, so the
 * hidden layer costs nothing here.
 */
export function kernelRunMemory(
  config: Pick<NcaConfig, 'channels'>,
  grid: GridSize,
  shape: { held: number; batch: number },
  setting = '--size',
): MemoryEstimate {
  const state = grid.width * grid.height * config.channels * FLOAT;
  const dims = `${grid.width}x${grid.height} cells x ${config.channels} channels`;
  return estimate([
    { what: `states held: ${shape.held} x ${dims}`, bytes: shape.held * state, setting },
    { what: `the kernel's batch: ${shape.batch} x ${dims}, in and out, and its two state buffers`, bytes: (2 * shape.batch + 2) * state, setting },
    { what: 'fire draws of one segment', bytes: 8 * 2 ** 20, setting },
  ]);
}

export interface TrainingShape {
  batch: number;
  pool: number;
  stepsMax: number;
}

/**
 * One training iteration of `batch` samples (on one worker; split the batch for several): the
 * rollout keeps each step's input, output and masks for the backward pass (2C + 2 floats per
 * cell and step, the hidden layer recomputed), and the backward pass of one step works on the
 * hidden layer three times over. The pool is counted apart: the main thread holds it.
 */
export function rolloutMemory(config: Pick<NcaConfig, 'channels' | 'hidden'>, grid: GridSize, batch: number, stepsMax: number): MemoryEstimate {
  const cells = grid.width * grid.height * batch;
  const c = config.channels;
  return estimate([
    {
      what: `rollout: ${batch} x ${grid.width}x${grid.height} cells x ${stepsMax} steps x ${2 * c + 2} floats`,
      bytes: cells * stepsMax * (2 * c + 2) * FLOAT,
      setting: '--steps, --batch or --target-size',
    },
    {
      what: `one step's backward pass: ${config.hidden} hidden units x 3 and perception x 4 per cell`,
      bytes: cells * (3 * config.hidden + 12 * c) * FLOAT,
      setting: '--target-size',
    },
  ]);
}

function poolMemory(config: Pick<NcaConfig, 'channels'>, grid: GridSize, pool: number): MemoryPart {
  return {
    what: `sample pool: ${pool} x ${grid.width}x${grid.height} cells x ${config.channels} channels`,
    bytes: pool * grid.width * grid.height * config.channels * FLOAT,
    setting: '--pool or --target-size',
  };
}

/**
 * A viewer's GPU memory: as one step of core's `step` (the fused engine needs less, but the viewer
 * falls back to core's step where the fused shader cannot run the model).
 */
export function viewerMemory(config: Pick<NcaConfig, 'channels' | 'hidden'>, grid: GridSize): MemoryEstimate {
  return inferenceMemory(config, grid, 1, 'grid-size');
}

/** A figure as people read it: 1.5 GiB, 340 MiB, 12 KiB. */
export function formatBytes(bytes: number): string {
  const units: Array<[number, string]> = [
    [GiB, 'GiB'],
    [MiB, 'MiB'],
    [1024, 'KiB'],
  ];
  for (const [size, unit] of units) {
    if (bytes >= size) {
      return `${(bytes / size).toFixed(bytes >= 10 * size ? 0 : 1)} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

/** An estimate over its limit: `message` gives the figure, the limit and the setting to change. */
export class BudgetError extends Error {
  override name = 'BudgetError';
  readonly code = 'RESOURCE_LIMIT';
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
    readonly limit: number,
  ) {
    super(message);
  }
}

/**
 * Throws a BudgetError when `estimate` is over `limit`: "<task> needs about X (largest part),
 * over the Y <limit's name>; lower <setting>".
 */
export function checkBudget(task: string, estimate: MemoryEstimate, limit: number, limitName: string): void {
  if (estimate.bytes <= limit) {
    return;
  }
  const largest = estimate.parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  throw new BudgetError(
    `${task} needs about ${formatBytes(estimate.bytes)} (${largest.what}: ${formatBytes(largest.bytes)}), over the ${formatBytes(limit)} ${limitName}; lower ${largest.setting}`,
    estimate,
    limit,
  );
}

/**
 * One worker's rollout of `batch` samples on `route`, as that route really holds it: tfjs keeps
 * the whole rollout (rolloutMemory); the wasm kernel rolls one sample out at a time (its steps'
 * states and masks) beside the part's states and fire draws (the hidden rows it keeps for the
 * backward pass while memory allows are not counted: past that it recomputes them); the WebGPU
 * route holds its buffers on the device (webgpuRolloutBytes).
 */
export function routeMemory(
  route: GradientRoute,
  config: Pick<NcaConfig, 'channels' | 'hidden'>,
  grid: GridSize,
  batch: number,
  stepsMax: number,
): MemoryEstimate {
  const cells = grid.width * grid.height;
  const c = config.channels;
  switch (route) {
    case 'tfjs':
      return rolloutMemory(config, grid, batch, stepsMax);
    case 'kernel':
      // The hidden rows the kernel keeps for the backward pass are a cache: it keeps them while
      // its memory allows and recomputes them past that, so they are no part of what it needs.
      return estimate([
        {
          what: `rollout kernel: ${stepsMax + 3} states of one ${grid.width}x${grid.height} sample x ${c} channels, and its masks`,
          bytes: (stepsMax + 3) * cells * c * FLOAT + 2 * stepsMax * cells,
          setting: '--steps or --target-size',
        },
        { what: `${batch} sample(s) in and out, and their fire draws`, bytes: batch * cells * (2 * c * FLOAT + stepsMax), setting: '--batch or --target-size' },
      ]);
    case 'webgpu':
      return estimate([
        {
          what: `the WebGPU rollout's device buffers for ${batch} x ${grid.width}x${grid.height} x ${stepsMax} steps`,
          bytes: webgpuRolloutBytes({ ...config, gridWidth: grid.width, gridHeight: grid.height } as NcaConfig, batch, stepsMax),
          setting: '--batch, --steps or --target-size',
        },
      ]);
  }
}

/**
 * The checks of a training run, before any work: the pool; one worker's part of the batch on
 * its route against what one worker can hold (a rollout kernel's memory; a wasm backend's heap
 * on the tfjs route); and the whole in this machine's memory where it is known (a GPU's memory
 * is the device's to refuse).
 */
export function checkTrainingBudget(
  config: Pick<NcaConfig, 'channels' | 'hidden'>,
  training: TrainingShape,
  grid: GridSize,
  options: { workers: number; route: GradientRoute; backend?: string; machineBytes?: number },
): void {
  const pool = poolMemory(config, grid, training.pool);
  checkBudget('the training run', estimate([pool]), POOL_BYTES, 'a sample pool may take (it goes into every checkpoint)');
  const workers = Math.max(1, options.workers);
  // The kernel's workers take the batch a sample at a time; tfjs's one contiguous part each.
  const part = options.route === 'kernel' && workers > 1 ? 1 : Math.ceil(training.batch / workers);
  const worker = routeMemory(options.route, config, grid, part, training.stepsMax);
  const each = workers > 1 ? ` (per worker, ${part} of the batch)` : '';
  if (options.route === 'kernel') {
    checkBudget(`one training iteration${each}`, worker, KERNEL_ARENA_BYTES, 'one rollout kernel can hold');
  } else if (options.route === 'tfjs' && options.backend === 'wasm') {
    checkBudget(`one training iteration${each}`, worker, WASM_HEAP_BYTES, 'one wasm worker can hold');
  }
  if (options.machineBytes !== undefined) {
    const host = options.route === 'webgpu' ? [] : worker.parts.map((p) => ({ ...p, bytes: p.bytes * workers }));
    checkBudget(
      'the training run',
      estimate([pool, ...host]),
      options.machineBytes * MACHINE_SHARE,
      `that is ${Math.round(MACHINE_SHARE * 100)}% of this machine's memory`,
    );
  }
}
