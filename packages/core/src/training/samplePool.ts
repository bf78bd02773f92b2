import { eraseDisc, randomDisc, type Disc } from '../damageDisc.ts';
import type { DamageRadius } from '../presets.ts';
import type { Rng } from '../rng.ts';
import { seedArray, type GridShape } from '../seed.ts';
import { sampleLosses } from './sampleLoss.ts';

/**
 * The sample pool of the regenerating and persistent recipes (docs/design.md §4): states that training
 * has already grown, so the model learns to keep and repair a pattern, not only to grow it.
 * Kept as one flat Float32Array [size, H, W, C] outside the backend, so a checkpoint can save it.
 */
export class SamplePool {
  readonly cellsPerSample: number;
  readonly states: Float32Array;
  /**
   * Each sample's loss against the target (sampleLosses), kept as the rollouts return it, so
   * that ranking a batch worst-first recomputes nothing.
   */
  readonly losses: Float32Array;

  constructor(
    readonly size: number,
    readonly grid: GridShape,
    states?: Float32Array,
    target?: Float32Array,
  ) {
    this.cellsPerSample = grid.height * grid.width * grid.channels;
    if (states !== undefined && states.length !== size * this.cellsPerSample) {
      throw new RangeError(`SamplePool: ${states.length} values for ${size} samples of ${this.cellsPerSample}`);
    }
    this.states = states ?? SamplePool.filled(size, seedArray(grid));
    this.losses = target === undefined ? new Float32Array(size) : sampleLosses(this.states, target, size, grid.height * grid.width, grid.channels);
  }

  /** `size` copies of one start state (a seed, or a texture's zeros). */
  static filled(size: number, seed: Float32Array): Float32Array {
    const states = new Float32Array(size * seed.length);
    for (let i = 0; i < size; i++) {
      states.set(seed, i * seed.length);
    }
    return states;
  }

  /** `count` distinct indices, uniformly (partial Fisher-Yates over the pool). */
  sample(count: number, rng: Rng): number[] {
    const order = Array.from({ length: this.size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rng.next() * (this.size - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order.slice(0, count);
  }

  /** The states at `indices`, concatenated: [indices.length, H, W, C]. */
  gather(indices: readonly number[]): Float32Array {
    const out = new Float32Array(indices.length * this.cellsPerSample);
    indices.forEach((index, n) => {
      out.set(this.states.subarray(index * this.cellsPerSample, (index + 1) * this.cellsPerSample), n * this.cellsPerSample);
    });
    return out;
  }

  /** `indices` ordered by their samples' losses, the worst first (ties keep their order). */
  worstFirst(indices: readonly number[]): number[] {
    return [...indices].sort((a, b) => this.losses[b]! - this.losses[a]!);
  }

  /** Writes a batch of states and their losses back to the pool at `indices`. */
  scatter(indices: readonly number[], batch: Float32Array, losses?: Float32Array): void {
    indices.forEach((index, n) => {
      this.states.set(batch.subarray(n * this.cellsPerSample, (n + 1) * this.cellsPerSample), index * this.cellsPerSample);
      if (losses !== undefined) {
        this.losses[index] = losses[n]!;
      }
    });
  }
}

/**
 * docs/design.md §4 pool step, on a batch already sorted worst-first: the worst sample is replaced by a
 * fresh `start` (the seed; a texture's zeros) when `reseed`, and the `damaged` best ones (the end of the batch) get a random
 * disc. The worst sample is never damaged either way.
 */
export function prepareBatch(
  batch: Float32Array,
  count: number,
  grid: GridShape,
  damaged: number,
  rng: Rng,
  radius: DamageRadius,
  reseed = true,
  start: Float32Array = seedArray(grid),
): Disc[] {
  if (reseed) {
    batch.set(start, 0);
  }
  const discs: Disc[] = [];
  const size = grid.height * grid.width * grid.channels;
  for (let n = Math.max(1, count - damaged); n < count; n++) {
    const disc = randomDisc(grid, rng, radius);
    eraseDisc(batch.subarray(n * size, (n + 1) * size), grid, disc);
    discs.push(disc);
  }
  return discs;
}
