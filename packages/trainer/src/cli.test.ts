import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHECKPOINT_VERSION } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { nca } from './testing/cli.ts';
import { hugePng, opaquePng } from './testing/images.ts';

const FUTURE_VERSION = String(CHECKPOINT_VERSION).replace(/\d/g, '9');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nca-cli-'));
  await writeFile(join(dir, 'empty.png'), '');
  await writeFile(join(dir, 'text.png'), 'not a picture\n');
  await writeFile(join(dir, 'opaque.png'), await opaquePng());
  await writeFile(join(dir, 'huge.png'), hugePng(20000, 20000));
});

describe('nca train with a bad target', () => {
  it.each([
    ['missing.png', /target image not found: .*missing\.png/],
    ['empty.png', /empty \(0 bytes\)/],
    ['text.png', /not an image sharp can read/],
    ['opaque.png', /no transparency.*--background white/],
    ['huge.png', /20000x20000 pixels is over the .* pixel limit/],
  ])('%s: exit 2 and one clear line', async (file, message) => {
    const { code, err, out } = await nca('train', '--target', join(dir, file), '--out', join(dir, 'run'), '--iterations', '1');
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^nca: /);
    expect(err[0]).toMatch(message);
    expect(err[0]).not.toMatch(/\n\s+at /);
    expect(out).toEqual([]);
  });
});

describe('nca train --resume: the checkpoint and the flags, settled before any work', () => {
  /** A finished 2-iteration run to resume, and its checkpoint's bytes. */
  async function finishedRun(name: string): Promise<{ run: string; checkpoint: string; bytes: Buffer }> {
    const run = join(dir, name);
    const trained = await nca(
      'train',
      '--emoji',
      '🦎',
      '--preset',
      'quick',
      '--target-size',
      '8',
      '--padding',
      '2',
      '--iterations',
      '2',
      '--steps',
      '4',
      '--batch',
      '2',
      '--pool',
      '4',
      '--damage',
      '1',
      '--backend',
      'wasm',
      '--out',
      run,
    );
    expect(trained.code).toBe(0);
    const checkpoint = join(run, 'checkpoint.safetensors');
    return { run, checkpoint, bytes: await readFile(checkpoint) };
  }

  it('refuses the flags that define the run, naming them, exit 2, the checkpoint untouched', async () => {
    const { run, checkpoint, bytes } = await finishedRun('resume-refused');
    const { code, err, out } = await nca('train', '--resume', run, '--iterations', '8', '--lr', '0.5', '--batch', '2', '--steps', '10..12');
    expect(code).toBe(2);
    expect(err).toEqual([expect.stringMatching(/^nca: --resume continues a run as its checkpoint defines it: --batch, --steps cannot change it/)]);
    expect(out).toEqual([]);
    expect(await readFile(checkpoint)).toEqual(bytes);
  });

  it('applies --iterations, --lr and --checkpoint-every, and records them in run.json and the checkpoint', async () => {
    const { run } = await finishedRun('resume-applied');
    const resumed = await nca('train', '--resume', run, '--iterations', '3', '--lr', '0.0005', '--checkpoint-every', '7', '--backend', 'wasm');
    expect(resumed.code).toBe(0);
    expect(resumed.out.join('\n')).toMatch(
      /resuming .* at iteration 2, [\d.]+ minutes in, of 3 iterations; changed: lr 0.002 -> 0.0005, iterations 2 -> 3, checkpointEvery 100 -> 7/,
    );
    const record = JSON.parse(await readFile(join(run, 'run.json'), 'utf8')) as { training: { lr: number; iterations: number }; resumptions: unknown[] };
    expect(record.training).toMatchObject({ lr: 0.0005, iterations: 3 });
    expect(record.resumptions).toEqual([
      { iteration: 2, changed: { lr: { from: 0.002, to: 0.0005 }, iterations: { from: 2, to: 3 }, checkpointEvery: { from: 100, to: 7 } } },
    ]);
    const inspected = JSON.parse((await nca('inspect', run, '--json')).out.join('\n')) as {
      iteration: number;
      training: { lr: number };
      resumptions: unknown[];
    };
    expect(inspected).toMatchObject({ iteration: 3, training: { lr: 0.0005 } });
    expect(inspected.resumptions).toHaveLength(1);
  });

  it.each([
    [
      'a format_version from the future',
      // A version of as many digits, all nines: the header keeps its length.
      (b: Buffer) => b.toString('latin1').replace(`"format_version":"${CHECKPOINT_VERSION}"`, `"format_version":"${FUTURE_VERSION}"`),
      new RegExp(`format_version ${FUTURE_VERSION} is newer than this reader supports \\(${CHECKPOINT_VERSION}\\)`),
    ],
    ['a truncated file', (b: Buffer) => b.subarray(0, b.length - 40).toString('latin1'), /truncated/],
    ['a NaN in an Adam moment', (b: Buffer) => nanInAdam(b).toString('latin1'), /tensor 'adam.m.dense1Weight' has a non-finite value \(NaN\)/],
  ])('refuses %s: one line, exit 2, before any training', async (_name, spoil, message) => {
    const { run, checkpoint, bytes } = await finishedRun(`resume-${_name.replace(/\W+/g, '-')}`);
    const spoilt = Buffer.from(spoil(bytes), 'latin1');
    await writeFile(checkpoint, spoilt);
    const { code, err, out } = await nca('train', '--resume', run, '--iterations', '4', '--backend', 'wasm');
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
    expect(err[0]).toContain(checkpoint);
    expect(out.filter((line) => /iteration \d/.test(line) && !/resuming/.test(line))).toEqual([]);
    expect(await readFile(checkpoint)).toEqual(spoilt);
  });

  it("refuses a usage error before loading a backend: exit 2, not the missing backend's exit 1", async () => {
    const { code, err } = await nca(
      'train',
      '--emoji',
      '🦎',
      '--preset',
      'quick',
      '--pool',
      '2',
      '--batch',
      '8',
      '--backend',
      'tensorflow',
      '--out',
      join(dir, 'never'),
    );
    expect(code).toBe(2);
    expect(err).toEqual(['nca: --pool 2 is smaller than --batch 8']);
    const huge = await nca('train', '--emoji', '🦎', '--iterations', '200000000', '--out', join(dir, 'never'));
    expect(huge.code).toBe(2);
    expect(huge.err.join('\n')).toMatch(/--iterations.*expected an integer from 1 to 100000000/);
  });

  it('checks the plan before the target is fetched: --pool 2 --batch 8 with a URL makes no request', async () => {
    // Nothing listens on port 9 (discard): a request would fail with DOWNLOAD_FAILED instead.
    const { code, err } = await nca('train', '--target', 'http://127.0.0.1:9/logo.png', '--pool', '2', '--batch', '8', '--out', join(dir, 'never'));
    expect(code).toBe(2);
    expect(err).toEqual(['nca: --pool 2 is smaller than --batch 8']);
  });
});

/** The checkpoint with a NaN in the first Adam moment's first value. */
function nanInAdam(bytes: Buffer): Buffer {
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { data_offsets: [number, number] }>;
  const out = Buffer.from(bytes);
  out.writeFloatLE(NaN, 8 + headerLength + header['adam.m.dense1Weight']!.data_offsets[0]);
  return out;
}

describe('nca flags', () => {
  it('--help lists every training flag with its default', async () => {
    const { code, out } = await nca('train', '--help');
    expect(code).toBe(0);
    const help = out.join(' ').replace(/\s+/g, ' ');
    for (const flag of [
      '--target',
      '--emoji',
      '--preset',
      '--target-size',
      '--padding',
      '--iterations',
      '--minutes',
      '--batch',
      '--pool',
      '--damage',
      '--damage-radius',
      '--overflow-weight',
      '--outside-weight',
      '--detail-weight',
      '--steps',
      '--lr',
      '--lr-decay-at',
      '--lr-decay-factor',
      '--lr-schedule',
      '--hidden',
      '--channels',
      '--fire-rate',
      '--seed',
      '--backend',
      '--out',
      '--checkpoint-every',
      '--resume',
      '--background',
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toMatch(/regenerating 8000/);
    expect(help).toMatch(/notebook 64\.\.96/);
    expect(help).toMatch(/quick 800/);
    expect(help).toMatch(/--iterations .*cpu by time/);
    expect(help).toMatch(/--minutes .*cpu 30 minutes/);
    expect(help).toMatch(/--lr-schedule .*regenerating step, .*cpu linear/);
  });

  it('without a preset flag on the CPU picks cpu and says why', async () => {
    const dir2 = join(dir, 'auto');
    const { code, out, err } = await nca(
      'train',
      '--emoji',
      '🦎',
      '--iterations',
      '1',
      '--steps',
      '4',
      '--batch',
      '2',
      '--damage',
      '1',
      '--pool',
      '4',
      '--backend',
      'wasm',
      '--out',
      dir2,
    );
    expect([code, err]).toEqual([0, []]);
    expect(out.join('\n')).toMatch(/preset: cpu, the article's model and 40 px target .*wasm is no GPU or native TensorFlow backend/);
    expect(out.join('\n')).toMatch(/grid 56x56/);
    expect(out.join('\n')).toMatch(/gradient: core's wasm rollout kernel/);
  });

  it('refuses a malformed number with exit 2', async () => {
    const { code, err } = await nca('train', '--emoji', '🦎', '--iterations', 'many');
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/--iterations.*expected an integer/);
  });

  it('refuses an unknown preset with exit 2', async () => {
    const { code, err } = await nca('train', '--emoji', '🦎', '--preset', 'huge');
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/huge/);
  });

  it('--damage-radius sets the disc range and refuses one out of bounds', async () => {
    const dir3 = join(dir, 'radius');
    const ok = await nca(
      'train',
      '--emoji',
      '🦎',
      '--iterations',
      '1',
      '--steps',
      '4',
      '--batch',
      '2',
      '--damage',
      '1',
      '--pool',
      '4',
      '--backend',
      'wasm',
      '--damage-radius',
      '.2..0.25',
      '--out',
      dir3,
    );
    expect(ok.code).toBe(0);
    expect(await readFile(join(dir3, 'run.json'), 'utf8')).toMatch(/"damageRadius":\s*\{\s*"min":\s*0\.2,\s*"max":\s*0\.25\s*\}/);
    for (const bad of ['0.3..0.1', '0.7', '0..0.2', 'big']) {
      const { code, err } = await nca('train', '--emoji', '🦎', '--damage-radius', bad);
      expect(code, bad).toBe(2);
      expect(err.join('\n')).toMatch(/--damage-radius.*fractions of the grid/);
    }
  });

  it('--lr-schedule linear and --lr-decay-factor reach the run; an unknown schedule or a factor above 1 exits 2', async () => {
    const dir4 = join(dir, 'linear');
    const ok = await nca(
      'train',
      '--emoji',
      '🦎',
      '--iterations',
      '3',
      '--steps',
      '4',
      '--batch',
      '2',
      '--damage',
      '1',
      '--pool',
      '4',
      '--backend',
      'wasm',
      '--lr',
      '0.002',
      '--lr-decay-at',
      '1',
      '--lr-schedule',
      'linear',
      '--lr-decay-factor',
      '0.01',
      '--log-every',
      '1',
      '--out',
      dir4,
    );
    expect(ok.code).toBe(0);
    const run = JSON.parse(await readFile(join(dir4, 'run.json'), 'utf8')) as { training: Record<string, unknown> };
    expect(run.training).toMatchObject({ lrDecayAt: 1, lrDecayFactor: 0.01, lrSchedule: 'linear' });
    // The log's rate per iteration: the last two iterations are the line's ends, lr and lr x 0.01.
    const lrs = ok.out.filter((line) => line.startsWith('iteration ')).map((line) => /lr (\S+)/.exec(line)?.[1]);
    expect(lrs).toEqual(['2.0e-3', '2.0e-3', '2.0e-5']);
    const schedule = await nca('train', '--emoji', '🦎', '--lr-schedule', 'cosine');
    expect(schedule.code).toBe(2);
    expect(schedule.err.join('\n')).toMatch(/--lr-schedule.*cosine.*step, linear/);
    const factor = await nca('train', '--emoji', '🦎', '--lr-decay-factor', '2');
    expect(factor.code).toBe(2);
    expect(factor.err.join('\n')).toMatch(/--lr-decay-factor.*from 0 to 1/);
  });

  it('refuses a step range upside down', async () => {
    const { code, err } = await nca('train', '--emoji', '🦎', '--steps', '90..10');
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(/MIN <= MAX/);
  });

  it('inspect shows a checkpoint (the file or its run folder): iteration, settings, pool', async () => {
    const run = join(dir, 'auto');
    for (const target of [join(run, 'checkpoint.safetensors'), run]) {
      const { code, out } = await nca('inspect', target);
      expect(code).toBe(0);
      expect(out.join('\n')).toMatch(/checkpoint {2}iteration 1 of 1 iterations, \d+ s of training, last loss \d\.\d{3}e[-+]\d+/);
      expect(out.join('\n')).toMatch(/pool {8}4 samples of 56x56/);
      expect(out.join('\n')).toMatch(/stepsMax +4/);
    }
    const json = JSON.parse((await nca('inspect', run, '--json')).out.join('\n')) as Record<string, unknown>;
    expect(json).toMatchObject({ format: 'nca-checkpoint', iteration: 1, iterations: 1, pool: 4, preset: 'cpu', parameters: 48 * 128 + 128 + 128 * 16 + 16 });
  });

  it('inspect refuses a file that is not a model with exit 2 and the format error', async () => {
    const { code, err } = await nca('inspect', join(dir, 'text.png'));
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/safetensors/);
  });
});

describe('nca loads only what the command needs', () => {
  const probe = fileURLToPath(new URL('./testing/loadProbe.js', import.meta.url));
  const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
  const lizard = fileURLToPath(new URL('../../viewer/public/models/lizard.safetensors', import.meta.url));
  const loads = (...args: string[]): { code: number; tfjs: boolean; sharp: boolean } =>
    JSON.parse(
      execFileSync(process.execPath, [probe, cli, ...args], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!,
    );

  it('inspect (a model and a checkpoint) and --help load neither tfjs nor sharp', async () => {
    expect(loads('inspect', lizard)).toEqual({ code: 0, tfjs: false, sharp: false });
    expect(loads('--help')).toEqual({ code: 0, tfjs: false, sharp: false });
    const run = join(dir, 'inspect-run');
    const trained = await nca(
      'train',
      '--emoji',
      '🦎',
      '--iterations',
      '1',
      '--steps',
      '2',
      '--batch',
      '2',
      '--pool',
      '4',
      '--damage',
      '1',
      '--backend',
      'wasm',
      '--out',
      run,
    );
    expect(trained.code).toBe(0);
    expect(loads('inspect', run)).toEqual({ code: 0, tfjs: false, sharp: false });
  });

  it('render loads tfjs, not sharp: its PNG and GIF writers need no image library (the probe sees it)', () => {
    expect(loads('render', lizard, '--steps', '2', '--png', join(dir, 'probe.png'), '--gif', join(dir, 'probe.gif'))).toEqual({
      code: 0,
      tfjs: true,
      sharp: false,
    });
  });
});
