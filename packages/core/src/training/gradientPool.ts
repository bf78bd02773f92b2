// One pool of gradient workers for Node's worker threads and a page's Web Workers: each worker
// is a port (post a message, hear its replies), the batch is shared out by shardedGradient, and
// every worker answers with serveGradients. The CLI and the page differ only in how they open
// a port.
import { now } from '../clock.ts';
import type { GradientFunction, GradientResult, GradientTask } from './gradientTask.ts';
import { shardedGradient, type ShardSplit } from './shards.ts';

/** A worker as the pool talks to it: Node's Worker and a browser's Worker, each behind an adapter. */
export interface GradientPort {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  /** Calls `reply` with each message of the worker, `fail` when it crashes; returns the unsubscribe. */
  listen(reply: (message: unknown) => void, fail: (error: Error) => void): () => void;
  terminate(): unknown;
}

/** The worker side of a port: post a message, hear the pool's. */
export interface GradientScope {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  listen(request: (message: unknown) => void): void;
}

/** What a worker says: ready once (with what it loaded), then one answer per task. */
export type GradientReply = { ready: true; tfjs: boolean } | { ok: true; result: GradientResult; ms: number; memory: number } | { ok: false; message: string };

/** How busy the workers kept the cores: what limits a batch split into whole samples. */
export interface WorkerLoad {
  /** Seconds spent in `gradient()`, the whole batch's wall time. */
  gradientSeconds: number;
  /** Per worker: the fraction of `gradientSeconds` it spent computing its parts. */
  busy: number[];
  /** Cell-steps that ran the update rule, on a route that counts them (the kernel); else null. */
  activeCellSteps: number | null;
}

export class GradientPoolError extends Error {
  override readonly name = 'GradientPoolError';
}

/**
 * One port's conversation: a listener for its whole life, its replies handed out in the order
 * the requests went (a worker answers one at a time), and once it crashes or exits every
 * pending and later request fails at once rather than waiting for a reply that never comes.
 */
class Channel {
  private readonly pending: Array<{ resolve: (reply: GradientReply) => void; reject: (error: Error) => void }> = [];
  private dead: Error | null = null;
  private readonly unlisten: () => void;

  constructor(readonly port: GradientPort) {
    this.unlisten = port.listen(
      (message) => this.pending.shift()?.resolve(message as GradientReply),
      (error) => {
        this.dead ??= error;
        this.pending.splice(0).forEach((request) => request.reject(error));
      },
    );
  }

  /** The next reply, after posting `message` (or nothing, for a reply the worker sends unasked). */
  ask(message?: unknown, transfer: ArrayBuffer[] = []): Promise<GradientReply> {
    if (this.dead !== null) {
      return Promise.reject(this.dead);
    }
    const reply = new Promise<GradientReply>((resolve, reject) => this.pending.push({ resolve, reject }));
    if (message !== undefined) {
      this.port.postMessage(message, transfer);
    }
    return reply;
  }

  close(): unknown {
    this.unlisten();
    return this.port.terminate();
  }
}

const transferables = (result: GradientResult): ArrayBuffer[] => [
  result.final.buffer as ArrayBuffer,
  result.losses.buffer as ArrayBuffer,
  ...result.grads.map((g) => g.buffer as ArrayBuffer),
];

/**
 * Data-parallel gradients over worker ports: shardedGradient's parts, one at a time per worker,
 * summed in batch order (so the bits never depend on which worker was faster). `split` is
 * 'sample' for the kernel (its cost follows living cells), 'even' for tfjs's op-by-op routes.
 */
export class GradientPool {
  private gradientMs = 0;
  private activeCellSteps: number | null = null;
  /** The first failure: a pool that has failed refuses more work (its replies may be out of step). */
  private failure: Error | null = null;
  private readonly busyMs: number[];
  private readonly memory: number[];

  private constructor(
    private readonly channels: Channel[],
    private readonly split: ShardSplit,
    /** Per worker: whether it loaded tfjs (only the tfjs route does). */
    readonly tfjsLoaded: boolean[],
  ) {
    this.busyMs = channels.map(() => 0);
    this.memory = channels.map(() => 0);
  }

  /** Waits for every port's ready message (after posting `hello` to each, when given). */
  static async start(ports: GradientPort[], split: ShardSplit, hello?: unknown): Promise<GradientPool> {
    const channels = ports.map((port) => new Channel(port));
    try {
      const ready = await Promise.all(channels.map((channel) => channel.ask(hello)));
      const failed = ready.find((r): r is Extract<GradientReply, { ok: false }> => 'ok' in r && !r.ok);
      if (failed !== undefined) {
        throw new GradientPoolError(`a gradient worker did not start: ${failed.message}`);
      }
      return new GradientPool(
        channels,
        split,
        ready.map((r) => 'tfjs' in r && r.tfjs),
      );
    } catch (error) {
      await Promise.all(channels.map((channel) => channel.close()));
      throw error;
    }
  }

  get size(): number {
    return this.channels.length;
  }

  /** The memory every worker last reported (the kernel's wasm memory). */
  get memoryBytes(): number {
    return this.memory.reduce((a, b) => a + b, 0);
  }

  /** The gradient of the whole batch: parts computed in parallel, then summed in a fixed order. */
  async gradient(task: GradientTask): Promise<GradientResult> {
    if (this.failure !== null) {
      throw new GradientPoolError(`the gradient workers failed before (${this.failure.message}); start them again`);
    }
    const started = now();
    try {
      const result = await shardedGradient(
        task,
        this.channels.length,
        async (part, k) => {
          const reply = await this.channels[k]!.ask(part, [part.states.buffer as ArrayBuffer, part.fire.buffer as ArrayBuffer]).catch((error: Error) => {
            throw (this.failure ??= error);
          });
          if (!('ok' in reply) || !reply.ok) {
            throw (this.failure ??= new GradientPoolError(`a gradient worker failed: ${'message' in reply ? reply.message : 'no result'}`));
          }
          this.busyMs[k]! += reply.ms;
          this.memory[k] = reply.memory;
          return reply.result;
        },
        this.split,
      );
      if (result.activeCellSteps !== undefined) {
        this.activeCellSteps = (this.activeCellSteps ?? 0) + result.activeCellSteps;
      }
      return result;
    } finally {
      this.gradientMs += now() - started;
    }
  }

  /** Since the start: the gradients' wall time and each worker's share of it. */
  load(): WorkerLoad {
    return {
      gradientSeconds: this.gradientMs / 1000,
      busy: this.busyMs.map((ms) => (this.gradientMs > 0 ? ms / this.gradientMs : 0)),
      activeCellSteps: this.activeCellSteps,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.channels.map((channel) => channel.close()));
  }
}

/**
 * A worker's side: answers every task the pool posts with `gradient`'s result (its buffers
 * transferred), the time it took and `memory()`; says ready first. Node's gradient threads and
 * the page's kernel threads both run this.
 */
export function serveGradients(scope: GradientScope, gradient: GradientFunction, memory: () => number = () => 0): void {
  scope.listen((message) => {
    const started = now();
    gradient(message as GradientTask).then(
      (result) => scope.postMessage({ ok: true, result, ms: now() - started, memory: memory() } satisfies GradientReply, transferables(result)),
      (error: unknown) => scope.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies GradientReply, []),
    );
  });
  // Whether tfjs made its engine here (tfjs-core sets globalThis._tfengine when imported).
  scope.postMessage({ ready: true, tfjs: '_tfengine' in globalThis } satisfies GradientReply, []);
}
