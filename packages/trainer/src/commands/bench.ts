import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PRESETS, type PresetName, type TrainingSettings } from '@nca-studio/core/presets';
import { bestVariant } from '@nca-studio/core/training';
import { selectBackend, type BackendInfo, type BackendName } from '../backends/backend.ts';
import type { GradientRoute } from '../backends/names.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import { BENCH_DEFAULTS } from './choices.ts';
import type { CommandIo } from './io.ts';
import { decodeTarget } from '../images/target.ts';
import { GradientWorkers } from '../training/gradientWorkers.ts';
import { chooseWorkers, gradientRoute, planFromPreset } from '../training/plan.ts';
import { freshCheckpoint, trainLoop } from '../training/trainLoop.ts';
import { grownPool } from '../training/grownPool.ts';
import { formatProfile, profileIteration, type BenchProfile } from './benchProfile.ts';
import { clockGhz, machinePeak, workPerCellStep, type MachinePeak } from './benchPeak.ts';
import { runTorchBaseline, TORCH_THREADS, type TorchResult } from './benchTorch.ts';

export type { BenchProfile, KernelTime } from './benchProfile.ts';
export type { TorchResult } from './benchTorch.ts';
export { formatProfile, rankKernels } from './benchProfile.ts';
export { TORCH_BASELINE } from './benchTorch.ts';

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

/** One mode's timing on one route. */
interface TimedMode {
  mode: BenchMode;
  seconds: number[];
  cellStepsPerSecond: number;
  activeCellStepsPerSecond: number | null;
}

/** Another gradient route timed on the same plan, after the one asked for. */
export interface BenchComparison {
  gradient: GradientRoute;
  /** What ran it, e.g. "tfjs on webgpu" or "wasm kernel, 2 worker(s)". */
  detail: string;
  workers: number;
  modes: TimedMode[];
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
  /** The cell-steps the kernel computed (fired and alive) per second; null on routes that do not count them. */
  activeCellStepsPerSecond: number | null;
  /** Their arithmetic rate (workPerCellStep), in GFLOP/s, and its share of `peak`. */
  gflops: number | null;
  peakShare: number | null;
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
  /** This CPU's peak for the kernel's build on the workers' cores (the kernel route only). */
  peak: MachinePeak | null;
}

/** The pool only needs to be big enough to sample from: a preset's 1024 x 72 x 72 x 16 floats is 340 MB per checkpoint. */
const BENCH_POOL = 64;

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
    const timeRoute = async (label: string, routeWorkers: GradientWorkers, profileRoute: GradientRoute | null): Promise<TimedMode[]> => {
      const runs: TimedMode[] = [];
      for (const mode of modes) {
        const start = freshCheckpoint(plan, target.rgba);
        if (mode === 'pool') {
          start.pool = grownPool(target.rgba, pool, plan.config.channels, plan.seed);
        }
        const seconds: number[] = [];
        let previous = 0;
        let activeAfterWarmup: number | null = null;
        const runDir = join(dir, `run-${label}-${mode}`);
        const { checkpoint } = await trainLoop(runDir, start, {
          workers: routeWorkers,
          onIteration: (info) => {
            const took = info.seconds - previous;
            previous = info.seconds;
            seconds.push(took);
            if (info.iteration === 1) {
              activeAfterWarmup = routeWorkers.load().activeCellSteps;
            }
            log(
              `${label} ${mode} iteration ${info.iteration}/${info.total}: ${info.steps} steps, ${took.toFixed(3)} s${info.iteration === 1 ? ' (warm-up)' : `, ${Math.round((cellsPerStep * info.steps) / took)} cell-steps/s`}`,
            );
          },
        });
        const timed = seconds.slice(1).reduce((a, b) => a + b, 0);
        const cellStepsPerSecond = (cellsPerStep * steps * (iterations - 1)) / Math.max(timed, 1e-9);
        log(`${label} (${mode}): cell_steps_per_s ${Math.round(cellStepsPerSecond)} (${iterations - 1} timed iterations, ${timed.toFixed(2)} s)`);
        const activeTotal = routeWorkers.load().activeCellSteps;
        const activeCellStepsPerSecond = activeTotal === null || activeAfterWarmup === null ? null : (activeTotal - activeAfterWarmup) / Math.max(timed, 1e-9);
        runs.push({ mode, seconds, cellStepsPerSecond, activeCellStepsPerSecond });
        if (profileRoute !== null && profile === null) {
          profile = await profileIteration(runDir, checkpoint, steps, profileRoute);
          for (const line of formatProfile(profile)) {
            log(line);
          }
        }
      }
      return runs;
    };

    let runs: TimedMode[];
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
      const detail =
        other === 'kernel'
          ? `wasm rollout kernel, ${otherWorkers.size} worker(s)`
          : other === 'webgpu'
            ? 'fused WebGPU rollout (WGSL)'
            : `tfjs op by op on ${backend.name}`;
      try {
        compared.push({ gradient: other, detail, workers: otherWorkers.size, modes: await timeRoute(`${other} [${detail}]`, otherWorkers, null) });
      } finally {
        await otherWorkers.stop();
      }
    }

    const work = workPerCellStep(plan.config.channels, plan.config.hidden);
    const ghz = clockGhz();
    // The peak needs the clock; a machine that reports none gets the computed rate alone.
    const peak = route === 'kernel' && ghz !== null ? machinePeak(bestVariant(), workers.size, ghz) : null;
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
      modes: runs.map((r) => {
        const gflops = r.activeCellStepsPerSecond === null ? null : (r.activeCellStepsPerSecond * work.flops) / 1e9;
        return {
          ...r,
          ratio: torch.cellStepsPerSecond === null ? null : r.cellStepsPerSecond / torch.cellStepsPerSecond,
          gflops,
          peakShare: gflops === null || peak === null ? null : gflops / peak.gflops,
        };
      }),
      compared,
      torch,
      profile,
      peak,
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

/** The summary lines of `nca bench`; the last is always `cell_steps_per_s N` (of the last mode run). */
export function formatBench(result: BenchResult): string[] {
  const lines: string[] = [];
  const shape = `${result.size}x${result.size} batch ${result.batch} hidden ${result.hidden}, ${result.steps} steps`;
  for (const mode of result.modes) {
    lines.push(
      `ours (${mode.mode.padEnd(4)}) cell_steps_per_s ${Math.round(mode.cellStepsPerSecond)} (${result.backend.name}, gradient ${result.gradient}, ${result.workers} worker(s), preset ${result.preset}, ${shape})`,
    );
    if (mode.activeCellStepsPerSecond !== null && mode.gflops !== null) {
      const work = workPerCellStep(result.channels, result.hidden);
      const share =
        mode.peakShare !== null && result.peak !== null
          ? `${(100 * mode.peakShare).toFixed(0)}% of this CPU's peak of ${result.peak.gflops.toFixed(0)} GFLOP/s (${result.peak.how})`
          : "this CPU's clock is not reported, so no peak";
      lines.push(
        `ours (${mode.mode.padEnd(4)}) computed ${Math.round(mode.activeCellStepsPerSecond)} cell-steps/s (fired and alive, ${((100 * mode.activeCellStepsPerSecond) / mode.cellStepsPerSecond).toFixed(0)}% of the grid's), ` +
          `${work.flops.toLocaleString('en-US')} flops each: ${mode.gflops.toFixed(1)} GFLOP/s, ${share}`,
      );
    }
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
    lines.push(
      `torch  cell_steps_per_s ${Math.round(result.torch.cellStepsPerSecond)} (PyTorch CPU, ${TORCH_THREADS} threads, notebook model, ${result.size}x${result.size} batch ${result.batch}, 64..96 steps)`,
    );
    if (result.preset !== 'notebook' || result.hidden !== 128 || result.channels !== 16) {
      lines.push(
        `note: torch trains the notebook model (reflect, tanh, fire 0.75, hidden 128, no pool); ours trains preset ${result.preset}, hidden ${result.hidden}`,
      );
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
