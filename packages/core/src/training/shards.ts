import type { GradientResult, GradientTask } from './batchGradient.ts';

/**
 * Data-parallel gradients: a batch split into contiguous shards, each one's rollout and
 * gradient computed apart (worker threads in Node, Web Workers on a page), the shard gradients
 * summed in shard order. The sum's order is fixed, so the same shard count gives the same bits.
 */
export async function shardedGradient(task: GradientTask, shards: number, compute: (shard: GradientTask, index: number) => Promise<GradientResult>): Promise<GradientResult> {
  const { config, count } = task;
  const parts = Math.min(shards, count);
  if (parts <= 1) {
    return compute(task, 0);
  }
  const cellsPerSample = config.gridHeight * config.gridWidth;
  const stateSize = cellsPerSample * config.channels;
  const bounds = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * count) / parts));
  const results = await Promise.all(
    Array.from({ length: parts }, (_, k) => {
      const [lo, hi] = [bounds[k]!, bounds[k + 1]!];
      // The fire draws are [steps, count, cells]: each shard takes its samples' rows of every step.
      const fire = new Uint8Array(task.steps * (hi - lo) * cellsPerSample);
      for (let s = 0; s < task.steps; s++) {
        const from = (s * count + lo) * cellsPerSample;
        fire.set(task.fire.subarray(from, from + (hi - lo) * cellsPerSample), s * (hi - lo) * cellsPerSample);
      }
      return compute({ ...task, count: hi - lo, states: task.states.slice(lo * stateSize, hi * stateSize), fire }, k);
    }),
  );
  const grads = results[0]!.grads.map((g) => new Float32Array(g.length));
  for (const r of results) {
    r.grads.forEach((g, i) => g.forEach((v, j) => (grads[i]![j]! += v)));
  }
  const losses = new Float32Array(count);
  const final = new Float32Array(count * stateSize);
  results.forEach((r, k) => {
    losses.set(r.losses, bounds[k]!);
    final.set(r.final, bounds[k]! * stateSize);
  });
  return { grads, losses, final };
}
