import type { EvalReport, GradientRoute, RolloutVariant, TextureReport, Verdict } from '@nca-studio/core/training';
import type { NcaConfig, NcaParams, RunPlan } from '@nca-studio/weights-format';

/** How the worker computes each batch's gradient: core's route names (`tfjs` runs on WebGL here). */
export type TrainRoute = GradientRoute;

/**
 * A finished model's figures: a growing model's (nca eval's, and the verdict nca train gives),
 * or a texture's (nca eval's texture report).
 */
export type RunEvaluation = { kind: 'growth'; report: EvalReport; verdict: Verdict } | { kind: 'texture'; report: TextureReport };

/** Page -> worker. */
export type ToWorker =
  | {
      type: 'start';
      id: string;
      /** A new run: its plan and padded premultiplied target (a texture's: its exemplar, RGBA / 255). */
      plan?: RunPlan;
      target?: Float32Array;
      /** Or a saved run: its checkpoint file's bytes. */
      checkpoint?: Uint8Array;
      route: TrainRoute | 'auto';
      /** The kernel build (default: this browser's best); the simd build is bit-equal to Node's. */
      variant?: RolloutVariant;
      /** Gradient threads for the kernel (default: one per core, up to the batch); 1 trains in the worker itself. */
      threads?: number;
      checkpointSeconds: number;
      previewSeconds: number;
    }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' };

/** What the worker's memory holds, to show it stays flat over a run. */
export interface WorkerMemory {
  /** tfjs's tensors: none on the kernel and WebGPU routes, which load no tfjs. */
  tensors: number;
  tensorBytes: number;
  /** JS heap in use, where the browser tells (Chromium's performance.memory). */
  heapBytes: number | null;
  wasmBytes: number;
}

/** Worker -> page. */
export type FromWorker =
  | {
      type: 'started';
      route: TrainRoute;
      reason: string;
      iteration: number;
      total: number;
      losses: number[];
      /** Whether the run weaves a texture (its plan has an exemplar) rather than growing a picture. */
      texture: boolean;
      /** Whether this worker loaded tfjs: only the tfjs route does. */ tfjs: boolean;
    }
  | {
      type: 'progress';
      iteration: number;
      /** The last iteration; a time budget's cap (MAX_ITERATIONS) until it settles. */
      total: number;
      loss: number;
      lr: number;
      seconds: number;
      /** Seconds left in a time budget; null for a run by count. */
      timeLeft: number | null;
      iterationsPerSecond: number;
      memory: WorkerMemory;
    }
  | { type: 'preview'; iteration: number; model: { config: NcaConfig; params: NcaParams } }
  | { type: 'saved'; iteration: number; bytes: number }
  | { type: 'storage'; message: string }
  | { type: 'paused'; iteration: number }
  | {
      type: 'finished';
      iteration: number;
      status: 'stopped' | 'done';
      model: Uint8Array;
      evaluation: RunEvaluation;
    }
  | { type: 'failed'; message: string };
