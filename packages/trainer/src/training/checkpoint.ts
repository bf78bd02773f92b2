import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// The checkpoint's own entry point: inspecting a checkpoint loads no tfjs.
import { CheckpointError, decodeCheckpoint as decodeCheckpointBytes, encodeCheckpoint, type Checkpoint } from '@nca-studio/core/checkpoint';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { NcaError } from '../errors.ts';

export { isCheckpointFile } from '@nca-studio/core/checkpoint';
export type { Checkpoint, RunPlan } from '@nca-studio/core/checkpoint';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Core's checkpoint file, written atomically into a run folder. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), encodeCheckpoint(checkpoint));
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

/** A checkpoint file's bytes, read back; `path` names it in errors. */
export function decodeCheckpoint(bytes: Uint8Array, path: string): Checkpoint {
  try {
    return decodeCheckpointBytes(bytes, path);
  } catch (error) {
    throw error instanceof CheckpointError ? new NcaError('BAD_CHECKPOINT', error.message) : error;
  }
}
