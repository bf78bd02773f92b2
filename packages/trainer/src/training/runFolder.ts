// A run folder belongs to one `nca train` at a time, and a finished run is never replaced by
// accident: a new run refuses a folder that holds one (unless --resume or --force), and a lock
// file with the owner's pid turns a second run on a busy folder away.
import { mkdir, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ioFailure } from '../files/atomicWrite.ts';
import { CHECKPOINT_FILE } from './checkpoint.ts';
import { NcaError } from '../errors.ts';

export const LOCK_FILE = 'train.lock';

/** What `nca train` writes into a run folder; any of them means the folder holds a run. */
const RUN_FILES = [CHECKPOINT_FILE, 'model.safetensors', 'run.json', 'loss.csv', 'loss.svg', 'growth.png', 'target.png'] as const;

/** Temp files of writeFileAtomic (`NAME.<12 hex>.tmp`) that a killed run left behind. */
const TEMP_FILE = /\.[0-9a-f]{12}\.tmp$/;

/** new: the folder must hold no run; resume: it must; force: an old run in it is removed. */
export type ClaimMode = 'new' | 'resume' | 'force';

export interface RunFolderLock {
  dir: string;
  /** Temp files removed when the folder was claimed. */
  removedTemps: string[];
  release(): Promise<void>;
}

interface LockOwner {
  pid: number;
  host: string;
  started: string;
}

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readOwner(path: string): Promise<LockOwner | null> {
  try {
    const owner = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : null;
  } catch {
    return null;
  }
}

/** Creates the lock file, or throws RUN_BUSY naming the live owner; a dead owner's lock is taken over. */
async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
      await file.writeFile(JSON.stringify(owner) + '\n');
      await file.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw ioFailure(path, error);
      }
    }
    const owner = await readOwner(path);
    // A lock from another machine (a shared disk) cannot be checked: it counts as live.
    if (owner !== null && (owner.host !== hostname() || processAlive(owner.pid))) {
      throw new NcaError(
        'RUN_BUSY',
        `${dir} is in use by another nca train (pid ${owner.pid} on ${owner.host}, since ${owner.started}); wait for it to finish or give another --out`,
      );
    }
    await rm(path, { force: true });
  }
  throw new NcaError('RUN_BUSY', `${dir}: could not take ${LOCK_FILE} (another run keeps creating it)`);
}

/**
 * Claims `dir` for a run (creating it): refuses a file, a busy folder, a folder that holds a run
 * for a new run (and one that holds none for a resume); with `force`, removes the old run's
 * files. Removes stale temp files either way.
 */
export async function claimRunFolder(dir: string, mode: ClaimMode): Promise<RunFolderLock> {
  const info = await stat(dir).catch(() => null);
  if (info !== null && !info.isDirectory()) {
    throw new NcaError('BAD_FLAG', `${mode === 'resume' ? '--resume' : '--out'} ${dir} is a file, not a run folder`);
  }
  if (info === null && mode === 'resume') {
    throw new NcaError('BAD_CHECKPOINT', `--resume ${dir}: no such run folder`);
  }
  await mkdir(dir, { recursive: true }).catch((error: unknown) => {
    throw ioFailure(dir, error);
  });
  await lock(dir);
  const release = async (): Promise<void> => {
    const owner = await readOwner(join(dir, LOCK_FILE));
    if (owner?.pid === process.pid) {
      await rm(join(dir, LOCK_FILE), { force: true });
    }
  };
  try {
    const names = await readdir(dir);
    const held = RUN_FILES.filter((name) => names.includes(name));
    if (mode === 'new' && held.length > 0) {
      throw new NcaError('RUN_EXISTS', `${dir} already holds a run (${held.join(', ')}); continue it with --resume ${dir}, or replace it with --force`);
    }
    if (mode === 'force') {
      await Promise.all(held.map((name) => rm(join(dir, name), { force: true })));
    }
    const removedTemps = names.filter((name) => TEMP_FILE.test(name));
    await Promise.all(removedTemps.map((name) => rm(join(dir, name), { force: true })));
    return { dir, removedTemps, release };
  } catch (error) {
    await release();
    throw error;
  }
}
