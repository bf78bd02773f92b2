import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { NcaError } from '../errors.ts';

/**
 * Writes a file so that readers see the old content or the new, never half of it: write a
 * temporary file beside it, then rename over the target (atomic on one file system).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw ioFailure(path, error);
  }
}

const IO_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'a folder is in the way',
  ENOTDIR: 'a file is in the way of its folder',
  EMFILE: 'too many open files',
};

/** A file-system failure as one line naming the file (exit 1: the input was fine). */
export function ioFailure(path: string, error: unknown): NcaError {
  if (error instanceof NcaError) {
    return error;
  }
  const code = (error as NodeJS.ErrnoException).code;
  const reason = (code !== undefined ? IO_REASONS[code] : undefined) ?? (error instanceof Error ? error.message : String(error));
  return new NcaError('IO', `could not write ${path}: ${reason}${code !== undefined ? ` (${code})` : ''}`);
}
