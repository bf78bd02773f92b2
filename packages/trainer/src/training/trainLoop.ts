import { freshTrainingState, TrainingError, TrainingRun, type IterationInfo } from '@nca-studio/core';
import { writeCheckpoint, type Checkpoint, type RunPlan } from './checkpoint.ts';
import { NcaError } from '../errors.ts';
import type { GradientWorkers } from './gradientWorkers.ts';

export interface LoopHooks {
  /** Gradient workers (data-parallel shards of the batch); default: the calling thread only. */
  workers?: GradientWorkers;
  onIteration?(info: IterationInfo): void;
  /** Checked between iterations: when aborted, the loop writes a checkpoint and returns. */
  signal?: AbortSignal;
}

export interface LoopResult {
  checkpoint: Checkpoint;
  interrupted: boolean;
}

/** A fresh run's starting point: glorot weights from the seed, a pool of seeds. */
export function freshCheckpoint(plan: RunPlan, target: Float32Array): Checkpoint {
  return { plan, ...freshTrainingState(plan, target) };
}

/**
 * Core's TrainingRun, driven from a checkpoint to `plan.training.iterations` on this thread
 * (its gradients on the workers), writing a checkpoint into `dir` every
 * `plan.checkpointEvery` iterations, at the end, and when interrupted.
 */
export async function trainLoop(dir: string, start: Checkpoint, hooks: LoopHooks = {}): Promise<LoopResult> {
  const { plan } = start;
  const workers = hooks.workers;
  const run = new TrainingRun(plan, start, workers === undefined ? {} : { gradient: (task) => workers.gradient(task) });
  let lastSaved = start;
  const save = async (): Promise<Checkpoint> => {
    lastSaved = { plan, ...(await run.snapshot()) };
    await writeCheckpoint(dir, lastSaved);
    return lastSaved;
  };
  try {
    while (!run.done) {
      if (hooks.signal?.aborted) {
        return { checkpoint: await save(), interrupted: true };
      }
      const info = await run.iterate().catch((error: unknown) => {
        if (error instanceof TrainingError && error.code === 'NON_FINITE_LOSS') {
          throw new NcaError('NON_FINITE_LOSS', `${error.message}; stopped. The last good checkpoint (iteration ${lastSaved.iteration}) is kept in ${dir}; try a lower --lr`);
        }
        throw error;
      });
      hooks.onIteration?.(info);
      if (info.iteration % plan.checkpointEvery === 0 || run.done) {
        await save();
      }
    }
    return { checkpoint: lastSaved.iteration === run.iteration ? lastSaved : { plan, ...(await run.snapshot()) }, interrupted: false };
  } finally {
    run.dispose();
  }
}
