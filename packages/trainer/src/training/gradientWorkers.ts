import { Worker } from 'node:worker_threads';
import {
  GradientPool,
  sampleBySample,
  GradientPoolError,
  type GradientFunction,
  type GradientPort,
  type GradientResult,
  type GradientRoute,
  type GradientTask,
  type WorkerLoad,
} from '@nca-studio/core/training';
import type { BackendName } from '../backends/names.ts';
import { NcaError } from '../errors.ts';

export type { WorkerLoad };

/**
 * A worker's entry: from the sources, a bootstrap that registers tsx (workers do not inherit the
 * main thread's loader); from the built package, the compiled module itself.
 */
const WORKER_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './gradientWorker.js' : './gradientWorkerMain.js', import.meta.url);

/**
 * A route's gradient on this thread, its modules loaded when first asked for: the kernel and
 * WebGPU routes load no tfjs (core's `training` entry); `tfjs` runs core's batchGradient on the
 * tfjs backend selected here.
 */
export async function gradientFunction(route: GradientRoute): Promise<GradientFunction> {
  switch (route) {
    case 'kernel':
      return (await import('@nca-studio/core/training')).kernelBatchGradient;
    case 'webgpu': {
      const [{ webgpuGradient }, { webgpuDevice }] = await Promise.all([import('@nca-studio/core/training'), import('../backends/webgpu.ts')]);
      // Compiled once per shape of model, on this process's device.
      return webgpuGradient(async () => (await webgpuDevice()).device);
    }
    case 'tfjs':
      await (await import('../backends/backend.ts')).registerGradients();
      return (await import('@nca-studio/core')).batchGradient;
  }
}

/** A worker thread as core's GradientPool talks to it. */
function threadPort(worker: Worker): GradientPort {
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    listen(reply, fail) {
      const onError = (e: Error): void => fail(new NcaError('WORKER_FAILED', `gradient worker crashed: ${e.message}`));
      const onExit = (code: number): void => fail(new NcaError('WORKER_FAILED', `gradient worker exited with code ${code}`));
      worker.on('message', reply);
      worker.on('error', onError);
      worker.on('exit', onExit);
      return () => {
        worker.off('message', reply);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * Data-parallel training on the CPU: core's GradientPool over worker threads (sample by sample
 * on the kernel, one contiguous shard each on tfjs), or, with one worker, the route on the
 * calling thread. Failures come out as NcaError WORKER_FAILED.
 */
export class GradientWorkers {
  private localMs = 0;
  private localActive: number | null = null;

  private constructor(
    private readonly pool: GradientPool | null,
    readonly route: GradientRoute,
    private readonly local: GradientFunction | null,
  ) {}

  /** No worker threads: every gradient on the calling thread. */
  static async inline(route: GradientRoute): Promise<GradientWorkers> {
    const gradient = await gradientFunction(route);
    // The kernel one sample at a time, as on worker threads: a run's bits never depend on the worker count.
    return new GradientWorkers(null, route, route === 'kernel' ? sampleBySample(gradient) : gradient);
  }

  /** `count` threads for `route` (tfjs's on `backend`); one or none: the calling thread. */
  static async start(count: number, backend: BackendName, route: GradientRoute): Promise<GradientWorkers> {
    if (count <= 1) {
      return GradientWorkers.inline(route);
    }
    const ports = Array.from({ length: count }, () => threadPort(new Worker(WORKER_ENTRY, { workerData: { backend, route } })));
    // The kernel's cost follows a sample's living cells, so it balances sample by sample.
    const pool = await GradientPool.start(ports, route === 'kernel' ? 'sample' : 'even').catch(rethrow);
    return new GradientWorkers(pool, route, null);
  }

  get size(): number {
    return this.pool?.size ?? 1;
  }

  /** Per worker thread: whether it loaded tfjs (only the tfjs route does); none inline. */
  get tfjsLoaded(): boolean[] {
    return this.pool?.tfjsLoaded ?? [];
  }

  /** The gradient of the whole batch: shards computed in parallel, then summed in a fixed order. */
  async gradient(task: GradientTask): Promise<GradientResult> {
    if (this.pool !== null) {
      return this.pool.gradient(task).catch(rethrow);
    }
    const started = performance.now();
    try {
      const result = await this.local!(task);
      if (result.activeCellSteps !== undefined) {
        this.localActive = (this.localActive ?? 0) + result.activeCellSteps;
      }
      return result;
    } finally {
      this.localMs += performance.now() - started;
    }
  }

  /** Since the start: the gradients' wall time and each worker's share of it (none inline). */
  load(): WorkerLoad {
    return this.pool?.load() ?? { gradientSeconds: this.localMs / 1000, busy: [], activeCellSteps: this.localActive };
  }

  async stop(): Promise<void> {
    await this.pool?.stop();
  }
}

function rethrow(error: unknown): never {
  throw error instanceof GradientPoolError ? new NcaError('WORKER_FAILED', error.message) : error;
}
