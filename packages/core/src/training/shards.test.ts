import { DEFAULT_CONFIG, type NcaConfig } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { createParams } from '../freshParams.ts';
import { createRng } from '../rng.ts';
import { seedArray } from '../seed.ts';
import { drawFire } from '../fireDraw.ts';
import { kernelBatchGradient } from '../wasm/rolloutKernel.ts';
import type { GradientResult, GradientTask } from './gradientTask.ts';
import { largestFirst, shardedGradient } from './shards.ts';

const config: NcaConfig = { ...DEFAULT_CONFIG, gridWidth: 12, gridHeight: 12, hidden: 16 };
const cells = config.gridWidth * config.gridHeight;
const size = cells * config.channels;

/** Sample n holds a living square of side `sides[n]` (0: a seed), so samples cost unevenly. */
function task(sides: number[], steps = 6): GradientTask {
  const rng = createRng(7);
  const count = sides.length;
  const states = seedArray({ height: config.gridHeight, width: config.gridWidth, channels: config.channels }, count);
  sides.forEach((side, n) => {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let ch = 3; ch < config.channels; ch++) {
          states[n * size + ((y + 2) * config.gridWidth + x + 2) * config.channels + ch] = 0.5 + 0.5 * rng.next();
        }
      }
    }
  });
  return {
    config,
    params: createParams(config, rng),
    states,
    count,
    steps,
    fire: drawFire(rng, steps * count * cells, config.fireRate),
    target: new Float32Array(cells * 4).map(() => rng.next()),
    batch: count,
    overflowWeight: 1,
    outsideWeight: 0,
    detailWeight: 0.5,
  };
}

/** Workers that take `delays(worker, call)` ms more per part, recording what each computed. */
function workers(delays: (worker: number, call: number) => number): {
  compute: (part: GradientTask, worker: number) => Promise<GradientResult>;
  log: string[];
} {
  const log: string[] = [];
  const busy = new Set<number>();
  let calls = 0;
  const compute = async (part: GradientTask, worker: number): Promise<GradientResult> => {
    expect(busy.has(worker)).toBe(false);
    busy.add(worker);
    const call = calls++;
    const result = await kernelBatchGradient(part);
    await new Promise((resolve) => setTimeout(resolve, delays(worker, call)));
    log.push(`${worker}:${part.count}`);
    busy.delete(worker);
    return result;
  };
  return { compute, log };
}

function bits(r: GradientResult): number[][] {
  return [...r.grads, r.losses, r.final].map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));
}

describe('shardedGradient', () => {
  it('orders samples by their living cells, the largest first, ties in batch order', () => {
    expect(largestFirst(task([0, 5, 8, 5]))).toEqual([2, 1, 3, 0]);
  });

  it('gives the same bits whichever worker computes a sample and in what order they finish', async () => {
    const t = task([0, 5, 8, 3]);
    const fast = workers(() => 0);
    const skewed = workers((worker, call) => (worker === 0 ? 200 : call));
    const a = await shardedGradient(t, 2, fast.compute);
    const b = await shardedGradient(t, 2, skewed.compute);
    expect(bits(a)).toEqual(bits(b));
    expect(skewed.log.every((entry) => entry.endsWith(':1'))).toBe(true);
    // Worker 0 is slow: worker 1 takes every sample after the first.
    expect(skewed.log.filter((entry) => entry.startsWith('0:'))).toHaveLength(1);
    expect(skewed.log).toHaveLength(4);
  });

  it('sums the per-sample gradients in batch order, and the sum is the whole batch gradient', async () => {
    const t = task([0, 5, 8, 3]);
    const split = await shardedGradient(t, 2, (part) => kernelBatchGradient(part));
    const parts = await Promise.all(
      [0, 1, 2, 3].map((n) => kernelBatchGradient({ ...t, count: 1, states: t.states.slice(n * size, (n + 1) * size), fire: fireOf(t, n, n + 1) })),
    );
    const sum = parts[0]!.grads.map((g) => new Float32Array(g.length));
    parts.forEach((p) => p.grads.forEach((g, i) => g.forEach((v, j) => (sum[i]![j]! += v))));
    expect(split.grads.map((g) => Array.from(g))).toEqual(sum.map((g) => Array.from(g)));
    parts.forEach((p, n) => {
      expect(split.losses[n]).toBe(p.losses[0]);
      expect(Array.from(split.final.subarray(n * size, (n + 1) * size))).toEqual(Array.from(p.final));
    });
    const whole = await kernelBatchGradient(t);
    whole.grads.forEach((g, i) => g.forEach((v, j) => expect(split.grads[i]![j]!).toBeCloseTo(v, 5)));
  });

  it("'even' hands worker k the k-th contiguous half, as tfjs's routes want", async () => {
    const t = task([0, 5, 8, 3]);
    const seen: string[] = [];
    const r = await shardedGradient(
      t,
      2,
      async (part, worker) => {
        seen.push(`${worker}:${part.count}`);
        return kernelBatchGradient(part);
      },
      'even',
    );
    expect(seen.sort()).toEqual(['0:2', '1:2']);
    const halves = await Promise.all(
      [0, 1].map((k) => kernelBatchGradient({ ...t, count: 2, states: t.states.slice(2 * k * size, 2 * (k + 1) * size), fire: fireOf(t, 2 * k, 2 * k + 2) })),
    );
    const sum = halves[0]!.grads.map((g, i) => g.map((v, j) => v + halves[1]!.grads[i]![j]!));
    expect(r.grads.map((g) => Array.from(g))).toEqual(sum.map((g) => Array.from(g)));
  });

  it('one sample runs whole; one worker takes the samples one after another (the same bits as two)', async () => {
    const t = task([4]);
    const seen: number[] = [];
    await shardedGradient(t, 2, async (part, worker) => {
      seen.push(worker, part.count);
      return kernelBatchGradient(part);
    });
    expect(seen).toEqual([0, 1]);
    const batch = task([0, 5]);
    const alone: number[] = [];
    const one = await shardedGradient(batch, 1, async (part, worker) => {
      alone.push(worker, part.count);
      return kernelBatchGradient(part);
    });
    expect(alone).toEqual([0, 1, 0, 1]);
    const two = await shardedGradient(batch, 2, async (part) => kernelBatchGradient(part));
    one.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(two.grads[i]!)));
    const even: number[] = [];
    await shardedGradient(
      batch,
      1,
      async (part, worker) => {
        even.push(worker, part.count);
        return kernelBatchGradient(part);
      },
      'even',
    );
    expect(even).toEqual([0, 2]);
  });
});

/** The fire rows of samples [lo, hi) of every step. */
function fireOf(t: GradientTask, lo: number, hi: number): Uint8Array {
  const out = new Uint8Array(t.steps * (hi - lo) * cells);
  for (let s = 0; s < t.steps; s++) {
    out.set(t.fire.subarray((s * t.count + lo) * cells, (s * t.count + hi) * cells), s * (hi - lo) * cells);
  }
  return out;
}
