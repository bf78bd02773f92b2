import { shardedGradient, type GradientResult, type GradientTask, type RolloutVariant } from '@nca-studio/core/training';

type Reply = { ready: true } | { ok: true; result: GradientResult; memory: number } | { ok: false; message: string };

function reply(worker: Worker): Promise<Reply> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Reply>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(`a gradient thread failed: ${event.message}`));
  });
}

/**
 * The batch's gradient split over Web Workers sample by sample, summed in batch order (core's
 * shardedGradient, as the CLI's worker threads): a page trains on every core, as `nca train`.
 */
export class KernelThreads {
  private readonly memory: number[];

  private constructor(private readonly workers: Worker[]) {
    this.memory = workers.map(() => 0);
  }

  static async start(count: number, variant: RolloutVariant): Promise<KernelThreads> {
    const workers = Array.from({ length: count }, () => new Worker(new URL('./kernelThread.ts', import.meta.url), { type: 'module' }));
    try {
      const answers = await Promise.all(
        workers.map((worker) => {
          const answer = reply(worker);
          worker.postMessage({ variant });
          return answer;
        }),
      );
      const failed = answers.find((a): a is { ok: false; message: string } => 'ok' in a && !a.ok);
      if (failed !== undefined) {
        throw new Error(failed.message);
      }
    } catch (error) {
      workers.forEach((worker) => worker.terminate());
      throw error;
    }
    return new KernelThreads(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** The wasm memory of every thread's kernel. */
  get memoryBytes(): number {
    return this.memory.reduce((a, b) => a + b, 0);
  }

  gradient(task: GradientTask): Promise<GradientResult> {
    return shardedGradient(task, this.workers.length, async (shard, k) => {
      const worker = this.workers[k]!;
      const answer = reply(worker);
      worker.postMessage({ task: shard }, [shard.states.buffer, shard.fire.buffer] as Transferable[]);
      const r = await answer;
      if (!('ok' in r) || !r.ok) {
        throw new Error(`a gradient thread failed: ${'message' in r ? r.message : 'no result'}`);
      }
      this.memory[k] = r.memory;
      return r.result;
    });
  }

  stop(): void {
    this.workers.forEach((worker) => worker.terminate());
  }
}
