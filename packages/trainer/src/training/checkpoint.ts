import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
// The checkpoint file is weights-format's: inspecting or resuming one loads no tfjs.
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { NcaError } from '../errors.ts';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** The checkpoint file, written atomically into a run folder. */
export async function writeCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await writeFileAtomic(join(dir, CHECKPOINT_FILE), encodeCheckpoint(checkpoint));
}

/**
 * A run folder's checkpoint, validated whole before any work (weights-format's
 * decodeCheckpoint: a refusal is a WeightsFormatError naming the file, exit 2).
 */
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
