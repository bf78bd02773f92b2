import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { beforeAll, describe, expect, it } from 'vitest';
import { ioFailure, writeFileAtomic } from '../files/atomicWrite.ts';
import { NcaError } from '../errors.ts';
import { claimRunFolder, LOCK_FILE } from './runFolder.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nca-folder-'));
});

async function refusal(promise: Promise<unknown>): Promise<NcaError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NcaError);
  return error as NcaError;
}

const lockOf = (pid: number): string => JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' });

describe('claimRunFolder', () => {
  it('refuses a folder that holds a run for a new run, naming --resume and --force; force removes the old run', async () => {
    const dir = join(root, 'finished');
    await mkdir(dir);
    await writeFile(join(dir, 'model.safetensors'), 'old');
    await writeFile(join(dir, 'run.json'), '{}');
    const e = await refusal(claimRunFolder(dir, 'new'));
    expect([e.code, e.exitCode]).toEqual(['RUN_EXISTS', 2]);
    expect(e.message).toBe(`${dir} already holds a run (model.safetensors, run.json); continue it with --resume ${dir}, or replace it with --force`);
    expect(await readFile(join(dir, 'model.safetensors'), 'utf8')).toBe('old');
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);

    const claimed = await claimRunFolder(dir, 'force');
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(false);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    await claimed.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('turns a second run on a busy folder away, naming the owner; takes over the lock of a dead one', async () => {
    const dir = join(root, 'busy');
    const first = await claimRunFolder(dir, 'new');
    const e = await refusal(claimRunFolder(dir, 'new'));
    expect([e.code, e.exitCode]).toEqual(['RUN_BUSY', 2]);
    expect(e.message).toContain(`${dir} is in use by another nca train (pid ${process.pid} on ${hostname()}`);
    await first.release();

    // A live process of another pid holds it; once it is gone, its lock is stale.
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    await writeFile(join(dir, LOCK_FILE), lockOf(child.pid!));
    expect((await refusal(claimRunFolder(dir, 'new'))).message).toContain(`pid ${child.pid}`);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const second = await claimRunFolder(dir, 'new');
    expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    await second.release();
  });

  it('removes the temp files a killed run left, and only those', async () => {
    const dir = join(root, 'temps');
    await mkdir(dir);
    await writeFile(join(dir, 'checkpoint.safetensors.0123456789ab.tmp'), 'half a checkpoint');
    await writeFile(join(dir, 'notes.tmp'), 'mine');
    await writeFile(join(dir, 'checkpoint.safetensors'), 'a run');
    const claimed = await claimRunFolder(dir, 'resume');
    expect(claimed.removedTemps).toEqual(['checkpoint.safetensors.0123456789ab.tmp']);
    expect(existsSync(join(dir, 'checkpoint.safetensors.0123456789ab.tmp'))).toBe(false);
    expect(existsSync(join(dir, 'notes.tmp'))).toBe(true);
    await claimed.release();
  });

  it('refuses a file as the run folder (exit 2), and a missing folder to resume', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const e = await refusal(claimRunFolder(file, 'new'));
    expect([e.code, e.exitCode, e.message]).toEqual(['BAD_FLAG', 2, `--out ${file} is a file, not a run folder`]);
    expect((await refusal(claimRunFolder(join(root, 'nope'), 'resume'))).message).toBe(`--resume ${join(root, 'nope')}: no such run folder`);
  });
});

describe('ioFailure', () => {
  it('says which file could not be written and why, exit 1 (a real ENOSPC from /dev/full)', async () => {
    const error = await writeFile('/dev/full', 'x').then(
      () => null,
      (e: unknown) => e,
    );
    const e = ioFailure('runs/x/checkpoint.safetensors', error);
    expect([e.code, e.exitCode, e.message]).toEqual(['IO', 1, 'could not write runs/x/checkpoint.safetensors: no space left on the device (ENOSPC)']);
  });

  it('writeFileAtomic fails with that line and leaves no temp file', async () => {
    const dir = join(root, 'blocked');
    await mkdir(join(dir, 'model.safetensors'), { recursive: true });
    const e = await refusal(writeFileAtomic(join(dir, 'model.safetensors'), 'x'));
    expect(e.message).toMatch(/^could not write .*model\.safetensors: a folder is in the way \(EISDIR\)$/);
    expect(await readdir(dir)).toEqual(['model.safetensors']);
  });
});
