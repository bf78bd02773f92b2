import { decodeSafetensors, encodeSafetensors, PARAM_NAMES, paramShapes, WeightsFormatError, type NcaConfig, type NcaParams, type RawTensor } from '@nca-studio/weights-format';
import { PRESETS, type TrainingSettings } from '../presets.ts';
import type { TrainingState } from './trainingRun.ts';

/**
 * Where a run's target picture came from: a file, a URL or an emoji (the CLI), or a picture
 * dropped on a page. Resuming never reads it again: the checkpoint holds the target itself.
 */
export type TargetSource = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'emoji'; char: string } | { kind: 'picture'; name: string };

/** What a run was asked to do: enough to continue it from a checkpoint alone. */
export interface RunPlan {
  preset: string;
  config: NcaConfig;
  training: TrainingSettings;
  seed: number;
  target: TargetSource;
  targetName: string;
  background?: string;
  checkpointEvery: number;
}

/** A run's checkpoint: core's TrainingState and the plan that continues it. */
export interface Checkpoint extends TrainingState {
  plan: RunPlan;
}

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError';
  readonly code = 'BAD_CHECKPOINT';
}

/** Training settings added after checkpoints were first written (the article's value before). */
const LATER_SETTINGS = ['damageRadius', 'reseedEvery', 'overflowWeight', 'lrSchedule'] as const satisfies ReadonlyArray<keyof TrainingSettings>;

const f32 = (values: Float32Array, shape: number[]): RawTensor => ({
  dtype: 'F32',
  shape,
  bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

/**
 * The checkpoint file (SPEC §4): safetensors with the weights, Adam's moments, the target and
 * the pool as tensors, the rest as JSON metadata. The CLI writes it to a run folder, a page to
 * IndexedDB: the same bytes, so either continues the other's run.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { plan, params, adam } = checkpoint;
  const c = plan.config.channels;
  const shapes = paramShapes(plan.config);
  const tensors: Record<string, RawTensor> = {};
  PARAM_NAMES.forEach((name, i) => {
    const shape = shapes[name]!;
    tensors[`params.${name}`] = f32(params[name], shape);
    tensors[`adam.m.${name}`] = f32(adam.m[i]!, shape);
    tensors[`adam.v.${name}`] = f32(adam.v[i]!, shape);
  });
  const grid = [plan.config.gridHeight, plan.config.gridWidth];
  tensors.target = f32(checkpoint.target, [...grid, 4]);
  if (checkpoint.pool !== null) {
    tensors.pool = f32(checkpoint.pool, [plan.training.pool, ...grid, c]);
  }
  const state = {
    plan,
    iteration: checkpoint.iteration,
    rng_state: checkpoint.rngState,
    adam_t: adam.t,
    losses: checkpoint.losses,
    seconds: checkpoint.seconds,
  };
  return encodeSafetensors({ metadata: { format: 'nca-checkpoint', format_version: '1', state: JSON.stringify(state) }, tensors });
}

/** Whether a safetensors file says it is a checkpoint (the header only; nothing is validated). */
export function isCheckpointFile(bytes: Uint8Array): boolean {
  try {
    return decodeSafetensors(bytes).metadata.format === 'nca-checkpoint';
  } catch {
    return false;
  }
}

/** A checkpoint's bytes, read back; `source` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  try {
    const file = decodeSafetensors(bytes, { source });
    if (file.metadata.format !== 'nca-checkpoint' || file.metadata.state === undefined) {
      throw new CheckpointError(`${source} is not an nca checkpoint`);
    }
    const state = JSON.parse(file.metadata.state) as {
      plan: RunPlan;
      iteration: number;
      rng_state: number;
      adam_t: number;
      losses: number[];
      seconds: number;
    };
    const floats = (name: string): Float32Array => {
      const t = file.tensors[name];
      if (t === undefined || t.dtype !== 'F32') {
        throw new CheckpointError(`${source}: tensor ${name} is missing`);
      }
      // Copy: the decoded bytes may not be 4-byte aligned.
      return new Float32Array(t.bytes.slice().buffer);
    };
    const names = PARAM_NAMES;
    const params = Object.fromEntries(names.map((n) => [n, floats(`params.${n}`)])) as unknown as NcaParams;
    // A checkpoint from before a setting existed trained with the article's value of it.
    for (const key of LATER_SETTINGS) {
      (state.plan.training as unknown as Record<string, unknown>)[key] ??= PRESETS.regenerating.training[key];
    }
    return {
      plan: state.plan,
      iteration: state.iteration,
      rngState: state.rng_state,
      params,
      adam: { t: state.adam_t, m: names.map((n) => floats(`adam.m.${n}`)), v: names.map((n) => floats(`adam.v.${n}`)) },
      pool: file.tensors.pool === undefined ? null : floats('pool'),
      target: floats('target'),
      losses: state.losses,
      seconds: state.seconds,
    };
  } catch (error) {
    if (error instanceof WeightsFormatError || error instanceof SyntaxError) {
      throw new CheckpointError(`${source} is damaged: ${error.message}`);
    }
    throw error;
  }
}
