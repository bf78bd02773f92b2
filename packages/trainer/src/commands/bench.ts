import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import sharp from 'sharp';
import { PRESETS, rolloutProfile, type PresetName, type RolloutProfile, type TrainingSettings } from '@nca-studio/core';
import { selectBackend, type BackendInfo, type BackendName } from '../backends/backend.ts';
import type { GradientRoute } from '../backends/names.ts';
import type { Checkpoint } from '@nca-studio/weights-format';
import { EXIT_OK, NcaError } from '../errors.ts';
import { BENCH_DEFAULTS } from './choices.ts';
import type { CommandIo } from './io.ts';
import { decodeTarget } from '../images/target.ts';
import { GradientWorkers } from '../training/gradientWorkers.ts';
import { chooseWorkers, gradientRoute, planFromPreset } from '../training/plan.ts';
import { freshCheckpoint, trainLoop } from '../training/trainLoop.ts';
import { grownPool } from '../training/grownPool.ts';

export { grownPool };

/**
 * `nca bench`: times real training iterations (the exported `trainLoop`, pool and Adam
 * included) on a synthetic disc target and reports cell-steps per second: grid cells x CA
 * steps x batch, forward and backward, per second of training, first (warm-up) iteration
 * excluded. The same unit as `../shared/bench/torch_baseline.py`, run side by side (docs/design.md §8).
 */
export interface BenchOptions {
  /** Model and recipe; default 'regenerating'. */
  preset?: PresetName;
  backend?: BackendName;
  /** Grid side in cells (target px = size - 2 x padding); default the preset's grid. */
  size?: number;
  /** Empty cells on each side; default the preset's, shrunk to size/4 on small grids. */
  padding?: number;
  batch?: number;
  hidden?: number;
  /** CA steps of every iteration (fixed, so every iteration does the same work); default 80. */
  steps?: number;
  /** Iterations including the warm-up one; at least 2. Default 6. */
  iterations?: number;
  /** Also run the PyTorch baseline when `/usr/bin/python3` can import torch; default true. */
  torch?: boolean;
  /** Profile one more iteration with `tf.profile` and rank its kernels. */
  profile?: boolean;
  seed?: number;
  /** Gradient worker threads, as `nca train --workers` (0: one per core, up to the batch). */
  workers?: number;
  /** How the gradient is computed, as `nca train --gradient`; default the backend's. */
  gradient?: GradientRoute;
  /** Where batches come from: seeds, a pool of grown states, or both in turn (default). */
  mode?: BenchMode | 'both';
  /**
   * Other routes timed on the same run after ours, for ratios side by side; default on
   * webgpu: tfjs (op by op on WebGPU) and kernel (wasm, one worker per core), else none.
   */
  compare?: GradientRoute[];
}

/** Another gradient route timed on the same plan, after the one asked for. */
export interface BenchComparison {
  gradient: GradientRoute;
  /** What ran it, e.g. "tfjs on webgpu" or "wasm kernel, 2 worker(s)". */
  detail: string;
  workers: number;
  modes: Array<{ mode: BenchMode; seconds: number[]; cellStepsPerSecond: number }>;
}

/**
 * `seed`: a fresh run, its pool full of seeds (a model's first iterations, when little has
 * grown). `pool`: the pool filled with grown patterns (the target's RGBA with random hidden
 * channels) as it is for most of a run, so every iteration computes a grown pattern.
 */
export type BenchMode = 'seed' | 'pool';

export interface BenchModeResult {
  mode: BenchMode;
  /** Training seconds of every iteration, the warm-up first. */
  seconds: number[];
  /** Cell-steps per second over iterations 2..N. */
  cellStepsPerSecond: number;
  /** ours / torch; null without a torch figure. */
  ratio: number | null;
}

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

export interface TorchResult {
  /** The baseline's cell-steps per second; null when it was not run. */
  cellStepsPerSecond: number | null;
  /** Why it was not run, or how it failed. */
  skipped?: string;
}

export interface BenchResult {
  preset: PresetName;
  backend: BackendInfo;
  size: number;
  targetPx: number;
  padding: number;
  batch: number;
  hidden: number;
  channels: number;
  pool: number;
  steps: number;
  iterations: number;
  gradient: GradientRoute;
  workers: number;
  /** One entry per mode, in the order run. */
  modes: BenchModeResult[];
  /** The routes of `compare`, each over the same modes. */
  compared: BenchComparison[];
  torch: TorchResult;
  profile: BenchProfile | null;
}

/** The pool only needs to be big enough to sample from: a preset's 1024 x 72 x 72 x 16 floats is 340 MB per checkpoint. */
const BENCH_POOL = 64;
const TORCH_THREADS = 2;
const PYTHON = '/usr/bin/python3';

export const TORCH_BASELINE = fileURLToPath(new URL('../../../../../shared/bench/torch_baseline.py', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export async function benchTrainer(options: BenchOptions = {}, log: (line: string) => void = () => {}): Promise<BenchResult> {
  const presetName = options.preset ?? BENCH_DEFAULTS.preset;
  const preset = PRESETS[presetName];
  const size = options.size ?? preset.config.gridWidth;
  const padding = options.padding ?? Math.min(preset.training.padding, Math.floor(size / 4));
  const targetPx = size - 2 * padding;
  const batch = options.batch ?? preset.training.batch;
  const steps = options.steps ?? BENCH_DEFAULTS.steps;
  const iterations = options.iterations ?? BENCH_DEFAULTS.iterations;
  if (targetPx < 2) {
    throw new NcaError('BAD_FLAG', `--size ${size} leaves no room for a target inside --padding ${padding} on each side`);
  }
  if (iterations < 2) {
    throw new NcaError('BAD_FLAG', `--iterations ${iterations}: at least 2 (the first is a warm-up and is not timed)`);
  }
  const wantsPool = options.mode === undefined || options.mode !== 'seed';
  // The pool mode needs a pool even for a recipe without one (the notebook's).
  const pool = preset.training.pool > 0 || wantsPool ? Math.max(batch, Math.min(preset.training.pool || BENCH_POOL, BENCH_POOL)) : 0;
  const training: Partial<TrainingSettings> = {
    targetSize: targetPx,
    padding,
    batch,
    pool,
    damaged: pool > 0 ? Math.min(preset.training.damaged, batch - 1) : 0,
    stepsMin: steps,
    stepsMax: steps,
    iterations,
  };

  const dir = await mkdtemp(join(tmpdir(), 'nca-bench-'));
  try {
    const png = join(dir, 'disc.png');
    const pngBytes = await discPng(targetPx);
    await writeFile(png, pngBytes);
    const target = await decodeTarget(pngBytes, 'disc', { size: targetPx, padding });
    if (target.width !== size || target.height !== size) {
      throw new Error(`bench target is ${target.width}x${target.height}, expected ${size}x${size}`);
    }
    const plan = planFromPreset({
      target: { kind: 'file', path: png },
      targetName: 'disc',
      preset: presetName,
      training,
      config: { gridWidth: size, gridHeight: size, ...(options.hidden === undefined ? {} : { hidden: options.hidden }) },
      seed: options.seed ?? 1,
      checkpointEvery: iterations + 1,
    });
    const backend = await selectBackend(options.backend ?? 'auto');
    const cellsPerStep = size * size * batch;
    log(
      `bench: preset ${presetName}, grid ${size}x${size} (${targetPx} px + ${padding} padding), batch ${batch}, hidden ${plan.config.hidden}, ` +
        `channels ${plan.config.channels}, pool ${pool}, ${steps} steps per iteration, ${iterations} iterations (the first is a warm-up)`,
    );
    const route = gradientRoute(backend.name, options.gradient);
    const workers = await GradientWorkers.start(chooseWorkers(options.workers, backend.name, route, batch), backend.name as BackendName, route);
    log(`backend: ${backend.name} (${backend.detail}), ${workers.size} worker thread(s), gradient: ${route}`);
    const modes = options.mode === undefined || options.mode === 'both' ? (['seed', 'pool'] as const) : [options.mode];

    let profile: BenchProfile | null = null;
    /** Every mode on one route: a fresh run each, its first iteration a warm-up. */
    const timeRoute = async (label: string, routeWorkers: GradientWorkers, profileRoute: GradientRoute | null): Promise<Array<{ mode: BenchMode; seconds: number[]; cellStepsPerSecond: number }>> => {
      const runs: Array<{ mode: BenchMode; seconds: number[]; cellStepsPerSecond: number }> = [];
      for (const mode of modes) {
        const start = freshCheckpoint(plan, target.rgba);
        if (mode === 'pool') {
          start.pool = grownPool(target.rgba, pool, plan.config.channels, plan.seed);
        }
        const seconds: number[] = [];
        let previous = 0;
        const runDir = join(dir, `run-${label}-${mode}`);
        const { checkpoint } = await trainLoop(runDir, start, {
          workers: routeWorkers,
          onIteration: (info) => {
            const took = info.seconds - previous;
            previous = info.seconds;
            seconds.push(took);
            log(`${label} ${mode} iteration ${info.iteration}/${info.total}: ${info.steps} steps, ${took.toFixed(3)} s${info.iteration === 1 ? ' (warm-up)' : `, ${Math.round((cellsPerStep * info.steps) / took)} cell-steps/s`}`);
          },
        });
        const timed = seconds.slice(1).reduce((a, b) => a + b, 0);
        const cellStepsPerSecond = (cellsPerStep * steps * (iterations - 1)) / Math.max(timed, 1e-9);
        log(`${label} (${mode}): cell_steps_per_s ${Math.round(cellStepsPerSecond)} (${iterations - 1} timed iterations, ${timed.toFixed(2)} s)`);
        runs.push({ mode, seconds, cellStepsPerSecond });
        if (profileRoute !== null && profile === null) {
          profile = await profileIteration(runDir, checkpoint, steps, profileRoute);
          for (const line of formatProfile(profile)) {
            log(line);
          }
        }
      }
      return runs;
    };

    let runs: Array<{ mode: BenchMode; seconds: number[]; cellStepsPerSecond: number }>;
    try {
      runs = await timeRoute(`ours [${backend.name}, ${route}]`, workers, options.profile ? route : null);
    } finally {
      await workers.stop();
    }
    const compared: BenchComparison[] = [];
    for (const other of options.compare ?? (backend.name === 'webgpu' ? (['tfjs', 'kernel'] as const) : [])) {
      if (other === route) {
        continue;
      }
      // The kernel on its own worker threads (wasm, one per core); tfjs and webgpu as nca train runs them.
      const count = chooseWorkers(options.workers, other === 'kernel' ? 'wasm' : backend.name, other, batch);
      const otherWorkers = await GradientWorkers.start(count, other === 'kernel' ? 'wasm' : (backend.name as BackendName), other);
      const detail = other === 'kernel' ? `wasm rollout kernel, ${otherWorkers.size} worker(s)` : other === 'webgpu' ? 'fused WebGPU rollout (WGSL)' : `tfjs op by op on ${backend.name}`;
      try {
        compared.push({ gradient: other, detail, workers: otherWorkers.size, modes: await timeRoute(`${other} [${detail}]`, otherWorkers, null) });
      } finally {
        await otherWorkers.stop();
      }
    }

    let torch: TorchResult = { cellStepsPerSecond: null, skipped: 'not asked (--no-torch)' };
    if (options.torch ?? true) {
      torch = await runTorchBaseline({ png, iterations, batch, targetPx, padding }, log);
    }
    return {
      preset: presetName,
      backend,
      size,
      targetPx,
      padding,
      batch,
      hidden: plan.config.hidden,
      channels: plan.config.channels,
      pool,
      steps,
      iterations,
      gradient: route,
      workers: workers.size,
      modes: runs.map((r) => ({ ...r, ratio: torch.cellStepsPerSecond === null ? null : r.cellStepsPerSecond / torch.cellStepsPerSecond })),
      compared,
      torch,
      profile,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A filled disc on transparent ground, `px` square: the same picture for us and for torch. */
async function discPng(px: number): Promise<Buffer> {
  const r = px / 2;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${px}" height="${px}"><circle cx="${r}" cy="${r}" r="${r * 0.95}" fill="#2f8f5b"/><circle cx="${r}" cy="${r}" r="${r * 0.45}" fill="#f2c14e"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * One more iteration of the same run on this thread: on the tfjs route under `tf.profile`,
 * kernels summed by name and first input shape; on the kernel route, the kernel's own time
 * per pass.
 */
async function profileIteration(dir: string, after: Checkpoint, steps: number, route: GradientRoute): Promise<BenchProfile> {
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
      ['the rest (copies, loss, pass bookkeeping)', passes.total - passes.updateForward - passes.updateBackward - passes.perceive - passes.perceiveAdjoint - passes.masks],
    ];
    return [
      `profile: one iteration (${profile.steps} steps) on one thread, ${profile.seconds.toFixed(2)} s wall, ${(passes.total / 1000).toFixed(2)} s in the rollout kernel:`,
      ...named.map(([name, ms]) => `  ${name.padEnd(58)} ${ms.toFixed(1).padStart(9)} ms  ${((ms / Math.max(passes.total, 1e-9)) * 100).toFixed(1).padStart(5)}%`),
    ];
  }
  const rows = profile.kernels.slice(0, top);
  const width = Math.max(...rows.map((k) => `${k.kernel} ${k.shape}`.length), 24);
  return [
    `profile: one iteration (${profile.steps} steps), ${profile.seconds.toFixed(2)} s wall under profiling, ${(profile.kernelMs / 1000).toFixed(2)} s in kernels; top ${rows.length} of ${profile.kernels.length} by time:`,
    `  ${'kernel [first input shape]'.padEnd(width)}  ${'calls'.padStart(6)}  ${'ms'.padStart(9)}  share`,
    ...rows.map((k) => `  ${`${k.kernel} ${k.shape}`.padEnd(width)}  ${String(k.calls).padStart(6)}  ${k.ms.toFixed(1).padStart(9)}  ${(k.share * 100).toFixed(1).padStart(4)}%`),
  ];
}

/** Exit status of a command, or null when it could not be started. */
function runProcess(command: string, args: string[], onLine: (line: string) => void): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        onLine(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', () => resolve({ code: null, lines, stderr }));
    child.on('close', (code) => {
      if (pending !== '') {
        lines.push(pending);
        onLine(pending);
      }
      resolve({ code, lines, stderr });
    });
  });
}

/** `torch_baseline.py` on the same picture, grid and batch, after ours (never at the same time). */
async function runTorchBaseline(
  run: { png: string; iterations: number; batch: number; targetPx: number; padding: number },
  log: (line: string) => void,
): Promise<TorchResult> {
  const probe = await runProcess(PYTHON, ['-c', 'import torch'], () => {});
  if (probe.code !== 0) {
    log(`torch: skipped, ${PYTHON} cannot import torch`);
    return { cellStepsPerSecond: null, skipped: `${PYTHON} cannot import torch` };
  }
  if (!existsSync(TORCH_BASELINE)) {
    log(`torch: skipped, ${TORCH_BASELINE} is missing`);
    return { cellStepsPerSecond: null, skipped: `${TORCH_BASELINE} is missing` };
  }
  const args = [TORCH_BASELINE, run.png, String(run.iterations), String(TORCH_THREADS), String(run.batch), String(run.targetPx), String(run.padding)];
  log(`torch: ${PYTHON} ${args.join(' ')}`);
  const result = await runProcess(PYTHON, args, (line) => log(`torch: ${line}`));
  const last = /^cell_steps_per_s (\d+(?:\.\d+)?)$/.exec(result.lines.at(-1)?.trim() ?? '');
  if (result.code !== 0 || last === null) {
    const why = `torch baseline failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1) ?? ''}`;
    log(`torch: ${why}`);
    return { cellStepsPerSecond: null, skipped: why };
  }
  return { cellStepsPerSecond: Number(last[1]) };
}

/** The summary lines of `nca bench`; the last is always `cell_steps_per_s N` (of the last mode run). */
export function formatBench(result: BenchResult): string[] {
  const lines: string[] = [];
  const shape = `${result.size}x${result.size} batch ${result.batch} hidden ${result.hidden}, ${result.steps} steps`;
  for (const mode of result.modes) {
    lines.push(`ours (${mode.mode.padEnd(4)}) cell_steps_per_s ${Math.round(mode.cellStepsPerSecond)} (${result.backend.name}, gradient ${result.gradient}, ${result.workers} worker(s), preset ${result.preset}, ${shape})`);
  }
  for (const other of result.compared) {
    for (const mode of other.modes) {
      const ours = result.modes.find((m) => m.mode === mode.mode)!;
      lines.push(
        `${other.gradient.padEnd(6)} (${mode.mode.padEnd(4)}) cell_steps_per_s ${Math.round(mode.cellStepsPerSecond)} (${other.detail}); ` +
          `ours / ${other.gradient} ${(ours.cellStepsPerSecond / mode.cellStepsPerSecond).toFixed(2)}`,
      );
    }
  }
  if (result.torch.cellStepsPerSecond === null) {
    lines.push(`torch  not run: ${result.torch.skipped ?? 'unknown reason'}`);
  } else {
    lines.push(`torch  cell_steps_per_s ${Math.round(result.torch.cellStepsPerSecond)} (PyTorch CPU, ${TORCH_THREADS} threads, notebook model, ${result.size}x${result.size} batch ${result.batch}, 64..96 steps)`);
    if (result.preset !== 'notebook' || result.hidden !== 128 || result.channels !== 16) {
      lines.push(`note: torch trains the notebook model (reflect, tanh, fire 0.75, hidden 128, no pool); ours trains preset ${result.preset}, hidden ${result.hidden}`);
    }
    for (const mode of result.modes) {
      lines.push(`ratio (${mode.mode}) ${mode.ratio!.toFixed(2)} (ours / torch)`);
    }
  }
  lines.push(`cell_steps_per_s ${Math.round(result.modes.at(-1)!.cellStepsPerSecond)}`);
  return lines;
}

/** `nca bench`'s flags, as the CLI parses them. */
export interface BenchFlags extends Omit<BenchOptions, 'torch' | 'profile'> {
  torch: boolean;
  profile?: boolean;
  json?: boolean;
}

/** `nca bench`: the figures (JSON on stdout with --json, progress then on stderr). */
export async function benchCommand(flags: BenchFlags, io: CommandIo): Promise<number> {
  const { json, ...options } = flags;
  const result = await benchTrainer({ ...options, profile: flags.profile === true }, json ? io.error : io.log);
  if (json) {
    io.log(JSON.stringify(result, null, 2));
  } else {
    for (const line of formatBench(result)) {
      io.log(line);
    }
  }
  return EXIT_OK;
}
