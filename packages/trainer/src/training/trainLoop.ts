import { driveTraining, freshTrainingState, TrainingError, TrainingRun, type IterationInfo } from '@nca-studio/core/training';
import type { Checkpoint, RunPlan } from '@nca-studio/weights-format';
import { writeCheckpoint } from './checkpoint.ts';
import { NcaError } from '../errors.ts';
import { GradientWorkers } from './gradientWorkers.ts';

export interface LoopHooks {
  /** Gradient workers (data-parallel shards of the batch); default: the kernel on the calling thread. */
  workers?: GradientWorkers;
  onIteration?(info: IterationInfo): void;
  /** After each periodic checkpoint, with it (inside the run's time: keep it short). */
  onSave?(checkpoint: Checkpoint): void | Promise<void>;
  /** Checked between iterations: when aborted, the loop writes a checkpoint and returns. */
  signal?: AbortSignal;
}

export interface LoopResult {
  checkpoint: Checkpoint;
  interrupted: boolean;
}

/** A fresh run's starting point: glorot weights from the seed, a pool of seeds, no resumptions, on `route`. */
export function freshCheckpoint(plan: RunPlan, target: Float32Array, route: string | null = null): Checkpoint {
  return { plan, ...freshTrainingState(plan, target), resumptions: [], route };
}

/**
 * Core's TrainingRun, driven by core's driveTraining from a checkpoint to
 * `plan.training.iterations` on this thread (its gradients on the workers), writing a
 * checkpoint into `dir` every
 * `plan.checkpointEvery` iterations, at the end, and when interrupted.
 */
export async function trainLoop(dir: string, start: Checkpoint, hooks: LoopHooks = {}): Promise<LoopResult> {
  const { plan, resumptions } = start;
  const workers = hooks.workers ?? (await GradientWorkers.inline('kernel'));
  const route = workers.route;
  const run = new TrainingRun(plan, start, (task) => workers.gradient(task));
  let lastSaved = start;
  // The plan as it stands: a time budget settles its decay point and last iteration mid-run.
  const current = (): Checkpoint => ({ plan: run.planNow(plan), ...run.snapshot(), resumptions, route });
  const save = async (): Promise<Checkpoint> => {
    lastSaved = current();
    await writeCheckpoint(dir, lastSaved);
    return lastSaved;
  };
  const { stopped } = await driveTraining(run, {
    next: () => (hooks.signal?.aborted ? 'stop' : 'go'),
    after: async (info) => {
      hooks.onIteration?.(info);
      if (info.iteration % plan.checkpointEvery === 0 || run.done) {
        await hooks.onSave?.(await save());
      }
    },
  }).catch((error: unknown) => {
    if (error instanceof TrainingError && error.code === 'NON_FINITE_LOSS') {
      throw new NcaError(
        'NON_FINITE_LOSS',
        `${error.message}; stopped. The last good checkpoint (iteration ${lastSaved.iteration}) is kept in ${dir}; try a lower --lr`,
      );
    }
    throw error;
  });
  if (stopped) {
    return { checkpoint: await save(), interrupted: true };
  }
  // A resumed run already done (its total reached) still writes its checkpoint: the resumption
  // is in it; so does a run whose budget settled after its last save.
  const saved = lastSaved !== start && lastSaved.iteration === run.iteration && lastSaved.plan.training === run.recipe.training;
  return { checkpoint: saved ? lastSaved : await save(), interrupted: false };
}
