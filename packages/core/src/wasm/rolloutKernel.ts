import { KERNEL_ARENA_BYTES } from '../budget.ts';
import { now } from '../clock.ts';
import { perceptionKernels } from '../kernels.ts';
import { createRng } from '../rng.ts';
import { KeptExemplar, textureLoss, textureLossSettings } from '../training/textureLoss.ts';
import { perceptionFilters } from '@nca-studio/weights-format';
import { fieldBytes, lossScales, packFields, PADDING_CODES, TASK_FIELDS } from '../rolloutLayout.ts';
import type { GradientResult, GradientTask } from '../training/gradientTask.ts';
import { ROLLOUT_RELAXED_WASM_BASE64, ROLLOUT_WASM_BASE64 } from './rolloutWasm.ts';

// The part of the WebAssembly JS API used here: it is a global in Node and in every browser,
// but core builds against ES2022 alone (no DOM or Node types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmExports {
  memory: WasmMemory;
  nca_arena(bytes: number): number;
  nca_scratch_bytes(cells: number, channels: number, filters: number, hidden: number, steps: number, forwardOnly: number): number;
  nca_rollout(task: number): void;
  nca_profile(): number;
  nca_active_cell_steps(): number;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports: { env: { now: () => number } }): Promise<{ instance: { exports: unknown } }>;
};

/** Milliseconds spent in each pass of the kernel (docs/design.md §3's parts of a step, forward and backward). */
export interface RolloutProfile {
  /** Alive masks before and after the update, and the masking itself. */
  masks: number;
  /** Perception of the active cells (forward, and again in the backward pass). */
  perceive: number;
  /** The update rule's matrix products, forward. */
  updateForward: number;
  /** The update rule backward: hidden rows (kept or recomputed) and the gradient products. */
  updateBackward: number;
  /** The adjoint of perception: each active cell's gradient spread onto its neighbourhood. */
  perceiveAdjoint: number;
  /** Whole rollouts, everything above included. */
  total: number;
}

export type RolloutKernelErrorCode = 'KERNEL_MEMORY';
export type RolloutVariant = 'simd' | 'relaxed-simd';

let relaxedSupported: boolean | null = null;

/** 'relaxed-simd' when this runtime validates that build, else 'simd'. */
export function bestVariant(): RolloutVariant {
  relaxedSupported ??= WebAssembly.validate(moduleBytes('relaxed-simd'));
  return relaxedSupported ? 'relaxed-simd' : 'simd';
}

const decoded = new Map<RolloutVariant, Uint8Array>();

/** A build's wasm bytes, decoded once per thread. */
function moduleBytes(variant: RolloutVariant): Uint8Array {
  let bytes = decoded.get(variant);
  if (bytes === undefined) {
    bytes = decodeBase64(variant === 'relaxed-simd' ? ROLLOUT_RELAXED_WASM_BASE64 : ROLLOUT_WASM_BASE64);
    decoded.set(variant, bytes);
  }
  return bytes;
}

export class RolloutKernelError extends Error {
  constructor(
    readonly code: RolloutKernelErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RolloutKernelError';
  }
}

/**
 * The training rollout and its gradient as one wasm kernel (rollout.c): the same result as
 * `batchGradient` (tested equal on the conformance matrix) without tfjs, computing only the
 * cells that fire and, with pre-post masking, have a mature neighbour. Runs wherever
 * WebAssembly with SIMD128 does: Node >= 16, every current browser.
 */
export class RolloutKernel {
  private constructor(
    private readonly exports: WasmExports,
    /** Which build runs: relaxed SIMD's fused multiply-add, or plain SIMD128. */
    readonly variant: RolloutVariant,
  ) {}

  /**
   * The relaxed-SIMD build where this runtime accepts it (browsers; Node with
   * --experimental-wasm-relaxed-simd), else the plain one; or the one asked for. Results differ
   * between the two by float rounding only; each is deterministic on a given machine.
   */
  static async load(variant: RolloutVariant = bestVariant()): Promise<RolloutKernel> {
    const { instance } = await WebAssembly.instantiate(moduleBytes(variant), { env: { now } });
    return new RolloutKernel(instance.exports as WasmExports, variant);
  }

  /** Time per pass since the last call, which resets it. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  profile(): RolloutProfile {
    const at = this.exports.nca_profile();
    const ms = new Float64Array(this.exports.memory.buffer, at, 6);
    return { masks: ms[0]!, perceive: ms[1]!, updateForward: ms[2]!, updateBackward: ms[3]!, perceiveAdjoint: ms[4]!, total: ms[5]! };
  }

  /**
   * `storeHidden: false` recomputes the hidden layer in the backward pass instead of keeping
   * the forward pass's (which it does while memory allows): the same result, more work.
   */
  gradient(task: GradientTask, options: { storeHidden?: boolean } = {}): GradientResult {
    const { texture } = task;
    if (texture === undefined) {
      return this.rollout(task, options.storeHidden ?? true, false);
    }
    // The texture loss needs the final states before the backward pass: a forward rollout, the
    // loss and its gradient here, then the rollout again with that gradient (the same fire draws).
    const forward = this.forward(task);
    const exemplar = this.exemplar.of(texture);
    const grid = { width: task.config.gridWidth, height: task.config.gridHeight, channels: task.config.channels };
    const { losses, grad } = textureLoss(forward.final, task.count, grid, exemplar, createRng(texture.seed), task.batch, textureLossSettings(texture.loss));
    const result = this.rollout({ ...task, finalGrad: grad }, options.storeHidden ?? true, false);
    return { ...result, losses, activeCellSteps: (result.activeCellSteps ?? 0) + forward.activeCellSteps };
  }

  /**
   * The rollout alone: the final states and the losses against the target, without the
   * history and the gradient (two state buffers, so a thousand steps cost no more memory than
   * one). `nca eval` and `nca render` run their models here; tested equal to `step`.
   */
  forward(task: ForwardTask): ForwardResult {
    const { losses, final, activeCellSteps } = this.rollout({ ...task, batch: task.count, overflowWeight: 0, outsideWeight: 0, detailWeight: 0 }, false, true);
    return { losses, final, activeCellSteps: activeCellSteps ?? 0 };
  }

  private readonly exemplar = new KeptExemplar();

  private rollout(task: GradientTask, storeHidden: boolean, forwardOnly: boolean): GradientResult {
    const { config, count, steps } = task;
    const c = config.channels;
    const hidden = config.hidden;
    const cells = config.gridHeight * config.gridWidth;
    const filters = perceptionFilters(config);
    const sizes = {
      header: fieldBytes(TASK_FIELDS),
      kernel: 36 * 4,
      w1: filters * c * hidden * 4,
      b1: hidden * 4,
      w2: hidden * c * 4,
      b2: c * 4,
      states: count * cells * c * 4,
      fire: steps * count * cells,
      target: cells * 4 * 4,
      finalGrad: task.finalGrad === undefined ? 0 : count * cells * c * 4,
      dw1: filters * c * hidden * 4,
      db1: hidden * 4,
      dw2: hidden * c * 4,
      db2: c * 4,
      losses: count * 4,
      final: count * cells * c * 4,
      // The C side's own layout: asked only once the request is known to fit, so its 32-bit
      // sum cannot wrap.
      scratch: 0,
    };
    const history = ((forwardOnly ? 1 : steps) + 3) * cells * c * 4;
    if (history > KERNEL_ARENA_BYTES) {
      throw memoryError(task, history);
    }
    sizes.scratch = this.exports.nca_scratch_bytes(cells, c, filters, hidden, steps, flag(forwardOnly));
    const offsets: Record<keyof typeof sizes, number> = { ...sizes };
    let total = 0;
    for (const key of Object.keys(sizes) as Array<keyof typeof sizes>) {
      offsets[key] = total;
      total += Math.ceil(sizes[key] / 16) * 16;
    }
    if (total > KERNEL_ARENA_BYTES) {
      throw memoryError(task, total);
    }
    const base = this.exports.nca_arena(total);
    if (base === 0) {
      throw new RolloutKernelError('KERNEL_MEMORY', `the rollout kernel could not grow its memory to ${(total / 2 ** 20).toFixed(0)} MiB`);
    }
    const buffer = this.exports.memory.buffer;
    const at = (key: keyof typeof sizes): number => base + offsets[key];
    const floats = (key: keyof typeof sizes, length: number): Float32Array => new Float32Array(buffer, at(key), length);

    floats('kernel', 36).set(perceptionKernels(config).flat(2));
    floats('w1', filters * c * hidden).set(task.params.dense1Weight);
    floats('b1', hidden).set(task.params.dense1Bias);
    floats('w2', hidden * c).set(task.params.dense2Weight);
    floats('b2', c).set(task.params.dense2Bias);
    floats('states', count * cells * c).set(task.states);
    new Uint8Array(buffer, at('fire'), steps * count * cells).set(task.fire);
    floats('target', cells * 4).set(task.target);
    if (task.finalGrad !== undefined) {
      if (task.finalGrad.length !== count * cells * c) {
        throw new RangeError(`finalGrad has ${task.finalGrad.length} values, expected ${count} x ${cells} x ${c}`);
      }
      floats('finalGrad', count * cells * c).set(task.finalGrad);
    }

    packFields(
      TASK_FIELDS,
      {
        count,
        height: config.gridHeight,
        width: config.gridWidth,
        channels: c,
        hidden,
        steps,
        padding: PADDING_CODES[config.padding],
        tanh: flag(config.tanh),
        prePost: flag(config.aliveMasking === 'pre-post'),
        clamp: flag(config.clampRgba),
        noMask: flag(config.aliveMasking === 'none'),
        filters,
        bound: config.clip ?? 0,
        storeHidden: flag(storeHidden),
        forwardOnly: flag(forwardOnly),
        threshold: config.aliveThreshold,
        ...lossScales(config, task.batch, task),
        kernel: at('kernel'),
        w1: at('w1'),
        b1: at('b1'),
        w2: at('w2'),
        b2: at('b2'),
        finalGrad: task.finalGrad === undefined ? 0 : at('finalGrad'),
        states: at('states'),
        fire: at('fire'),
        target: at('target'),
        dw1: at('dw1'),
        db1: at('db1'),
        dw2: at('dw2'),
        db2: at('db2'),
        losses: at('losses'),
        final: at('final'),
        scratch: at('scratch'),
      },
      buffer,
      at('header'),
    );
    this.exports.nca_rollout(at('header'));
    const activeCellSteps = this.exports.nca_active_cell_steps();
    // The kernel may have grown its memory (stored hidden rows): read through a fresh view.
    const grown = this.exports.memory.buffer;
    const result = (key: keyof typeof sizes, length: number): Float32Array => new Float32Array(grown, at(key), length).slice();

    return {
      grads: [result('dw1', filters * c * hidden), result('db1', hidden), result('dw2', hidden * c), result('db2', c)],
      losses: result('losses', count),
      final: result('final', count * cells * c),
      activeCellSteps,
    };
  }
}

/** A rollout with no gradient: the states, the fire draws [steps, count, H, W] and the target to measure against. */
export type ForwardTask = Pick<GradientTask, 'config' | 'params' | 'states' | 'count' | 'steps' | 'fire' | 'target'>;

export interface ForwardResult {
  /** Per-sample RGBA MSE against the target after the last step. */
  losses: Float32Array;
  /** [count, H, W, C] final states. */
  final: Float32Array;
  activeCellSteps: number;
}

function memoryError(task: GradientTask, bytes: number): RolloutKernelError {
  const { config } = task;
  return new RolloutKernelError(
    'KERNEL_MEMORY',
    `a rollout of ${task.count} x ${config.gridWidth}x${config.gridHeight} x ${task.steps} steps needs ${(bytes / 2 ** 30).toFixed(1)} GiB, more than wasm32 can address; use a smaller batch, grid or fewer steps`,
  );
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}

let shared: Promise<RolloutKernel> | null = null;

/** This thread's kernel, loaded once (the best build). */
export function sharedKernel(): Promise<RolloutKernel> {
  shared ??= RolloutKernel.load();
  return shared;
}

/** `batchGradient` on the wasm rollout kernel (one instance per thread, loaded once). */
export async function kernelBatchGradient(task: GradientTask): Promise<GradientResult> {
  return (await sharedKernel()).gradient(task);
}

/** The bytes of the shared kernel's wasm memory (it grows to the largest rollout, then stays). */
export async function kernelMemoryBytes(): Promise<number> {
  return (await sharedKernel()).memoryBytes;
}

/** The shared kernel's time per pass since the last call (which resets it). */
export async function rolloutProfile(): Promise<RolloutProfile> {
  return (await sharedKernel()).profile();
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function decodeBase64(text: string): Uint8Array {
  const value = new Uint8Array(128);
  for (let i = 0; i < BASE64.length; i++) {
    value[BASE64.charCodeAt(i)] = i;
  }
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    acc = (acc << 6) | value[clean.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
