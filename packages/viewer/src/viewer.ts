// The one controller of the viewer (STYLE: "one controller, two thin skins"): the Svelte app
// and the <nca-viewer> element both call these verbs, like the Distill demo's createCA.
import { checkBudget, PAGE_GPU_BYTES, viewerMemory } from '@nca-studio/core';
import { createCoreEngine } from './engine/coreEngine.ts';
import { drawState } from './engine/display.ts';
import type { Rgba } from './engine/display.ts';
import type { Engine, EngineKind, EngineModel, PassTiming } from './engine/engine.ts';
import { createFusedEngine, fusedUnsupported } from './engine/fused.ts';
import { getGpu, onContextChange } from './engine/gpu.ts';
import type { Gpu, Precision } from './engine/gpu.ts';
import type { ViewMode } from './engine/shaders.ts';

export interface ViewerOptions {
  /** `auto` (default): fused where it runs, else core's step on tfjs-webgl. */
  engine?: 'auto' | EngineKind;
  /** Grid size; the model's training size by default. */
  width?: number;
  height?: number;
  view?: ViewMode;
  background?: Rgba;
  /** Seed of the fire mask. */
  seed?: number;
  /** Store the state in half floats even where float32 works (every viewer of the page). */
  forceHalfFloat?: boolean;
}

export interface ViewerInfo {
  engine: EngineKind;
  /** Why the fused engine is not used, where it is not. */
  fallbackReason: string | null;
  precision: Precision;
  /** A line for the status bar where precision is reduced, else null. */
  precisionNote: string | null;
  width: number;
  height: number;
  channels: number;
}

export interface BenchmarkResult {
  engine: EngineKind;
  width: number;
  height: number;
  steps: number;
  msPerStep: number;
  stepsPerSecond: number;
  /** Each pass's time and share of a step. */
  passes: (PassTiming & { share: number })[];
}

export interface Viewer {
  readonly canvas: HTMLCanvasElement;
  readonly info: ViewerInfo;
  /** Steps run since the last reset. */
  readonly stepCount: number;
  /** The rotation of the perceived gradient, radians. */
  readonly angle: number;
  step(count?: number): void;
  draw(): void;
  /** Erases a disc, in grid coordinates (cell centres at integers). */
  damage(x: number, y: number, radius: number): void;
  /** Plants a new seed at a cell. */
  plant(x: number, y: number): void;
  /** Back to a single seed in the centre. */
  reset(): void;
  /** Runs another model (same grid unless `width`/`height` were left to the model); re-seeds. */
  setWeights(model: EngineModel): void;
  /** Changes the grid size and re-seeds. */
  setGrid(width: number, height: number): void;
  setAngle(radians: number): void;
  setView(view: ViewMode): void;
  setBackground(background: Rgba): void;
  /** Runs `steps` steps timed (with a GPU sync at each end), then the passes one by one. */
  benchmark(steps?: number): Promise<BenchmarkResult>;
  /** The state as [H, W, C] values: a GPU read-back, for tests and tools, never per frame. */
  readState(): Promise<Float32Array>;
  writeState(state: Float32Array): void;
  /** Waits for the GPU to finish the queued steps. */
  sync(): Promise<void>;
  dispose(): void;
}

export const WHITE: Rgba = [1, 1, 1, 1];

/**
 * The state snapshots a lost WebGL context is restored from: one readback at least this many
 * steps and this many milliseconds apart, so that a fast run does not stall on readbacks.
 */
const SNAPSHOT_EVERY = { steps: 64, ms: 1000 } as const;

/**
 * Refuses, before anything is allocated, a model and grid whose state and per-step work exceed
 * what one viewer may ask of the GPU it shares with the page (core's PAGE_GPU_BYTES): a lost
 * WebGL context would blank every other viewer on the page.
 */
function guardPage(model: EngineModel, width: number, height: number): void {
  checkBudget(
    `a ${width}x${height} grid of ${model.config.channels} channels and ${model.config.hidden} hidden units`,
    viewerMemory(model.config, { width, height }),
    PAGE_GPU_BYTES,
    "a viewer may ask of the page's GPU",
  );
}

/** GPU bytes held by the page's live viewers, each counted as its page budget counts it (core's viewerMemory). */
let liveBytes = 0;

/** What the page's live viewers hold on the GPU, by the same estimate the page budget uses; 0 once all are disposed. */
export function viewerGpuBytes(): number {
  return liveBytes;
}

function chooseEngine(gpu: Gpu, model: EngineModel, width: number, height: number, options: ViewerOptions): { engine: Engine; reason: string | null } {
  const wanted = options.engine ?? 'auto';
  const seed = options.seed ?? 1;
  if (wanted !== 'core') {
    const unsupported = fusedUnsupported(gpu, model);
    if (unsupported === null) {
      try {
        return { engine: createFusedEngine(gpu, model, { width, height, seed }), reason: null };
      } catch (error) {
        if (wanted === 'fused') {
          throw error;
        }
        return { engine: createCoreEngine(gpu, model, { width, height, seed }), reason: error instanceof Error ? error.message : String(error) };
      }
    }
    if (wanted === 'fused') {
      throw new Error(`the fused engine cannot run this model: ${unsupported}`);
    }
    return { engine: createCoreEngine(gpu, model, { width, height, seed }), reason: unsupported };
  }
  return { engine: createCoreEngine(gpu, model, { width, height, seed }), reason: 'core engine chosen' };
}

/**
 * A viewer drawing into `canvas` (its width and height become the grid size; scale it with CSS
 * `image-rendering: pixelated`). Resolves once the GPU is ready and the programs are compiled.
 */
export async function createViewer(canvas: HTMLCanvasElement, model: EngineModel, options: ViewerOptions = {}): Promise<Viewer> {
  guardPage(model, options.width ?? model.config.gridWidth, options.height ?? model.config.gridHeight);
  const gpu = await getGpu({ forceHalfFloat: options.forceHalfFloat ?? false });
  const context = canvas.getContext('2d');
  if (context === null) {
    throw new Error('the viewer canvas has no 2D context (was it used for WebGL already?)');
  }
  let current = model;
  let width = options.width ?? model.config.gridWidth;
  let height = options.height ?? model.config.gridHeight;
  let followModelGrid = options.width === undefined && options.height === undefined;
  let { engine, reason } = chooseEngine(gpu, model, width, height, options);
  let angle = model.config.angle;
  let view: ViewMode = options.view ?? { kind: 'colour' };
  let background: Rgba = options.background ?? WHITE;
  let stepCount = 0;
  let disposed = false;
  // While the page's WebGL context is lost nothing runs; once it is back, the engine is made
  // anew and the state restored from the last snapshot (see SNAPSHOT_EVERY).
  let lost = false;
  let snapshot: { state: Float32Array; stepCount: number } | null = null;
  let snapshotAt = 0;
  let snapshotTime = -Infinity;

  const rebuild = (): void => {
    const next = chooseEngine(gpu, current, width, height, options);
    engine.dispose();
    ({ engine, reason } = next);
    stepCount = 0;
    snapshot = null;
    snapshotAt = 0;
  };

  const takeSnapshot = (): void => {
    const from = engine;
    const at = stepCount;
    snapshotAt = at;
    snapshotTime = performance.now();
    from.read().then(
      (state) => {
        // A snapshot of an engine since replaced (new weights or grid) is of no use.
        if (from === engine && !lost) {
          snapshot = { state, stepCount: at };
        }
      },
      () => {},
    );
  };

  const stopListening = onContextChange((change) => {
    if (change === 'lost') {
      lost = true;
      return;
    }
    // The old engine's objects died with the context: nothing to dispose.
    ({ engine, reason } = chooseEngine(gpu, current, width, height, options));
    if (snapshot !== null) {
      engine.write(snapshot.state);
      stepCount = snapshot.stepCount;
    } else {
      stepCount = 0;
    }
    snapshot = null;
    snapshotAt = stepCount;
    lost = false;
  });

  let held = 0;
  const sizeCanvas = (): void => {
    canvas.width = width;
    canvas.height = height;
    liveBytes -= held;
    held = viewerMemory(current.config, { width, height }).bytes;
    liveBytes += held;
  };
  sizeCanvas();

  const viewer: Viewer = {
    canvas,
    get info(): ViewerInfo {
      return {
        engine: engine.kind,
        fallbackReason: reason,
        precision: engine.precision,
        precisionNote: gpu.precisionNote,
        width,
        height,
        channels: current.config.channels,
      };
    },
    get stepCount() {
      return stepCount;
    },
    get angle() {
      return angle;
    },

    step(count = 1) {
      if (lost) {
        return;
      }
      engine.step(count, { angle });
      stepCount += count;
      if (stepCount - snapshotAt >= SNAPSHOT_EVERY.steps && performance.now() - snapshotTime >= SNAPSHOT_EVERY.ms) {
        takeSnapshot();
      }
    },

    draw() {
      if (lost) {
        return;
      }
      const state = engine.view();
      try {
        drawState(gpu, context, { textures: state.textures, width, height, channels: engine.channels, display: current.config.display }, view, background);
      } finally {
        state.release();
      }
    },

    damage(x, y, radius) {
      if (!lost) {
        engine.damage({ x, y, radius });
      }
    },

    plant(x, y) {
      if (!lost && x >= 0 && y >= 0 && x < width && y < height) {
        engine.plant(Math.floor(x), Math.floor(y));
      }
    },

    reset() {
      if (!lost) {
        engine.reset();
        stepCount = 0;
        snapshot = null;
        snapshotAt = 0;
      }
    },

    setWeights(next) {
      guardPage(next, followModelGrid ? next.config.gridWidth : width, followModelGrid ? next.config.gridHeight : height);
      current = next;
      angle = next.config.angle;
      if (followModelGrid) {
        width = next.config.gridWidth;
        height = next.config.gridHeight;
      }
      sizeCanvas();
      if (view.kind === 'channels' && view.first + 3 > next.config.channels) {
        view = { kind: 'colour' };
      }
      rebuild();
    },

    setGrid(w, h) {
      if (!Number.isInteger(w) || !Number.isInteger(h) || w < 3 || h < 3 || w > gpu.maxTextureSize || h > gpu.maxTextureSize) {
        throw new RangeError(`grid ${w} x ${h} must be whole numbers from 3 to ${gpu.maxTextureSize}`);
      }
      guardPage(current, w, h);
      followModelGrid = w === current.config.gridWidth && h === current.config.gridHeight;
      width = w;
      height = h;
      sizeCanvas();
      rebuild();
    },

    setAngle(radians) {
      angle = radians;
    },

    setView(next) {
      view = next;
    },

    setBackground(next) {
      background = next;
    },

    async benchmark(steps = 30) {
      await engine.sync();
      const start = performance.now();
      viewer.step(steps);
      await engine.sync();
      const msPerStep = (performance.now() - start) / steps;
      const passes = await engine.profile(Math.max(3, Math.round(steps / 3)), { angle });
      const sum = passes.reduce((total, pass) => total + pass.msPerStep, 0) || 1;
      return {
        engine: engine.kind,
        width,
        height,
        steps,
        msPerStep,
        stepsPerSecond: 1000 / msPerStep,
        passes: passes.map((pass) => ({ ...pass, share: pass.msPerStep / sum })),
      };
    },

    readState: () => engine.read(),

    writeState(state) {
      engine.write(state);
    },

    sync: () => engine.sync(),

    dispose() {
      if (!disposed) {
        disposed = true;
        liveBytes -= held;
        held = 0;
        stopListening();
        if (!lost) {
          engine.dispose();
        }
      }
    },
  };
  return viewer;
}
