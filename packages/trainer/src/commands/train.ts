import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  bestVariant,
  evaluateModel,
  figuresLine,
  finalLoss,
  judgedEarly,
  judgeModel,
  runModel,
  sharedKernel,
  trainedModelFile,
  type EvalReport,
  type Verdict,
} from '@nca-studio/core/training';
import type { Checkpoint, RunPlan } from '@nca-studio/weights-format';
import { selectBackend, type BackendInfo } from '../backends/backend.ts';
import type { BackendName, GradientRoute } from '../backends/names.ts';
import { guardTraining } from '../backends/budget.ts';
import { EXIT_INTERRUPTED, EXIT_OK, NcaError } from '../errors.ts';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { loadExemplar, loadTarget, type TargetSource } from '../images/target.ts';
import { encodePng } from '../images/picture.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../training/checkpoint.ts';
import { GradientWorkers, type WorkerLoad } from '../training/gradientWorkers.ts';
import { TRAIN_DEFAULTS } from './choices.ts';
import { describeLength } from '../training/length.ts';
import { checkTrainFlags, resumedPlan, settleTrainPlan, type Execution, type NewRun, type Resume, type TrainFlags } from '../training/plan.ts';
import { progressBar, progressLines, type Progress } from '../training/progress.ts';
import { growthStrip, lossCsv, lossSvg, textureStrips } from '../training/report.ts';
import { claimRunFolder, type RunFolderLock } from '../training/runFolder.ts';
import { freshCheckpoint, trainLoop } from '../training/trainLoop.ts';
import { TOOL_VERSION } from '../version.ts';
import type { CommandIo } from './io.ts';

export type { TrainFlags };

export interface TrainIo {
  log(line: string): void;
  progress: 'bar' | 'lines' | 'none';
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
  /** The final model's figures (nca eval's) and the verdict on them; null for an interrupted run. */
  evaluation: { report: EvalReport; verdict: Verdict } | null;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}

/** A run ready to train: its folder (claimed), its starting checkpoint, how it executes. */
interface Ready {
  dir: string;
  folder: RunFolderLock;
  start: Checkpoint;
  execution: Execution;
  /** The route's workers, started before the folder was claimed (a new run) or the work began. */
  workers: GradientWorkers;
  notes: string[];
}

/**
 * A new run: the budget on the largest grid; the route started (its packages loaded, its
 * workers up), so a route that cannot run leaves no folder behind; then the target read, the
 * folder claimed, target.png written.
 */
async function prepareNew(settled: NewRun): Promise<Ready> {
  const { plan, execution } = settled;
  const { training } = plan;
  guardTraining(plan.config, training, { width: plan.config.gridWidth, height: plan.config.gridHeight }, { ...execution, backend: execution.backend.name });
  const workers = await GradientWorkers.start(execution.workers, execution.backend.name as BackendName, execution.route);
  try {
    return await claimNew(settled, workers);
  } catch (error) {
    await workers.stop();
    throw error;
  }
}

async function claimNew(settled: NewRun, workers: GradientWorkers): Promise<Ready> {
  const { plan, execution } = settled;
  const { training } = plan;
  if (plan.config.start === 'zeros') {
    return claimTexture(settled, workers);
  }
  const target = await loadTarget(plan.target as TargetSource, {
    size: training.targetSize,
    padding: training.padding,
    ...(plan.background === undefined ? {} : { background: plan.background }),
  });
  const sized = { ...plan, config: { ...plan.config, gridWidth: target.width, gridHeight: target.height } };
  const dir = settled.out ?? join('runs', `${plan.targetName}-${timestamp()}`);
  const folder = await claimRunFolder(dir, settled.force ? 'force' : 'new');
  try {
    await writeFileAtomic(join(dir, 'target.png'), await targetPng(target.rgba8, target.width, target.height));
  } catch (error) {
    await folder.release();
    throw error;
  }
  return { dir, folder, start: freshCheckpoint(sized, target.rgba, execution.route), execution, workers, notes: settled.notes };
}

/** A new texture run: the exemplar read and shrunk, the folder claimed, exemplar.png written. */
async function claimTexture(settled: NewRun, workers: GradientWorkers): Promise<Ready> {
  const { plan, execution } = settled;
  const exemplar = await loadExemplar(plan.target as TargetSource, plan.training.targetSize);
  const sized: RunPlan = { ...plan, exemplar: { width: exemplar.width, height: exemplar.height, loss: settled.textureLoss } };
  const dir = settled.out ?? join('runs', `${plan.targetName}-${timestamp()}`);
  const folder = await claimRunFolder(dir, settled.force ? 'force' : 'new');
  try {
    await writeFileAtomic(join(dir, 'exemplar.png'), await encodePng({ width: exemplar.width, height: exemplar.height, rgba: exemplar.rgba8 }));
  } catch (error) {
    await folder.release();
    throw error;
  }
  const target = Float32Array.from(exemplar.rgba8, (v) => v / 255);
  return { dir, folder, start: freshCheckpoint(sized, target, execution.route), execution, workers, notes: settled.notes };
}

/** A resumed run: the folder claimed, its checkpoint read whole, the flags' changes applied and checked. */
async function prepareResume(settled: Resume): Promise<Ready> {
  const folder = await claimRunFolder(settled.dir, 'resume');
  try {
    const checkpoint = await readCheckpoint(settled.dir);
    const { plan, resumption, execution } = resumedPlan(checkpoint, settled);
    guardTraining(
      plan.config,
      plan.training,
      { width: plan.config.gridWidth, height: plan.config.gridHeight },
      { ...execution, backend: execution.backend.name },
    );
    const changes = Object.entries(resumption.changed).map(([key, { from, to }]) => `${key} ${JSON.stringify(from)} -> ${JSON.stringify(to)}`);
    const notes = [
      `resuming ${settled.dir} at iteration ${checkpoint.iteration}, ${(checkpoint.seconds / 60).toFixed(1)} minutes in, of ${describeLength(plan.training)}${changes.length > 0 ? `; changed: ${changes.join(', ')}` : ''}`,
    ];
    const workers = await GradientWorkers.start(execution.workers, execution.backend.name as BackendName, execution.route);
    return {
      dir: settled.dir,
      folder,
      start: { ...checkpoint, plan, resumptions: [...checkpoint.resumptions, resumption], route: execution.route },
      execution,
      workers,
      notes,
    };
  } catch (error) {
    await folder.release();
    throw error;
  }
}

/**
 * `nca train`: the flags settled into a plan (training/plan.ts) before any file is read, then
 * from a target (or a checkpoint) to a run folder.
 */
export async function train(flags: TrainFlags, io: TrainIo): Promise<TrainSummary> {
  // What needs no backend is refused before one is loaded: a usage error stays exit 2.
  checkTrainFlags(flags);
  const backend = await selectBackend(flags.backend ?? TRAIN_DEFAULTS.backend);
  const settled = settleTrainPlan(flags, backend);
  const ready = settled.kind === 'new' ? await prepareNew(settled) : await prepareResume(settled);
  const notes = [`backend: ${backend.name} (${backend.detail})`, ...ready.notes];
  if (ready.folder.removedTemps.length > 0) {
    notes.push(`removed ${ready.folder.removedTemps.length} temp file(s) a stopped run left in ${ready.dir}`);
  }
  try {
    return await trainInFolder(ready, io, notes);
  } catch (error) {
    throw error instanceof NcaError && error.code === 'IO' ? withNextStep(error, ready.dir) : error;
  } finally {
    await ready.workers.stop();
    await ready.folder.release();
  }
}

/** An I/O failure during a run: what is safe on disk, and how to go on. */
function withNextStep(error: NcaError, dir: string): NcaError {
  const saved = existsSync(join(dir, CHECKPOINT_FILE))
    ? `the last checkpoint in ${dir} is intact: free some space (or fix the folder), then continue with --resume ${dir}`
    : `no checkpoint was written yet: free some space (or fix the folder), then start again`;
  return new NcaError('IO', `${error.message}; ${saved}`);
}

async function trainInFolder(ready: Ready, io: TrainIo, notes: string[]): Promise<TrainSummary> {
  const { dir, start, execution, workers } = ready;
  const { plan } = start;
  const { backend, route } = execution;
  notes.forEach((line) => io.log(line));
  io.log(
    `preset ${plan.preset}: grid ${plan.config.gridWidth}x${plan.config.gridHeight}, batch ${plan.training.batch}, pool ${plan.training.pool}, ` +
      `steps ${plan.training.stepsMin}..${plan.training.stepsMax}, ${describeLength(plan.training)} -> ${dir}`,
  );
  const budgetSeconds = plan.training.budget === null ? null : plan.training.budget.minutes * 60;
  let progress: Progress | null = null;
  if (io.progress === 'bar' && io.stream) {
    progress = progressBar(io.stream, start, plan.training.iterations, budgetSeconds);
  } else if (io.progress === 'lines') {
    progress = progressLines(io.log, execution.logEvery, start);
  }
  io.log(
    `workers: ${workers.size} (${workers.size > 1 ? `batch split over ${workers.size} threads` : 'one thread'}), gradient: ${await routeDetail(route, backend)}`,
  );
  const startedAt = start.seconds;
  const startIteration = start.iteration;
  const texture = plan.config.start === 'zeros';
  const watch = texture ? async (): Promise<void> => {} : growthWatch(io.log);
  let result;
  try {
    result = await trainLoop(dir, start, {
      ...(io.signal === undefined ? {} : { signal: io.signal }),
      workers,
      onIteration: (info) => progress?.update(info),
      onSave: (checkpoint) => watch(checkpoint),
    });
  } finally {
    progress?.stop();
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
    evaluation: result.interrupted || texture ? null : await judgeRun(end, io.log),
  };
  await writeOutputs(dir, end, summary, route);
  io.log(
    result.interrupted
      ? `interrupted at iteration ${end.iteration}: checkpoint written; continue with --resume ${dir}`
      : `done: ${end.iteration} iterations, final loss ${summary.finalLoss.toExponential(3)}, ${summary.iterationsPerSecond.toFixed(2)} it/s -> ${join(dir, 'model.safetensors')}`,
  );
  if (ranSeconds > 0) {
    io.log(formatLoad(summary.load, ranSeconds));
  }
  if (summary.evaluation !== null) {
    const { report, verdict } = summary.evaluation;
    io.log(`eval: ${figuresLine(report)} (8 seeds; nca eval for more)`);
    if (verdict.status === 'short' || verdict.status === 'early') {
      verdict.problems.forEach((problem) => io.log(`warning: ${problem}`));
    }
  }
  return summary;
}

/**
 * The final model's figures on the kernel (nca eval's 8 seeds and 1000 steps) and the verdict on
 * them; null, with a warning, when the evaluation itself fails: the run's files come first.
 */
async function judgeRun(end: Checkpoint, log: (line: string) => void): Promise<{ report: EvalReport; verdict: Verdict } | null> {
  try {
    const report = await evaluateModel(runModel(end), {}, await sharedKernel());
    return { report, verdict: judgeModel(report, { damaged: end.plan.training.damaged > 0, early: judgedEarly(end) }) };
  } catch (error) {
    log(`warning: the model could not be evaluated (${error instanceof Error ? error.message : String(error)}); nca eval MODEL tries again`);
    return null;
  }
}

/**
 * While a run trains: at each checkpoint past a quarter of it, a quick look at whether the seed
 * grows into the picture (2 seeds, on the kernel); a warning when it does not, and again when
 * that changes, so that a failing run says so long before its end.
 */
function growthWatch(log: (line: string) => void): (checkpoint: Checkpoint) => Promise<void> {
  let warned = false;
  return async (checkpoint) => {
    const { training } = checkpoint.plan;
    const progress = training.budget !== null ? checkpoint.seconds / (training.budget.minutes * 60) : checkpoint.iteration / training.iterations;
    if (progress < 0.25) {
      return;
    }
    let report;
    try {
      report = await evaluateModel(runModel(checkpoint), { seeds: 2, persistenceSteps: 0 }, await sharedKernel());
    } catch {
      // A look that cannot be taken (memory) never stops the training; the end's eval says why.
      return;
    }
    const failed = judgeModel(report, { damaged: false }).status === 'failed';
    const at = `iteration ${checkpoint.iteration} (${Math.round(progress * 100)}% of the run)`;
    if (failed && !warned) {
      log(
        `warning: at ${at} the seed does not grow into the picture (growth IoU ${report.growthIou.toFixed(2)}, ${report.grownCells.toFixed(0)} of ${report.targetCells} cells)`,
      );
    } else if (!failed && warned) {
      log(`at ${at} the seed grows into the picture again (growth IoU ${report.growthIou.toFixed(2)})`);
    }
    warned = failed;
  };
}

/** Where the training time went: gradients (rollouts) against the rest, and each worker's share. */
export function formatLoad(load: WorkerLoad, seconds: number): string {
  const percent = (f: number): string => `${Math.round(100 * f)}%`;
  const line = `time: gradients ${percent(load.gradientSeconds / seconds)} of ${seconds.toFixed(0)} s`;
  return load.busy.length > 1 ? `${line}; workers busy ${load.busy.map(percent).join(', ')} of the gradients' time` : line;
}

/** What computes the gradient, for the log. */
async function routeDetail(route: GradientRoute, backend: BackendInfo): Promise<string> {
  switch (route) {
    case 'kernel':
      return `core's wasm rollout kernel (${bestVariant()})`;
    case 'webgpu':
      return `core's fused WebGPU rollout (WGSL) on ${(await (await import('../backends/webgpu.ts')).webgpuDevice()).adapter.description}`;
    case 'tfjs':
      return `tfjs on ${backend.name}`;
  }
}

async function targetPng(rgba8: Uint8Array, width: number, height: number): Promise<Buffer> {
  const sharp = (await import('sharp')).default;
  return sharp(rgba8, { raw: { width, height, channels: 4, premultiplied: true } })
    .png()
    .toBuffer();
}

/** model.safetensors, loss.csv, loss.svg, growth.png and run.json (docs/design.md §4). */
async function writeOutputs(dir: string, end: Checkpoint, summary: TrainSummary, route: GradientRoute): Promise<void> {
  const { plan } = end;
  const model = trainedModelFile(end, { backend: summary.backend.name, backendDetail: summary.backend.detail, toolVersion: TOOL_VERSION });
  await writeFileAtomic(join(dir, 'model.safetensors'), model);
  await writeFileAtomic(join(dir, 'loss.csv'), lossCsv(end.losses));
  await writeFileAtomic(join(dir, 'loss.svg'), lossSvg(end.losses, `${plan.targetName}: ${plan.preset}, ${end.iteration} iterations`));
  const texture = plan.config.start === 'zeros';
  const pictures = texture ? ['texture.png', 'tile.png', 'exemplar.png'] : ['growth.png', 'target.png'];
  if (texture) {
    const strips = await textureStrips(end.params, plan.config, plan.seed + 1);
    await writeFileAtomic(join(dir, 'texture.png'), strips.forming);
    await writeFileAtomic(join(dir, 'tile.png'), strips.tile);
  } else {
    const regrow = plan.training.damaged > 0;
    await writeFileAtomic(join(dir, 'growth.png'), await growthStrip(end.params, plan.config, { regrow, seed: plan.seed + 1 }));
  }
  const verdict = summary.evaluation?.verdict ?? null;
  const run = {
    // finished: it grows (meeting the goals, or short of some: `problems` names them); failed: it does not.
    status: summary.interrupted ? 'interrupted' : verdict?.status === 'failed' ? 'failed' : 'finished',
    problems: verdict?.problems ?? [],
    eval: summary.evaluation?.report ?? null,
    target: plan.targetName,
    preset: plan.preset,
    config: plan.config,
    training: plan.training,
    seed: plan.seed,
    backend: summary.backend,
    workers: summary.workers,
    gradient: route,
    iterations: end.iteration,
    seconds: Math.round(end.seconds * 100) / 100,
    iterations_per_second: Math.round(summary.iterationsPerSecond * 1000) / 1000,
    // This process's part of the run (a resumed run counts from its resumption).
    gradient_seconds: Math.round(summary.load.gradientSeconds * 100) / 100,
    worker_busy: summary.load.busy.map((f) => Math.round(f * 1000) / 1000),
    final_loss: summary.finalLoss,
    // Each resumption of the run and the settings it changed (from the checkpoint, so none is lost).
    resumptions: end.resumptions,
    tool_version: TOOL_VERSION,
    outputs: ['model.safetensors', 'checkpoint.safetensors', 'loss.csv', 'loss.svg', ...pictures, 'run.json'],
  };
  await writeFileAtomic(join(dir, 'run.json'), JSON.stringify(run, null, 2) + '\n');
}

/** `nca train`: the run, with Ctrl-C writing a checkpoint first; exit 130 when interrupted. */
export async function trainCommand(flags: TrainFlags, io: CommandIo): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => {
    io.error('interrupt: writing a checkpoint after this iteration (Ctrl-C again to quit at once)');
    process.off('SIGINT', onSigint);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const summary = await train(flags, {
      log: io.log,
      progress: process.stderr.isTTY ? 'bar' : 'lines',
      stream: process.stderr,
      signal: controller.signal,
    });
    if (summary.evaluation?.verdict.status === 'failed') {
      // The run's files stay: growth.png shows what the model does, run.json says why it failed.
      throw new NcaError(
        'NOT_GROWING',
        `the model does not grow: ${summary.evaluation.verdict.problems.join('; ')}. Its files are in ${summary.dir} (growth.png shows what it does; run.json says "failed")`,
      );
    }
    return summary.interrupted ? EXIT_INTERRUPTED : EXIT_OK;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
