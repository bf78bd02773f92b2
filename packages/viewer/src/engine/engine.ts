import type { Disc } from '@nca-studio/core';
import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';
import type { Precision } from './gpu.ts';

export type EngineKind = 'fused' | 'core';

/** What an engine runs: a model's config and weights (an NcaModel is one). */
export interface EngineModel {
  config: NcaConfig;
  params: NcaParams;
}

/** The state as ceil(C/4) RGBA textures, texel (x, y) = channels 4g..4g+3 of cell (x, y). */
export interface StateTextures {
  textures: WebGLTexture[];
  /** Frees what was made for this view (the core engine copies its tensor): call after drawing. */
  release(): void;
}

export interface StepOptions {
  /** Rotation of the perceived gradient in radians (the model's own angle, or the user's). */
  angle: number;
  /** A fixed fire mask [H * W], 1 where the cell fires, for every step of this call: for tests. */
  fire?: Float32Array;
}

/** One way of running the CA on the GPU: fused WebGL passes, or core's step on tfjs-webgl. */
export interface Engine {
  readonly kind: EngineKind;
  readonly precision: Precision;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Runs `count` steps. Queues GPU work only: nothing is read back. */
  step(count: number, options: StepOptions): void;
  /** All zeros but a seed in the centre (docs/design.md §3). */
  reset(): void;
  damage(disc: Disc): void;
  /** Plants a seed at cell (x, y), keeping the rest. */
  plant(x: number, y: number): void;
  /** Replaces the state with [H, W, C] row-major values. */
  write(state: Float32Array): void;
  /** Reads the state back as [H, W, C] row-major values (a GPU sync: tests and tools only). */
  read(): Promise<Float32Array>;
  /** Waits until the GPU has finished every queued step (benchmarks). */
  sync(): Promise<void>;
  view(): StateTextures;
  /** Times each of the engine's passes over `count` steps; the state moves on. */
  profile(count: number, options: StepOptions): Promise<PassTiming[]>;
  dispose(): void;
}

export interface PassTiming {
  /** Named after the core function the pass computes. */
  name: string;
  msPerStep: number;
}
