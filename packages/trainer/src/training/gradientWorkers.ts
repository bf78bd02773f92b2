import { Worker } from 'node:worker_threads';
import type { BackendName } from '../backends/names.ts';
import { shardedGradient, type GradientFunction, type GradientResult, type GradientRoute, type GradientTask } from '@nca-studio/core/training';
import { NcaError } from '../errors.ts';

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

type Reply = { ready: true; tfjs: boolean } | { ok: true; result: GradientResult; ms: number } | { ok: false; message: string };

/** How busy the workers kept the cores: what limits a batch split into whole samples. */
export interface WorkerLoad {
  /** Seconds spent in `gradient()`, the whole batch's wall time. */
  gradientSeconds: number;
  /** Per worker: the fraction of `gradientSeconds` it spent computing its shard. */
  busy: number[];
}

/**
 * Data-parallel training on the CPU: the batch is split over worker threads (each with its own
 * single-threaded wasm backend; core's shardedGradient: sample by sample on the kernel, one
 * contiguous shard each on tfjs), and the parts' gradients are summed in batch order.
 * With one worker everything runs on the calling thread.
 */
export class GradientWorkers {
  private gradientMs = 0;
  private readonly busyMs: number[];

  private constructor(
    private readonly workers: Worker[],
    readonly route: GradientRoute,
    private readonly local: GradientFunction | null,
    /** Per worker thread: whether it loaded tfjs (only the tfjs route does). */
    readonly tfjsLoaded: boolean[] = [],
  ) {
    this.busyMs = workers.map(() => 0);
  }

  /** No worker threads: every gradient on the calling thread. */
  static async inline(route: GradientRoute): Promise<GradientWorkers> {
    return new GradientWorkers([], route, await gradientFunction(route));
  }

  /** `count` threads for `route` (tfjs's on `backend`); one or none: the calling thread. */
  static async start(count: number, backend: BackendName, route: GradientRoute): Promise<GradientWorkers> {
    if (count <= 1) {
      return GradientWorkers.inline(route);
    }
    const workers = Array.from(
      { length: count },
      () => new Worker(WORKER_ENTRY, { workerData: { backend, route } }),
    );
    let ready: Reply[];
    try {
      ready = await Promise.all(workers.map((w) => reply(w)));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new GradientWorkers(workers, route, null, ready.map((r) => 'tfjs' in r && r.tfjs));
  }

  get size(): number {
    return Math.max(1, this.workers.length);
  }

  /** The gradient of the whole batch: shards computed in parallel, then summed in a fixed order. */
  async gradient(task: GradientTask): Promise<GradientResult> {
    const started = performance.now();
    try {
      return await this.split(task);
    } finally {
      this.gradientMs += performance.now() - started;
    }
  }

  /** Since the start: the gradients' wall time and each worker's share of it (none inline). */
  load(): WorkerLoad {
    return { gradientSeconds: this.gradientMs / 1000, busy: this.busyMs.map((ms) => (this.gradientMs > 0 ? ms / this.gradientMs : 0)) };
  }

  private split(task: GradientTask): Promise<GradientResult> {
    if (this.local !== null) {
      return this.local(task);
    }
    // The kernel's cost follows a sample's living cells, so it balances sample by sample.
    const split = this.route === 'kernel' ? 'sample' : 'even';
    return shardedGradient(task, this.workers.length, (shard, k) => {
      const worker = this.workers[k]!;
      const answer = reply(worker);
      worker.postMessage(shard, [shard.states.buffer as ArrayBuffer, shard.fire.buffer as ArrayBuffer]);
      return answer.then((r) => {
        if (!('ok' in r) || !r.ok) {
          throw new NcaError('WORKER_FAILED', `gradient worker failed: ${'message' in r ? r.message : 'no result'}`);
        }
        this.busyMs[k]! += r.ms;
        return r.result;
      });
    }, split);
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function reply(worker: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: Reply): void => {
      cleanup();
      resolve(m);
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new NcaError('WORKER_FAILED', `gradient worker crashed: ${e.message}`));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new NcaError('WORKER_FAILED', `gradient worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}
