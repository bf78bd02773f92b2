// `nca bench --profile`: where one iteration's time goes, per tfjs kernel on the tfjs route, per
// pass of the rollout kernel on the kernel route.
import * as tf from '@tensorflow/tfjs-core';
import { rolloutProfile, type RolloutProfile } from '@nca-studio/core/training';
import type { Checkpoint } from '@nca-studio/weights-format';
import type { GradientRoute } from '../backends/names.ts';
import { GradientWorkers } from '../training/gradientWorkers.ts';
import { trainLoop } from '../training/trainLoop.ts';

export interface KernelTime {
  kernel: string;
  /** The first input's shape, e.g. "[8,72,72,48]". */
  shape: string;
  calls: number;
  ms: number;
  /** Fraction of all profiled kernel time. */
  share: number;
}

export interface BenchProfile {
  steps: number;
  /** Wall time of the profiled iteration (profiling adds overhead). */
  seconds: number;
  /** The tfjs route: time per tfjs kernel. */
  kernelMs: number;
  kernels: KernelTime[];
  /** The kernel route: time per pass of core's rollout kernel (one thread). */
  passes: RolloutProfile | null;
}

/**
 * One more iteration of the same run on this thread: on the tfjs route under `tf.profile`,
 * kernels summed by name and first input shape; on the kernel route, the kernel's own time
 * per pass.
 */
export async function profileIteration(dir: string, after: Checkpoint, steps: number, route: GradientRoute): Promise<BenchProfile> {
  const next: Checkpoint = { ...after, plan: { ...after.plan, training: { ...after.plan.training, iterations: after.iteration + 1 } } };
  let seconds = 0;
  const workers = await GradientWorkers.inline(route);
  const iterate = (): Promise<unknown> => trainLoop(dir, next, { workers, onIteration: (i) => (seconds = i.seconds - after.seconds) });
  if (route === 'kernel') {
    await rolloutProfile();
    await iterate();
    return { steps, seconds, kernelMs: 0, kernels: [], passes: await rolloutProfile() };
  }
  const info = await tf.profile(async () => {
    await iterate();
  });
  return { steps, seconds, ...rankKernels(info.kernels, tf.getBackend()), passes: null };
}

type KernelRecord = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

/**
 * Sums kernel time by kernel name and first input shape, slowest first. `tf.profile` also
 * records op scopes (customGrad's `forward`, `fusedMatMul__op`...) whose time contains their
 * kernels': only names registered as kernels of `backend` are counted.
 */
export function rankKernels(records: readonly KernelRecord[], backend: string): { kernelMs: number; kernels: KernelTime[] } {
  const sums = new Map<string, KernelTime>();
  let kernelMs = 0;
  for (const record of records) {
    if (tf.getKernel(record.name, backend) === undefined) {
      continue;
    }
    const ms = typeof record.kernelTimeMs === 'number' ? record.kernelTimeMs : 0;
    const shape = JSON.stringify(record.inputShapes[0] ?? []);
    const key = `${record.name} ${shape}`;
    const entry = sums.get(key) ?? { kernel: record.name, shape, calls: 0, ms: 0, share: 0 };
    entry.calls += 1;
    entry.ms += ms;
    sums.set(key, entry);
    kernelMs += ms;
  }
  const kernels = [...sums.values()].sort((a, b) => b.ms - a.ms);
  for (const k of kernels) {
    k.share = kernelMs > 0 ? k.ms / kernelMs : 0;
  }
  return { kernelMs, kernels };
}

export function formatProfile(profile: BenchProfile, top = 10): string[] {
  const passes = profile.passes;
  if (passes !== null) {
    const named: Array<[string, number]> = [
      ['update rule, forward (matrix products)', passes.updateForward],
      ['update rule, backward (hidden rows + gradient products)', passes.updateBackward],
      ['perception of active cells (forward and backward)', passes.perceive],
      ['perception adjoint (gradient spread to neighbours)', passes.perceiveAdjoint],
      ['alive masks and masking', passes.masks],
      [
        'the rest (copies, loss, pass bookkeeping)',
        passes.total - passes.updateForward - passes.updateBackward - passes.perceive - passes.perceiveAdjoint - passes.masks,
      ],
    ];
    return [
      `profile: one iteration (${profile.steps} steps) on one thread, ${profile.seconds.toFixed(2)} s wall, ${(passes.total / 1000).toFixed(2)} s in the rollout kernel:`,
      ...named.map(
        ([name, ms]) => `  ${name.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms  ${((ms / Math.max(passes.total, 1e-9)) * 100).toFixed(1).padStart(5)}%`,
      ),
    ];
  }
  const rows = profile.kernels.slice(0, top);
  const width = Math.max(...rows.map((k) => `${k.kernel} ${k.shape}`.length), 24);
  return [
    `profile: one iteration (${profile.steps} steps), ${profile.seconds.toFixed(2)} s wall under profiling, ${(profile.kernelMs / 1000).toFixed(2)} s in kernels; top ${rows.length} of ${profile.kernels.length} by time:`,
    `  ${'kernel [first input shape]'.padEnd(width)}  ${'calls'.padStart(6)}  ${'ms'.padStart(9)}  share`,
    ...rows.map(
      (k) =>
        `  ${`${k.kernel} ${k.shape}`.padEnd(width)}  ${String(k.calls).padStart(6)}  ${k.ms.toFixed(1).padStart(9)}  ${(k.share * 100).toFixed(1).padStart(4)}%`,
    ),
  ];
}
