import { MATURE_ALPHA } from '@nca-studio/weights-format';
import type { GradientResult, GradientTask } from './gradientTask.ts';

/**
 * How a batch is cut into parts for the workers. 'sample': one sample per part, handed to
 * whichever worker is idle, the most living cells first (the rollout kernel's cost follows
 * them, and a batch of grown, damaged and fresh samples costs unevenly: contiguous halves left
 * one core idle a third of the time). 'even': one contiguous part per worker (tfjs's routes,
 * whose ops cost per call and gain from a larger batch).
 */
export type ShardSplit = 'sample' | 'even';

/**
 * Data-parallel gradients: the batch cut into parts, each part's rollout and gradient computed
 * apart (worker threads in Node, Web Workers on a page) by `compute(part, worker)`, one part at a
 * time per worker, the part gradients summed in batch order. The parts and their sum's order
 * depend on the batch alone, never on which worker computed what or when, so the same split and
 * worker count give the same bits.
 */
export async function shardedGradient(
  task: GradientTask,
  workers: number,
  compute: (part: GradientTask, worker: number) => Promise<GradientResult>,
  split: ShardSplit = 'sample',
): Promise<GradientResult> {
  const { config, count } = task;
  // 'sample' cuts per sample even for one worker: the sum then runs in batch order whatever the
  // worker count, so a run's bits never depend on how many threads computed it.
  if (count <= 1 || (workers <= 1 && split === 'even')) {
    return compute(task, 0);
  }
  const cellsPerSample = config.gridHeight * config.gridWidth;
  const stateSize = cellsPerSample * config.channels;
  const parts = split === 'sample' ? count : Math.min(workers, count);
  const bounds = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * count) / parts));
  const partTask = (k: number): GradientTask => {
    const [lo, hi] = [bounds[k]!, bounds[k + 1]!];
    // The fire draws are [steps, count, cells]: each part takes its samples' rows of every step.
    const fire = new Uint8Array(task.steps * (hi - lo) * cellsPerSample);
    for (let s = 0; s < task.steps; s++) {
      const from = (s * count + lo) * cellsPerSample;
      fire.set(task.fire.subarray(from, from + (hi - lo) * cellsPerSample), s * (hi - lo) * cellsPerSample);
    }
    return { ...task, count: hi - lo, states: task.states.slice(lo * stateSize, hi * stateSize), fire };
  };
  const queue = split === 'sample' ? largestFirst(task) : Array.from({ length: parts }, (_, k) => k);
  const results: GradientResult[] = new Array<GradientResult>(parts);
  let next = 0;
  const work = async (worker: number): Promise<void> => {
    while (next < queue.length) {
      const k = queue[next++]!;
      results[k] = await compute(partTask(k), worker);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, parts)) }, (_, worker) => work(worker)));
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
  const counted = results.every((r) => r.activeCellSteps !== undefined);
  return { grads, losses, final, ...(counted ? { activeCellSteps: results.reduce((sum, r) => sum + r.activeCellSteps!, 0) } : {}) };
}

/** The batch's sample indices, the most living (mature) cells first; ties in batch order. */
export function largestFirst(task: GradientTask): number[] {
  const { config, count } = task;
  const cells = config.gridHeight * config.gridWidth;
  const c = config.channels;
  const living = Array.from({ length: count }, (_, n) => {
    let alive = 0;
    for (let cell = 0; cell < cells; cell++) {
      alive += task.states[(n * cells + cell) * c + 3]! > MATURE_ALPHA ? 1 : 0;
    }
    return alive;
  });
  return living.map((_, n) => n).sort((a, b) => living[b]! - living[a]! || a - b);
}

/**
 * A route's gradient on one thread, sample by sample and summed in batch order: the bits of the
 * same route split over any number of workers (the kernel's, whose parts are single samples).
 */
export function sampleBySample(gradient: (task: GradientTask) => Promise<GradientResult>): (task: GradientTask) => Promise<GradientResult> {
  return (task) => shardedGradient(task, 1, (part) => gradient(part), 'sample');
}
