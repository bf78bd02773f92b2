// Runs the fused engine and core's step side by side on the same state with the same fire
// masks, and reports how far apart they end up. The browser tests call it; so can a console.
import { countMature, createRng, drawFire } from '@nca-studio/core';
import { createCoreEngine } from '../engine/coreEngine.ts';
import type { EngineModel } from '../engine/engine.ts';
import { createFusedEngine } from '../engine/fused.ts';
import { getGpu } from '../engine/gpu.ts';

export interface ConformanceOptions {
  width?: number;
  height?: number;
  /** Steps compared, each with its own fire mask drawn from `seed`. */
  steps?: number;
  /** Steps run from the seed first (by the fused engine: faster), so the comparison starts from a grown pattern. */
  warmup?: number;
  seed?: number;
  angle?: number;
  /** A disc erased after the warm-up: edges where cells die and regrow. */
  damage?: { x: number; y: number; radius: number };
  /** Start from this state instead of a warm-up from the seed. */
  state?: Float32Array;
}

export interface ConformanceResult {
  steps: number;
  maxAbsDiff: number;
  /** The largest |value| of core's final state, for scale. */
  maxAbsValue: number;
  /** Cells with alpha > MATURE_ALPHA in core's final state. */
  matureCells: number;
  /** Cells whose alive/dead status differs between the two. */
  aliveMismatches: number;
}

export async function compareWithCore(model: EngineModel, options: ConformanceOptions = {}): Promise<ConformanceResult> {
  const gpu = await getGpu();
  const width = options.width ?? model.config.gridWidth;
  const height = options.height ?? model.config.gridHeight;
  const steps = options.steps ?? 20;
  const angle = options.angle ?? model.config.angle;
  const core = createCoreEngine(gpu, model, { width, height, seed: options.seed ?? 1 });
  const fused = createFusedEngine(gpu, model, { width, height, seed: options.seed ?? 1 });
  try {
    if (options.state !== undefined) {
      fused.write(options.state);
    } else {
      fused.step(options.warmup ?? 60, { angle });
      if (options.damage !== undefined) {
        fused.damage(options.damage);
      }
    }
    // Both start from exactly the same numbers.
    const start = await fused.read();
    fused.write(start);
    core.write(start);

    const rng = createRng(options.seed ?? 1);
    const rate = model.config.fireRate;
    for (let i = 0; i < steps; i++) {
      const fire = Float32Array.from(drawFire(rng, width * height, rate));
      core.step(1, { angle, fire });
      fused.step(1, { angle, fire });
    }
    const [a, b] = await Promise.all([core.read(), fused.read()]);
    const c = model.config.channels;
    let maxAbsDiff = 0;
    let maxAbsValue = 0;
    let aliveMismatches = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      maxAbsDiff = Number.isNaN(d) ? Infinity : Math.max(maxAbsDiff, d);
      maxAbsValue = Math.max(maxAbsValue, Math.abs(a[i]!));
    }
    for (let cell = 0; cell < width * height; cell++) {
      const deadA = Array.from({ length: c }, (_, k) => a[cell * c + k]).every((v) => v === 0);
      const deadB = Array.from({ length: c }, (_, k) => b[cell * c + k]).every((v) => v === 0);
      aliveMismatches += deadA === deadB ? 0 : 1;
    }
    return { steps, maxAbsDiff, maxAbsValue, matureCells: countMature(a, c), aliveMismatches };
  } finally {
    core.dispose();
    fused.dispose();
  }
}
