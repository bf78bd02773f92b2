import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TrainingSettings, TrainingState } from '@nca-studio/core';
// The presets' own entry point: inspecting a checkpoint loads no tfjs.
import { PRESETS } from '@nca-studio/core/presets';
import { decodeSafetensors, encodeSafetensors, PARAM_NAMES, paramShapes, WeightsFormatError, type NcaConfig, type NcaParams, type RawTensor } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { NcaError } from '../errors.ts';
import type { TargetSource } from '../images/target.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Training settings added after checkpoints were first written (the article's value before). */
const LATER_SETTINGS = ['damageRadius', 'reseedEvery', 'overflowWeight'] as const satisfies ReadonlyArray<keyof TrainingSettings>;

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

/** A run's file on disk: core's TrainingState and the plan that continues it. */
export interface Checkpoint extends TrainingState {
  plan: RunPlan;
}

const f32 = (values: Float32Array, shape: number[]): RawTensor => ({
  dtype: 'F32',
  shape,
  bytes: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
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
  const bytes = encodeSafetensors({ metadata: { format: 'nca-checkpoint', format_version: '1', state: JSON.stringify(state) }, tensors });
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), bytes);
}

export async function readCheckpoint(dir: string): Promise<Checkpoint> {
  const path = join(dir, CHECKPOINT_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new NcaError('BAD_CHECKPOINT', `no checkpoint to resume from: ${path} does not exist`);
  }
  return decodeCheckpoint(bytes, path);
}

/** Whether a safetensors file says it is a checkpoint (the header only; nothing is validated). */
export function isCheckpointFile(bytes: Uint8Array): boolean {
  try {
    return decodeSafetensors(bytes).metadata.format === 'nca-checkpoint';
  } catch {
    return false;
  }
}

/** A checkpoint file's bytes, read back; `path` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, path: string): Checkpoint {
  try {
    const file = decodeSafetensors(bytes, { source: path });
    if (file.metadata.format !== 'nca-checkpoint' || file.metadata.state === undefined) {
      throw new NcaError('BAD_CHECKPOINT', `${path} is not an nca checkpoint`);
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
        throw new NcaError('BAD_CHECKPOINT', `${path}: tensor ${name} is missing`);
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
    if (error instanceof NcaError) {
      throw error;
    }
    if (error instanceof WeightsFormatError || error instanceof SyntaxError) {
      throw new NcaError('BAD_CHECKPOINT', `${path} is damaged: ${error.message}`);
    }
    throw error;
  }
}
