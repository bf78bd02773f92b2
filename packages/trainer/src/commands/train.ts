import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { bestVariant, finalLoss, PRESETS, trainedModelFile, type DamageRadius, type LrSchedule, type PresetName, type TrainingSettings } from '@nca-studio/core';
import type { NcaConfig } from '@nca-studio/weights-format';
import { selectBackend, type BackendInfo } from '../backends/backend.ts';
import { webgpuDevice } from '../backends/webgpu.ts';
import { guardTraining } from '../backends/budget.ts';
import type { BackendName, GradientRoute } from '../backends/names.ts';
import { EXIT_INTERRUPTED, EXIT_OK, NcaError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { loadTarget, targetFromFlags, targetName, type TargetSource } from '../images/target.ts';
import { CHECKPOINT_FILE, readCheckpoint, type Checkpoint, type RunPlan } from '../training/checkpoint.ts';
import { GradientWorkers, gradientRoute, type WorkerLoad } from '../training/gradientWorkers.ts';
import { progressBar, progressLines, type Progress } from '../training/progress.ts';
import { growthStrip, lossCsv, lossSvg } from '../training/report.ts';
import { claimRunFolder, type RunFolderLock } from '../training/runFolder.ts';
import { freshCheckpoint, trainLoop } from '../training/trainLoop.ts';
import { TOOL_VERSION } from '../version.ts';
import type { CommandIo } from './io.ts';

export interface TrainRequest {
  /** Required unless resuming. */
  target?: TargetSource;
  /** 'auto': `regenerating` on a GPU or native TensorFlow, `cpu` on the CPU backends (see choosePreset). */
  preset: PresetName | 'auto';
  /** Settings that override the preset's. */
  training?: Partial<TrainingSettings>;
  config?: Partial<NcaConfig>;
  seed: number;
  backend: BackendName;
  /** Run folder; default runs/<target>-<timestamp>. */
  out?: string;
  checkpointEvery: number;
  /** Continue the run in this folder from its checkpoint. */
  resume?: string;
  /** Replace a run that `out` already holds (otherwise that is refused). */
  force?: boolean;
  background?: string;
  /** Gradient worker threads for the CPU backends; 0 or undefined: one per core, up to the batch. */
  workers?: number;
  /** How the gradient is computed; default the backend's (the wasm kernel on the CPU backends). */
  gradient?: GradientRoute;
}

export interface TrainIo {
  log(line: string): void;
  progress: 'bar' | 'lines' | 'none';
  logEvery?: number;
  stream?: NodeJS.WriteStream;
  signal?: AbortSignal;
}

export interface TrainSummary {
  dir: string;
  backend: BackendInfo;
  workers: number;
  iterations: number;
  finalLoss: number;
  seconds: number;
  iterationsPerSecond: number;
  interrupted: boolean;
  losses: number[];
  /** This process's gradient time and how busy each worker kept its core. */
  load: WorkerLoad;
}

/** Builds a run plan from a preset and overrides (flags), without touching any file. */
export function planRun(request: TrainRequest & { preset: PresetName }, name: string): RunPlan {
  const preset = PRESETS[request.preset];
  // A decay asked of a preset that never decays (factor 1) falls by the article's tenth, unless a factor is given.
  const tenth = preset.training.lrDecayAt === null && request.training?.lrDecayAt !== undefined && request.training.lrDecayFactor === undefined ? { lrDecayFactor: 0.1 } : {};
  const training: TrainingSettings = { ...preset.training, ...tenth, ...request.training };
  const config: NcaConfig = { ...preset.config, ...request.config };
  if (training.stepsMin > training.stepsMax) {
    throw new NcaError('BAD_FLAG', `--steps: minimum ${training.stepsMin} is above maximum ${training.stepsMax}`);
  }
  if (training.pool > 0 && training.pool < training.batch) {
    throw new NcaError('BAD_FLAG', `--pool ${training.pool} is smaller than --batch ${training.batch}`);
  }
  if (training.damaged >= training.batch && training.pool > 0) {
    throw new NcaError('BAD_FLAG', `--damage ${training.damaged} must be below --batch ${training.batch} (the worst sample is re-seeded)`);
  }
  return {
    preset: request.preset,
    config,
    training,
    seed: request.seed,
    target: request.target!,
    targetName: name,
    ...(request.background === undefined ? {} : { background: request.background }),
    checkpointEvery: request.checkpointEvery,
  };
}

/**
 * Data-parallel workers pay off on the single-threaded CPU backends only (tfjs-node and GPUs
 * parallelise inside each op), and never beyond one sample per worker.
 */
export function chooseWorkers(requested: number | undefined, backend: string, batch: number): number {
  if (backend !== 'wasm' && backend !== 'cpu') {
    return 1;
  }
  if (requested !== undefined && requested > 0) {
    return Math.min(requested, batch);
  }
  return Math.max(1, Math.min(availableParallelism(), batch));
}

/**
 * SPEC §4: without a preset flag, pick what this machine can train in reasonable time: the
 * article's recipe on a GPU or native TensorFlow, `cpu` (its model and 40 px target in half an
 * hour) where the wasm rollout kernel computes the gradient, `quick` on anything slower.
 */
export function choosePreset(requested: PresetName | 'auto', backend: BackendInfo, route: GradientRoute = gradientRoute(backend.name)): PresetName {
  if (requested !== 'auto') {
    return requested;
  }
  if (backend.accelerated) {
    return 'regenerating';
  }
  return route === 'kernel' ? 'cpu' : 'quick';
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** `nca train`: SPEC §4 end to end, from a target (or a checkpoint) to a run folder. */
export async function train(request: TrainRequest, io: TrainIo): Promise<TrainSummary> {
  let start: Checkpoint;
  let dir: string;
  let folder: RunFolderLock;
  const backend = await selectBackend(request.backend);
  // Logged once the input is known good, so a bad target prints one error line and nothing else.
  const notes: string[] = [`backend: ${backend.name} (${backend.detail})`];
  if (request.resume !== undefined) {
    dir = request.resume;
    folder = await claimRunFolder(dir, 'resume');
    try {
      start = await readCheckpoint(dir);
      const { config, training } = start.plan;
      guardTraining(config, training, { width: config.gridWidth, height: config.gridHeight }, chooseWorkers(request.workers, backend.name, training.batch), backend.name);
    } catch (error) {
      await folder.release();
      throw error;
    }
    if (request.training?.iterations !== undefined) {
      start.plan.training.iterations = request.training.iterations;
    }
    notes.push(`resuming ${dir} at iteration ${start.iteration} of ${start.plan.training.iterations}`);
  } else {
    if (request.target === undefined) {
      throw new NcaError('BAD_FLAG', 'no target: give --target FILE|URL or --emoji CHAR (or --resume DIR)');
    }
    const name = targetName(request.target);
    const presetName = choosePreset(request.preset, backend, gradientRoute(backend.name, request.gradient));
    if (request.preset === 'auto') {
      const cpuNote = `${backend.name} is no GPU or native TensorFlow backend; the full regenerating recipe takes hours on a CPU: pass --preset regenerating to run it anyway`;
      notes.push(
        presetName === 'regenerating'
          ? `preset: regenerating (${backend.name === 'webgpu' ? 'a WebGPU GPU adapter' : 'the native TensorFlow backend'} is in use)`
          : presetName === 'cpu'
            ? `preset: cpu, the article's model and 40 px target in about 30 minutes on 2 cores (${cpuNote})`
            : `preset: quick (${cpuNote}; the tfjs gradient is too slow for the cpu preset)`,
      );
    }
    const preset = PRESETS[presetName];
    const size = request.training?.targetSize ?? preset.training.targetSize;
    const padding = request.training?.padding ?? preset.training.padding;
    // The grid is at most size + 2 padding on a side: checked before the image is even read.
    guardTraining({ ...preset.config, ...request.config }, { ...preset.training, ...request.training }, { width: size + 2 * padding, height: size + 2 * padding }, chooseWorkers(request.workers, backend.name, request.training?.batch ?? preset.training.batch), backend.name);
    const target = await loadTarget(request.target, { size, padding, ...(request.background === undefined ? {} : { background: request.background }) });
    const plan = planRun(
      { ...request, preset: presetName, config: { ...request.config, gridWidth: target.width, gridHeight: target.height } },
      name,
    );
    dir = request.out ?? join('runs', `${name}-${timestamp()}`);
    folder = await claimRunFolder(dir, request.force === true ? 'force' : 'new');
    try {
      await writeFileAtomic(join(dir, 'target.png'), await targetPng(target.rgba8, target.width, target.height));
    } catch (error) {
      await folder.release();
      throw error;
    }
    start = freshCheckpoint(plan, target.rgba);
  }
  if (folder.removedTemps.length > 0) {
    notes.push(`removed ${folder.removedTemps.length} temp file(s) a stopped run left in ${dir}`);
  }
  try {
    return await trainInFolder(dir, start, request, io, backend, notes);
  } catch (error) {
    throw error instanceof NcaError && error.code === 'IO' ? withNextStep(error, dir) : error;
  } finally {
    await folder.release();
  }
}

/** An I/O failure during a run: what is safe on disk, and how to go on. */
function withNextStep(error: NcaError, dir: string): NcaError {
  const saved = existsSync(join(dir, CHECKPOINT_FILE))
    ? `the last checkpoint in ${dir} is intact: free some space (or fix the folder), then continue with --resume ${dir}`
    : `no checkpoint was written yet: free some space (or fix the folder), then start again`;
  return new NcaError('IO', `${error.message}; ${saved}`);
}

async function trainInFolder(dir: string, start: Checkpoint, request: TrainRequest, io: TrainIo, backend: BackendInfo, notes: string[]): Promise<TrainSummary> {
  const { plan } = start;
  notes.forEach((line) => io.log(line));
  io.log(
    `preset ${plan.preset}: grid ${plan.config.gridWidth}x${plan.config.gridHeight}, batch ${plan.training.batch}, pool ${plan.training.pool}, ` +
      `steps ${plan.training.stepsMin}..${plan.training.stepsMax}, ${plan.training.iterations} iterations -> ${dir}`,
  );
  let progress: Progress | null = null;
  if (io.progress === 'bar' && io.stream) {
    progress = progressBar(io.stream, start, plan.training.iterations);
  } else if (io.progress === 'lines') {
    progress = progressLines(io.log, io.logEvery ?? 10, start);
  }
  const workerCount = chooseWorkers(request.workers, backend.name, plan.training.batch);
  const route = gradientRoute(backend.name, request.gradient);
  const workers = await GradientWorkers.start(workerCount, backend.name as BackendName, route);
  io.log(`workers: ${workers.size} (${workers.size > 1 ? `batch split over ${workers.size} threads` : 'one thread'}), gradient: ${route === 'kernel' ? `core's wasm rollout kernel (${bestVariant()})` : route === 'fused' ? `core's fused WebGPU rollout (WGSL) on ${(await webgpuDevice()).adapter.description}` : `tfjs on ${backend.name}`}`);
  const startedAt = start.seconds;
  const startIteration = start.iteration;
  let result;
  try {
    result = await trainLoop(dir, start, {
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      workers,
      onIteration: (info) => progress?.update(info),
    });
  } finally {
    progress?.stop();
    await workers.stop();
  }
  const end = result.checkpoint;
  const ranSeconds = end.seconds - startedAt;
  const summary: TrainSummary = {
    dir,
    backend,
    workers: workers.size,
    iterations: end.iteration,
    finalLoss: finalLoss(end.losses),
    seconds: end.seconds,
    iterationsPerSecond: (end.iteration - startIteration) / Math.max(1e-9, ranSeconds),
    interrupted: result.interrupted,
    losses: end.losses,
    load: workers.load(),
  };
  await writeOutputs(dir, end, summary);
  io.log(
    result.interrupted
      ? `interrupted at iteration ${end.iteration}: checkpoint written; continue with --resume ${dir}`
      : `done: ${end.iteration} iterations, final loss ${summary.finalLoss.toExponential(3)}, ${summary.iterationsPerSecond.toFixed(2)} it/s -> ${join(dir, 'model.safetensors')}`,
  );
  if (ranSeconds > 0) {
    io.log(formatLoad(summary.load, ranSeconds));
  }
  return summary;
}

/** Where the training time went: gradients (rollouts) against the rest, and each worker's share. */
export function formatLoad(load: WorkerLoad, seconds: number): string {
  const percent = (f: number): string => `${Math.round(100 * f)}%`;
  const line = `time: gradients ${percent(load.gradientSeconds / seconds)} of ${seconds.toFixed(0)} s`;
  return load.busy.length > 1 ? `${line}; workers busy ${load.busy.map(percent).join(', ')} of the gradients' time` : line;
}

async function targetPng(rgba8: Uint8Array, width: number, height: number): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(rgba8, { raw: { width, height, channels: 4, premultiplied: true } }).png().toBuffer();
}

/** model.safetensors, loss.csv, loss.svg, growth.png and run.json (SPEC §4). */
async function writeOutputs(dir: string, end: Checkpoint, summary: TrainSummary): Promise<void> {
  const { plan } = end;
  const model = trainedModelFile(end, { backend: summary.backend.name, backendDetail: summary.backend.detail, toolVersion: TOOL_VERSION });
  await writeFileAtomic(join(dir, 'model.safetensors'), model);
  await writeFileAtomic(join(dir, 'loss.csv'), lossCsv(end.losses));
  await writeFileAtomic(join(dir, 'loss.svg'), lossSvg(end.losses, `${plan.targetName}: ${plan.preset}, ${end.iteration} iterations`));
  const regrow = plan.training.damaged > 0;
  await writeFileAtomic(join(dir, 'growth.png'), await growthStrip(end.params, plan.config, { regrow, seed: plan.seed + 1 }));
  const run = {
    status: summary.interrupted ? 'interrupted' : 'finished',
    target: plan.targetName,
    preset: plan.preset,
    config: plan.config,
    training: plan.training,
    seed: plan.seed,
    backend: summary.backend,
    workers: summary.workers,
    iterations: end.iteration,
    seconds: Math.round(end.seconds * 100) / 100,
    iterations_per_second: Math.round(summary.iterationsPerSecond * 1000) / 1000,
    // This process's part of the run (a resumed run counts from its resumption).
    gradient_seconds: Math.round(summary.load.gradientSeconds * 100) / 100,
    worker_busy: summary.load.busy.map((f) => Math.round(f * 1000) / 1000),
    final_loss: summary.finalLoss,
    tool_version: TOOL_VERSION,
    outputs: ['model.safetensors', 'checkpoint.safetensors', 'loss.csv', 'loss.svg', 'growth.png', 'target.png', 'run.json'],
  };
  await writeFileAtomic(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
}

/** `nca train`'s flags, as the CLI parses them: the request's own fields, and the settings one by one. */
export interface TrainFlags extends Pick<TrainRequest, 'preset' | 'seed' | 'backend' | 'out' | 'checkpointEvery' | 'resume' | 'force' | 'background' | 'gradient'> {
  target?: string;
  emoji?: string;
  targetSize?: number;
  padding?: number;
  iterations?: number;
  batch?: number;
  pool?: number;
  reseedEvery?: number;
  damage?: number;
  damageRadius?: DamageRadius;
  steps?: [number, number];
  overflowWeight?: number;
  lr?: number;
  lrDecayAt?: number;
  lrDecayFactor?: number;
  lrSchedule?: LrSchedule;
  hidden?: number;
  channels?: number;
  fireRate?: number;
  logEvery: number;
  workers: number;
}

/** The request the flags make: each given flag overrides its preset's setting. */
export function trainRequest(flags: TrainFlags): TrainRequest {
  const target = targetFromFlags(flags);
  if (target === undefined && flags.resume === undefined) {
    throw new NcaError('BAD_FLAG', 'no target: give --target FILE|URL or --emoji CHAR (or --resume DIR)');
  }
  const given = <T extends object>(entries: Record<string, unknown>): Partial<T> =>
    Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Partial<T>;
  const training = given<TrainingSettings>({
    targetSize: flags.targetSize,
    padding: flags.padding,
    iterations: flags.iterations,
    batch: flags.batch,
    pool: flags.pool,
    reseedEvery: flags.reseedEvery,
    damaged: flags.damage,
    damageRadius: flags.damageRadius,
    lr: flags.lr,
    overflowWeight: flags.overflowWeight,
    lrDecayAt: flags.lrDecayAt,
    lrDecayFactor: flags.lrDecayFactor,
    lrSchedule: flags.lrSchedule,
    ...(flags.steps === undefined ? {} : { stepsMin: flags.steps[0], stepsMax: flags.steps[1] }),
  });
  const config = given<NcaConfig>({ hidden: flags.hidden, channels: flags.channels, fireRate: flags.fireRate });
  return {
    ...(target === undefined ? {} : { target }),
    preset: flags.preset,
    training,
    config,
    seed: flags.seed,
    backend: flags.backend,
    ...(flags.out === undefined ? {} : { out: flags.out }),
    checkpointEvery: flags.checkpointEvery,
    ...(flags.resume === undefined ? {} : { resume: flags.resume }),
    force: flags.force === true,
    ...(flags.background === undefined ? {} : { background: flags.background }),
    workers: flags.workers,
    ...(flags.gradient === undefined ? {} : { gradient: flags.gradient }),
  };
}

/** `nca train`: the run, with Ctrl-C writing a checkpoint first; exit 130 when interrupted. */
export async function trainCommand(flags: TrainFlags, io: CommandIo): Promise<number> {
  const request = trainRequest(flags);
  const controller = new AbortController();
  const onSigint = (): void => {
    io.error('interrupt: writing a checkpoint after this iteration (Ctrl-C again to quit at once)');
    process.off('SIGINT', onSigint);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await train(request, {
      log: io.log,
      progress: process.stderr.isTTY ? 'bar' : 'lines',
      stream: process.stderr,
      logEvery: flags.logEvery,
      signal: controller.signal,
    });
    return summary.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
