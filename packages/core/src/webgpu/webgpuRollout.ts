import type { NcaConfig } from '@nca-studio/weights-format';
import { fieldBytes, lossScales, packFields, PADDING_CODES, PRODUCT_FIELDS, SHAPE_FIELDS, STEP_FIELDS } from '../rolloutLayout.ts';
import { layoutOf, packParams, padChannels, unpackGrads, unpadChannels, webgpuRolloutBytes, type Layout } from './rolloutBuffers.ts';
import type { GradientResult, GradientTask } from '../training/gradientTask.ts';
import { BUFFER_USAGE, MAP_READ, type GpuBindGroup, type GpuBuffer, type GpuComputePipeline, type GpuDevice } from './gpu.ts';
import { sampleLosses } from '../training/sampleLoss.ts';
import { CELLS_PER_WORKGROUP, rolloutShader } from './rolloutShader.ts';
import { createRng } from '../rng.ts';
import { KeptExemplar, textureLoss, textureLossSettings } from '../training/textureLoss.ts';

export type WebgpuRolloutErrorCode = 'WEBGPU_SHADER' | 'WEBGPU_LIMIT' | 'WEBGPU_MEMORY' | 'WEBGPU_LOST';

export class WebgpuRolloutError extends Error {
  constructor(
    readonly code: WebgpuRolloutErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WebgpuRolloutError';
  }
}

const ENTRY_POINTS = ['preMask', 'updateForward', 'postMask', 'seedGradient', 'updateBackward', 'adjoint', 'productPartial', 'reducePartials'] as const;
type EntryPoint = (typeof ENTRY_POINTS)[number];
/** Uniform entries one bind group each: WebGPU's minUniformBufferOffsetAlignment. */
const UNIFORM_STRIDE = 256;

/** Everything one rollout shape needs on the device, built once and reused while it lasts. */
interface Resources {
  key: string;
  /** Where the backward pass starts: d(loss)/d(final state). */
  gradient: GpuBuffer;
  layout: Layout;
  buffers: GpuBuffer[];
  shape: GpuBuffer;
  params: GpuBuffer;
  history: GpuBuffer[];
  fire: GpuBuffer;
  target: GpuBuffer;
  partials: GpuBuffer;
  grads: GpuBuffer;
  readback: GpuBuffer;
  forward: Array<Array<[EntryPoint, GpuBindGroup]>>;
  seed: GpuBindGroup;
  backward: Array<Array<[EntryPoint, GpuBindGroup, number, number, number]>>;
  reduce: GpuBindGroup;
}

/**
 * The training rollout and its gradient as WGSL compute shaders of our own (rolloutShader.ts):
 * the same result as `batchGradient` and the wasm kernel (tested equal on the conformance
 * matrix), in one command buffer per call with the gradient and final states read back once;
 * a loss given at the final state (a texture's) takes two, the final states read in between.
 * Runs on any WebGPU device: Dawn in Node, `navigator.gpu` in a browser.
 */
export class WebgpuRollout {
  private resources: Resources | null = null;
  private readonly exemplar = new KeptExemplar();

  private constructor(
    private readonly device: GpuDevice,
    private readonly pipelines: Map<EntryPoint, GpuComputePipeline>,
    private readonly channels: number,
    private readonly hidden: number,
    private readonly filters: number,
  ) {}

  /** Compiles the shaders for a channel count, hidden width and filter count (3, or 4 with a Laplacian) on `device`. */
  static async create(device: GpuDevice, channels: number, hidden: number, filters = 3): Promise<WebgpuRollout> {
    const module = device.createShaderModule({ code: rolloutShader(channels, hidden, filters) });
    const errors = (await module.getCompilationInfo()).messages.filter((m) => m.type === 'error');
    if (errors.length > 0) {
      throw new WebgpuRolloutError('WEBGPU_SHADER', `the rollout shader did not compile: ${errors.map((e) => `line ${e.lineNum}: ${e.message}`).join('; ')}`);
    }
    device.pushErrorScope('validation');
    const pipelines = new Map<EntryPoint, GpuComputePipeline>();
    for (const entryPoint of ENTRY_POINTS) {
      pipelines.set(entryPoint, await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint } }));
    }
    const error = await device.popErrorScope();
    if (error !== null) {
      throw new WebgpuRolloutError('WEBGPU_SHADER', `the rollout pipelines could not be created: ${error.message}`);
    }
    return new WebgpuRollout(device, pipelines, channels, hidden, filters);
  }

  /** Frees the device memory of the current shape (the next call allocates again). */
  release(): void {
    this.resources?.buffers.forEach((b) => b.destroy());
    this.resources = null;
  }

  async gradient(task: GradientTask): Promise<GradientResult> {
    const { config, count, steps } = task;
    const filters = config.laplacian ? 4 : 3;
    if (config.channels !== this.channels || config.hidden !== this.hidden || filters !== this.filters) {
      throw new Error(
        `this WebgpuRollout is compiled for ${this.channels} channels, hidden ${this.hidden} and ${this.filters} filters, not ${config.channels}, ${config.hidden} and ${filters}`,
      );
    }
    const r = await this.resourcesFor(config, count, steps);
    const l = r.layout;
    const queue = this.device.queue;

    queue.writeBuffer(r.params, 0, packParams(task, l));
    queue.writeBuffer(r.history[0]!, 0, padChannels(task.states, l));
    const fire = new Uint8Array(r.fire.size);
    fire.set(task.fire.subarray(0, steps * l.n));
    queue.writeBuffer(r.fire, 0, fire);
    queue.writeBuffer(r.target, 0, task.target.subarray(0, l.cells * 4));
    const shape = packFields(SHAPE_FIELDS, {
      count,
      height: config.gridHeight,
      width: config.gridWidth,
      cells: l.cells,
      n: l.n,
      padding: PADDING_CODES[config.padding],
      tanhOn: flag(config.tanh),
      prePost: flag(config.aliveMasking === 'pre-post'),
      clampOn: flag(config.clampRgba),
      noMask: flag(config.aliveMasking === 'none'),
      chunks: l.chunks,
      threshold: config.aliveThreshold,
      ...lossScales(config, task.batch, task),
      bound: config.clip ?? 0,
      totalOut: l.productOne + l.productTwo,
      productOne: l.productOne,
      productTwo: l.productTwo,
    });
    queue.writeBuffer(r.shape, 0, shape);

    // A loss given as d(loss)/d(final) (a texture's) needs the final states first: the forward
    // pass is submitted alone, the loss computed here, its gradient written where the backward
    // pass starts. Otherwise the whole rollout is one submission.
    const given = task.texture !== undefined || task.finalGrad !== undefined;
    const cellGroups = Math.ceil(l.n / CELLS_PER_WORKGROUP);
    const stateBytes = l.n * l.c4 * 16;
    const gradBytes = (l.productOne + l.productTwo) * 16;
    let encoder = this.device.createCommandEncoder();
    encoder.clearBuffer(r.partials);
    let pass = encoder.beginComputePass();
    const run = (entry: EntryPoint, group: GpuBindGroup, x: number, y = 1, z = 1): void => {
      pass.setPipeline(this.pipelines.get(entry)!);
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(x, y, z);
    };
    const prePost = config.aliveMasking === 'pre-post';
    for (const groups of r.forward) {
      for (const [entry, group] of groups) {
        if (entry !== 'preMask' || prePost) {
          run(entry, group, cellGroups);
        }
      }
    }
    let losses: Float32Array | null = null;
    let final: Float32Array | null = null;
    if (given) {
      pass.end();
      encoder.copyBufferToBuffer(r.history[steps]!, 0, r.readback, gradBytes, stateBytes);
      await this.submit(encoder);
      final = unpadChannels((await this.read(r.readback)).subarray(gradBytes / 4), l);
      const seed = this.givenGradient(task, final);
      losses = seed.losses;
      this.device.queue.writeBuffer(r.gradient, 0, padChannels(seed.grad, l));
      encoder = this.device.createCommandEncoder();
      pass = encoder.beginComputePass();
    } else {
      run('seedGradient', r.seed, cellGroups);
    }
    for (const groups of r.backward) {
      for (const [entry, group, x, y, z] of groups) {
        run(entry, group, x, y, z);
      }
    }
    run('reducePartials', r.reduce, Math.ceil((l.productOne + l.productTwo) / CELLS_PER_WORKGROUP));
    pass.end();
    encoder.copyBufferToBuffer(r.grads, 0, r.readback, 0, gradBytes);
    if (!given) {
      encoder.copyBufferToBuffer(r.history[steps]!, 0, r.readback, gradBytes, stateBytes);
    }
    await this.submit(encoder);
    const out = await this.read(r.readback);
    final ??= unpadChannels(out.subarray((l.productOne + l.productTwo) * 4), l);
    return {
      grads: unpackGrads(out, l),
      losses: losses ?? sampleLosses(final, task.target, count, l.cells, l.c),
      final,
    };
  }

  private async submit(encoder: ReturnType<GpuDevice['createCommandEncoder']>): Promise<void> {
    this.device.pushErrorScope('validation');
    this.device.queue.submit([encoder.finish()]);
    const error = await this.device.popErrorScope();
    if (error !== null) {
      throw new WebgpuRolloutError('WEBGPU_SHADER', `the rollout could not run: ${error.message}`);
    }
  }

  private async read(buffer: GpuBuffer): Promise<Float32Array> {
    await buffer.mapAsync(MAP_READ);
    const out = new Float32Array(buffer.getMappedRange().slice(0));
    buffer.unmap();
    return out;
  }

  /**
   * d(loss)/d(final) [count, H, W, C] where the task brings its own loss: a texture's, computed
   * on the final states as the kernel route computes it (the same directions for the same seed),
   * or `finalGrad` as given (its losses 0).
   */
  private givenGradient(task: GradientTask, final: Float32Array): { losses: Float32Array; grad: Float32Array } {
    const { texture } = task;
    if (texture === undefined) {
      return { losses: new Float32Array(task.count), grad: task.finalGrad! };
    }
    const grid = { width: task.config.gridWidth, height: task.config.gridHeight, channels: task.config.channels };
    return textureLoss(final, task.count, grid, this.exemplar.of(texture), createRng(texture.seed), task.batch, textureLossSettings(texture.loss));
  }

  private async resourcesFor(config: NcaConfig, count: number, steps: number): Promise<Resources> {
    const l = layoutOf(config, count, steps);
    const key = `${config.gridWidth}x${config.gridHeight}x${count}x${steps}`;
    if (this.resources?.key === key) {
      return this.resources;
    }
    this.release();
    const limits = this.device.limits;
    const cellGroups = Math.ceil(l.n / CELLS_PER_WORKGROUP);
    const largest = Math.max(l.n * l.row.length * 16, l.chunks * (l.productOne + l.productTwo) * 16, (l.productOne + l.productTwo + l.n * l.c4) * 16);
    if (cellGroups > limits.maxComputeWorkgroupsPerDimension || largest > limits.maxStorageBufferBindingSize || largest > limits.maxBufferSize) {
      throw new WebgpuRolloutError(
        'WEBGPU_LIMIT',
        `a rollout of ${count} x ${config.gridWidth}x${config.gridHeight} needs a ${(largest / 2 ** 20).toFixed(0)} MiB buffer; this GPU binds at most ${(limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB: use a smaller batch or grid`,
      );
    }
    const buffers: GpuBuffer[] = [];
    this.device.pushErrorScope('out-of-memory');
    const buffer = (bytes: number, usage: number): GpuBuffer => {
      const b = this.device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage });
      buffers.push(b);
      return b;
    };
    const storage = BUFFER_USAGE.STORAGE | BUFFER_USAGE.COPY_DST | BUFFER_USAGE.COPY_SRC;
    const stateBytes = l.n * l.c4 * 16;
    const shape = buffer(fieldBytes(SHAPE_FIELDS), BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST);
    const params = buffer(l.params * 16, storage);
    const stepUniform = buffer(Math.max(steps, 1) * UNIFORM_STRIDE, BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST);
    const productUniform = buffer(2 * UNIFORM_STRIDE, BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST);
    const history = Array.from({ length: steps + 1 }, () => buffer(stateBytes, storage));
    const masks = Array.from({ length: steps }, () => buffer(l.n * 4, storage));
    const pre = buffer(l.n * 4, storage);
    const u = buffer(stateBytes, storage);
    const fire = buffer(Math.ceil((steps * l.n) / 4) * 4, storage);
    const target = buffer(l.cells * 16, storage);
    const g = [buffer(stateBytes, storage), buffer(stateBytes, storage)];
    const work = buffer(l.n * l.row.length * 16, storage);
    const flags = buffer(cellGroups * 4, storage);
    const partials = buffer(l.chunks * (l.productOne + l.productTwo) * 16, storage);
    const grads = buffer((l.productOne + l.productTwo) * 16, storage);
    const readback = buffer((l.productOne + l.productTwo + l.n * l.c4) * 16, BUFFER_USAGE.MAP_READ | BUFFER_USAGE.COPY_DST);
    const oom = await this.device.popErrorScope();
    if (oom !== null) {
      buffers.forEach((b) => b.destroy());
      throw new WebgpuRolloutError(
        'WEBGPU_MEMORY',
        `the GPU has no room for a rollout of ${count} x ${config.gridWidth}x${config.gridHeight} x ${steps} steps (${(webgpuRolloutBytes(config, count, steps) / 2 ** 20).toFixed(0)} MiB): ${oom.message}`,
      );
    }

    const stepData = new ArrayBuffer(Math.max(steps, 1) * UNIFORM_STRIDE);
    for (let s = 0; s < steps; s++) {
      packFields(STEP_FIELDS, { s, a: 0, b: 0, c: 0 }, stepData, s * UNIFORM_STRIDE);
    }
    this.device.queue.writeBuffer(stepUniform, 0, stepData);
    const productData = new ArrayBuffer(2 * UNIFORM_STRIDE);
    // Within a row of work: [P 1]^T dH -> [dW1; db1], then [H 1]^T dZ -> [dW2; db2].
    packFields(PRODUCT_FIELDS, { aOffset: l.row.p, aCols: l.k4 + 1, bOffset: l.row.dH, bCols: l.h4, partialOffset: 0, a: 0, b: 0, c: 0 }, productData, 0);
    packFields(
      PRODUCT_FIELDS,
      { aOffset: l.row.h, aCols: l.h4 + 1, bOffset: l.row.dZ, bCols: l.c4, partialOffset: l.chunks * l.productOne, a: 0, b: 0, c: 0 },
      productData,
      UNIFORM_STRIDE,
    );
    this.device.queue.writeBuffer(productUniform, 0, productData);

    const whole = (b: GpuBuffer) => ({ buffer: b });
    const group = (entry: EntryPoint, bindings: Record<number, { buffer: GpuBuffer; offset?: number; size?: number }>): GpuBindGroup =>
      this.device.createBindGroup({
        layout: this.pipelines.get(entry)!.getBindGroupLayout(0),
        entries: Object.entries(bindings).map(([binding, resource]) => ({ binding: Number(binding), resource })),
      });
    const stepAt = (s: number) => ({ buffer: stepUniform, offset: s * UNIFORM_STRIDE, size: fieldBytes(STEP_FIELDS) });
    const productAt = (i: number) => ({ buffer: productUniform, offset: i * UNIFORM_STRIDE, size: fieldBytes(PRODUCT_FIELDS) });

    const forward: Resources['forward'] = [];
    for (let s = 0; s < steps; s++) {
      forward.push([
        ['preMask', group('preMask', { 0: whole(shape), 3: whole(history[s]!), 4: whole(pre) })],
        [
          'updateForward',
          group('updateForward', { 0: whole(shape), 1: whole(params), 2: stepAt(s), 3: whole(history[s]!), 5: whole(pre), 6: whole(fire), 7: whole(u) }),
        ],
        ['postMask', group('postMask', { 0: whole(shape), 8: whole(u), 5: whole(pre), 9: whole(history[s + 1]!), 10: whole(masks[s]!) })],
      ]);
    }
    const seed = group('seedGradient', { 0: whole(shape), 3: whole(history[steps]!), 12: whole(target), 13: whole(g[0]!) });
    const backward: Resources['backward'] = [];
    const productGroups: Array<[number, number, number]> = [
      [Math.ceil(((l.k4 + 1) * l.h4) / CELLS_PER_WORKGROUP), l.chunks, 1],
      [Math.ceil(((l.h4 + 1) * l.c4) / CELLS_PER_WORKGROUP), l.chunks, 1],
    ];
    for (let s = steps - 1; s >= 0; s--) {
      const from = g[(steps - 1 - s) % 2]!;
      const to = g[(steps - s) % 2]!;
      backward.push([
        [
          'updateBackward',
          group('updateBackward', {
            0: whole(shape),
            1: whole(params),
            2: stepAt(s),
            3: whole(history[s]!),
            6: whole(fire),
            11: whole(masks[s]!),
            14: whole(from),
            15: whole(to),
            16: whole(work),
            18: whole(flags),
          }),
          cellGroups,
          1,
          1,
        ],
        [
          'adjoint',
          group('adjoint', { 0: whole(shape), 1: whole(params), 2: stepAt(s), 6: whole(fire), 11: whole(masks[s]!), 17: whole(work), 15: whole(to) }),
          cellGroups,
          1,
          1,
        ],
        ...productGroups.map(
          ([x, y, z], i) =>
            [
              'productPartial',
              group('productPartial', { 0: whole(shape), 17: whole(work), 19: whole(flags), 20: productAt(i), 21: whole(partials) }),
              x,
              y,
              z,
            ] as [EntryPoint, GpuBindGroup, number, number, number],
        ),
      ]);
    }
    const reduce = group('reducePartials', { 0: whole(shape), 22: whole(partials), 23: whole(grads) });
    this.resources = {
      key,
      gradient: g[0]!,
      layout: l,
      buffers,
      shape,
      params,
      history,
      fire,
      target,
      partials,
      grads,
      readback,
      forward,
      seed,
      backward,
      reduce,
    };
    return this.resources;
  }
}

function flag(value: boolean): number {
  return value ? 1 : 0;
}

/**
 * `batchGradient` on `device` through the fused shaders: one WebgpuRollout per filter count, channel count
 * and hidden width, compiled on first use. Calls run one after another (they share buffers).
 */
export function webgpuGradient(device: GpuDevice | (() => Promise<GpuDevice>)): (task: GradientTask) => Promise<GradientResult> {
  const rollouts = new Map<string, Promise<WebgpuRollout>>();
  let queue: Promise<unknown> = Promise.resolve();
  let resolved: Promise<GpuDevice> | null = null;
  const deviceOf = (): Promise<GpuDevice> => (resolved ??= typeof device === 'function' ? device() : Promise.resolve(device));
  return (task) => {
    const filters = task.config.laplacian ? 4 : 3;
    const key = `${task.config.channels}/${task.config.hidden}/${filters}`;
    const run = queue.then(async () => {
      let rollout = rollouts.get(key);
      if (rollout === undefined) {
        rollout = deviceOf().then((d) => WebgpuRollout.create(d, task.config.channels, task.config.hidden, filters));
        rollouts.set(key, rollout);
        rollout.catch(() => rollouts.delete(key));
      }
      return (await rollout).gradient(task);
    });
    queue = run.catch(() => undefined);
    return run;
  };
}
