import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, MAX_ITERATIONS, readModel } from '@nca-studio/weights-format';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../backends/backend.ts';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../training/checkpoint.ts';
import { planFromPreset, type TrainFlags } from '../training/plan.ts';
import { NcaError } from '../errors.ts';
import { formatLoad, train } from './train.ts';
import { freshCheckpoint, trainLoop } from '../training/trainLoop.ts';
import { discPng } from '../testing/images.ts';
import { nca } from '../testing/cli.ts';

let dir: string;
let targetPath: string;
beforeAll(async () => {
  await selectBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'nca-train-'));
  targetPath = join(dir, 'disc.png');
  await writeFile(targetPath, await discPng(32));
});

const quiet = { log: () => {}, progress: 'none' as const };

/** Train's io for a run stopped as Ctrl-C would, once it has logged `lines` lines. */
function interruptedAt(lines: number): Parameters<typeof train>[1] {
  const controller = new AbortController();
  let seen = 0;
  return {
    ...quiet,
    progress: 'lines',
    signal: controller.signal,
    log: () => {
      seen += 1;
      if (seen === lines) {
        controller.abort();
      }
    },
  };
}

/** A tiny regenerating run: 8 px target + 2 px padding = 12x12 grid. */
function tiny(out: string, iterations: number, extra: Partial<TrainFlags> = {}): TrainFlags {
  return {
    target: targetPath,
    preset: 'regenerating',
    targetSize: 8,
    padding: 2,
    batch: 3,
    pool: 8,
    damage: 1,
    steps: [6, 10],
    iterations,
    hidden: 16,
    seed: 7,
    backend: 'wasm',
    out,
    checkpointEvery: 2,
    ...extra,
  };
}

describe('train', () => {
  it('refuses a folder that holds a run unless --resume or --force, and --force replaces it', async () => {
    const out = join(dir, 'kept');
    await train(tiny(out, 2), quiet);
    const before = await readFile(join(out, 'model.safetensors'));
    const error = await train(tiny(out, 2, { seed: 8 }), quiet).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NcaError);
    expect((error as NcaError).code).toBe('RUN_EXISTS');
    expect(await readFile(join(out, 'model.safetensors'))).toEqual(before);
    await train(tiny(out, 2, { seed: 8, force: true }), quiet);
    expect(await readFile(join(out, 'model.safetensors'))).not.toEqual(before);
    expect(existsSync(join(out, 'train.lock'))).toBe(false);
  });

  it('an I/O failure names the file, says the checkpoint is intact and how to go on (exit 1)', async () => {
    const out = join(dir, 'blocked');
    await train(tiny(out, 2), quiet);
    // Something in the way of the model file when the resumed run finishes.
    await rm(join(out, 'model.safetensors'));
    await mkdir(join(out, 'model.safetensors'));
    const error = await train({ resume: out, iterations: 4, backend: 'wasm' }, quiet).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NcaError);
    expect((error as NcaError).exitCode).toBe(1);
    expect((error as NcaError).message).toBe(
      `could not write ${join(out, 'model.safetensors')}: a folder is in the way (EISDIR); the last checkpoint in ${out} is intact: free some space (or fix the folder), then continue with --resume ${out}`,
    );
    expect((await readCheckpoint(out)).iteration).toBe(4);
  });

  it('a run of 2N iterations equals a run of N resumed for N more, bit for bit', async () => {
    // Re-seeding every other iteration and an overflow penalty: a resume at an odd iteration
    // must pick up both where they were.
    const settings = (out: string, iterations: number): TrainFlags => ({ ...tiny(out, iterations), reseedEvery: 2, overflowWeight: 0.5 });
    const whole = await train(settings(join(dir, 'whole'), 6), quiet);
    await train(settings(join(dir, 'split'), 3), quiet);
    const resumed = await train({ resume: join(dir, 'split'), iterations: 6, backend: 'wasm' }, quiet);
    expect(resumed.iterations).toBe(6);
    expect(resumed.losses).toEqual(whole.losses);
    const a = readModel(await readFile(join(dir, 'whole', 'model.safetensors')));
    const b = readModel(await readFile(join(dir, 'split', 'model.safetensors')));
    expect(b.params.dense1Weight).toEqual(a.params.dense1Weight);
    expect(b.params.dense2Weight).toEqual(a.params.dense2Weight);
    expect(b.params.dense2Bias).toEqual(a.params.dense2Bias);
    // And training did change the weights.
    expect(a.params.dense2Weight.some((v) => v !== 0)).toBe(true);
    const ca = await readCheckpoint(join(dir, 'whole'));
    const cb = await readCheckpoint(join(dir, 'split'));
    expect(cb.pool).toEqual(ca.pool);
    expect(cb.rngState).toBe(ca.rngState);
  });

  it("says where the training time went: the gradients' share, and each worker's", () => {
    expect(formatLoad({ gradientSeconds: 90, busy: [0.9, 0.615], activeCellSteps: null }, 100)).toBe(
      "time: gradients 90% of 100 s; workers busy 90%, 62% of the gradients' time",
    );
    expect(formatLoad({ gradientSeconds: 5, busy: [], activeCellSteps: null }, 10)).toBe('time: gradients 50% of 10 s');
  });

  it('writes every output of a run folder', async () => {
    const out = join(dir, 'outputs');
    await train(tiny(out, 2), quiet);
    for (const file of ['model.safetensors', CHECKPOINT_FILE, 'loss.csv', 'loss.svg', 'growth.png', 'target.png', 'run.json']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as Record<string, unknown>;
    expect(run.backend).toMatchObject({ name: 'wasm' });
    expect(run.iterations).toBe(2);
    expect(run.gradient_seconds).toBeGreaterThan(0);
    expect(Array.isArray(run.worker_busy)).toBe(true);
    expect((await readFile(join(out, 'loss.csv'), 'utf8')).trim().split('\n')).toHaveLength(3);
    const model = readModel(await readFile(join(out, 'model.safetensors')));
    expect(model.target?.width).toBe(12);
    expect(model.training).toMatchObject({ preset: 'regenerating', iterations: 2, backend: 'wasm' });
    expect((await readFile(join(out, 'loss.svg'), 'utf8')).startsWith('<svg')).toBe(true);
    expect(await readFile(join(out, 'growth.png')).then((b) => b.subarray(1, 4).toString())).toBe('PNG');
  });

  it('an interrupted run writes a checkpoint and can be resumed', async () => {
    const out = join(dir, 'interrupted');
    const summary = await train(tiny(out, 50, { logEvery: 1 }), interruptedAt(4));
    expect(summary.interrupted).toBe(true);
    expect(summary.iterations).toBeLessThan(50);
    expect((await readCheckpoint(out)).iteration).toBe(summary.iterations);
    const resumed = await train({ resume: out, iterations: summary.iterations + 2, backend: 'wasm' }, quiet);
    expect(resumed.interrupted).toBe(false);
    expect(resumed.iterations).toBe(summary.iterations + 2);
    expect(resumed.losses.slice(0, summary.iterations)).toEqual(summary.losses);
  });

  it('a run by time ends within its budget, records where its rate fell and where it ended, and re-running that count repeats it bit for bit', async () => {
    const { iterations: _, ...flags } = tiny(join(dir, 'budget'), 1);
    const seconds = 3;
    const started = performance.now();
    const timed = await train({ ...flags, minutes: seconds / 60 }, quiet);
    const wall = (performance.now() - started) / 1000;
    const end = await readCheckpoint(join(dir, 'budget'));
    const { budget, lrDecayAt, iterations } = end.plan.training;
    expect(budget).toEqual({ minutes: seconds / 60, decayAt: 0.7 });
    // Settled when 70% of the time had passed, the end projected from the pace: both recorded.
    expect(lrDecayAt).toBeGreaterThan(10);
    expect(iterations).toBeGreaterThan(lrDecayAt!);
    expect(timed.iterations).toBe(iterations);
    expect(end.seconds).toBeGreaterThan(0.7 * seconds);
    // The projection misses by a few iterations' time at most (loose: the cores are shared).
    expect(end.seconds).toBeLessThan(1.5 * seconds);
    expect(wall).toBeLessThan(seconds + 10);
    const run = JSON.parse(await readFile(join(dir, 'budget', 'run.json'), 'utf8')) as { training: { lrDecayAt: number; iterations: number } };
    expect(run.training).toMatchObject({ lrDecayAt, iterations });

    const again = await train({ ...flags, out: join(dir, 'budget-again'), iterations: iterations, lrDecayAt: lrDecayAt! }, quiet);
    expect(again.losses).toEqual(timed.losses);
    const a = readModel(await readFile(join(dir, 'budget', 'model.safetensors')));
    const b = readModel(await readFile(join(dir, 'budget-again', 'model.safetensors')));
    expect(b.params.dense1Weight).toEqual(a.params.dense1Weight);
    expect(b.params.dense2Weight).toEqual(a.params.dense2Weight);
  });

  it('a run by time, interrupted, resumes with the time it has left or a new budget', async () => {
    const out = join(dir, 'budget-resumed');
    const { iterations: _, ...flags } = tiny(out, 1);
    const first = await train({ ...flags, minutes: 0.05, logEvery: 1 }, interruptedAt(6));
    expect(first.interrupted).toBe(true);
    const paused = await readCheckpoint(out);
    expect(paused.plan.training.lrDecayAt).toBeNull();
    const rest = await train({ resume: out, backend: 'wasm' }, quiet);
    expect(rest.interrupted).toBe(false);
    const ended = await readCheckpoint(out);
    expect(ended.plan.training.lrDecayAt).toBeGreaterThan(paused.iteration);
    expect(ended.seconds).toBeGreaterThan(0.7 * 3);
    // Twice the budget: a decay point (70% of 6 s) still ahead waits again; one already passed
    // (a slow machine) keeps its start and the end moves out.
    const longer = await train({ resume: out, minutes: 0.1, backend: 'wasm' }, quiet);
    const extended = await readCheckpoint(out);
    expect(extended.plan.training.budget).toEqual({ minutes: 0.1, decayAt: 0.7 });
    if (ended.seconds < 0.7 * 6) {
      expect(extended.plan.training.lrDecayAt).toBeGreaterThan(rest.iterations);
    } else {
      expect(extended.plan.training.lrDecayAt).toBe(ended.plan.training.lrDecayAt);
    }
    expect(longer.iterations).toBeGreaterThan(rest.iterations);
    expect(extended.seconds).toBeGreaterThan(0.7 * 6);
    expect(extended.resumptions.at(-1)?.changed).toMatchObject({ budget: { from: { minutes: 0.05, decayAt: 0.7 }, to: { minutes: 0.1, decayAt: 0.7 } } });
    await expect(train({ resume: out, minutes: 0.01, backend: 'wasm' }, quiet)).rejects.toThrow(
      /--minutes 0\.01: the run in .* has already trained [\d.]+ minutes; give a budget longer than that/,
    );
  });

  it('a run whose model does not grow says so while it trains and at its end: a warning, run.json "failed" with the reasons, exit 1, its files kept', async () => {
    const out = join(dir, 'not-growing');
    // A quarter of the quick preset's 800 iterations (less would be a short run, not a failure),
    // at a rate too small to move the weights: the seed stays one cell.
    const flags = ['--target', targetPath, '--preset', 'quick', '--target-size', '8', '--padding', '2', '--batch', '2', '--pool', '4', '--damage', '1'];
    const tiny = ['--steps', '4..6', '--hidden', '8', '--lr', '1e-9', '--checkpoint-every', '50', '--backend', 'wasm'];
    const { code, out: lines, err } = await nca('train', ...flags, ...tiny, '--iterations', '200', '--out', out);
    expect(code).toBe(1);
    // Past a quarter of the run, at a checkpoint: the quick look at the seed.
    expect(
      lines.some((l) =>
        /^warning: at iteration (50|100|150|200) \(\d+% of the run\) the seed does not grow into the picture \(growth IoU 0\.\d\d, 1 of \d+ cells\)$/.test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('eval: growth IoU '))).toBe(true);
    expect(err).toEqual([
      expect.stringMatching(
        /^nca: the model does not grow: the seed does not grow: after 6 steps 1 cells live where the picture has \d+; train longer \(--minutes\)\. Its files are in .*not-growing \(growth\.png shows what it does; run\.json says "failed"\)$/,
      ),
    ]);
    const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { status: string; problems: string[]; eval: { growthIou: number } };
    expect(run.status).toBe('failed');
    expect(run.problems[0]).toMatch(/^the seed does not grow/);
    expect(run.eval.growthIou).toBeLessThan(0.5);
    for (const file of ['model.safetensors', 'growth.png', CHECKPOINT_FILE]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    // The same after 20 iterations is a short run: said, exit 0.
    const short = await nca('train', ...flags, ...tiny, '--iterations', '20', '--out', join(dir, 'not-growing-short'));
    expect(short.code).toBe(0);
    expect(short.out).toContainEqual(expect.stringMatching(/^warning: a short run, not judged a failure: the seed does not grow/));
    expect(JSON.parse(await readFile(join(dir, 'not-growing-short', 'run.json'), 'utf8'))).toMatchObject({ status: 'finished' });
  });

  it('stops on a non-finite loss and keeps the last good checkpoint', async () => {
    const out = join(dir, 'nan');
    const plan = planFromPreset({
      preset: 'regenerating',
      training: { batch: 3, pool: 8, damaged: 1, stepsMin: 6, stepsMax: 10, iterations: 4 },
      config: { hidden: 16, gridWidth: 12, gridHeight: 12 },
      seed: 7,
      target: { kind: 'file', path: targetPath },
      targetName: 'disc',
      checkpointEvery: 2,
    });
    const start = freshCheckpoint(plan, new Float32Array(12 * 12 * 4));
    // Every update adds 1e38 to every channel: the state overflows at once.
    start.params.dense2Bias.fill(3e38);
    await writeCheckpoint(out, start);
    const before = await readFile(join(out, CHECKPOINT_FILE));
    const error = await trainLoop(out, start).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NcaError);
    expect((error as NcaError).code).toBe('NON_FINITE_LOSS');
    expect((error as NcaError).message).toMatch(/last good checkpoint \(iteration 0\)/);
    expect(await readFile(join(out, CHECKPOINT_FILE))).toEqual(before);
  });

  it("--lr-decay-at keeps the preset's fall, and on a preset that never decays falls by a tenth", async () => {
    const plan = (preset: 'cpu' | 'notebook', training: Parameters<typeof planFromPreset>[0]['training']) =>
      planFromPreset({ preset, training, config: {}, seed: 1, target: { kind: 'emoji', char: '🦎' }, targetName: 'lizard', checkpointEvery: 10 }).training;
    expect(plan('cpu', { iterations: 5000, lrDecayAt: 4000 })).toMatchObject({ lrDecayAt: 4000, lrDecayFactor: 0.01, lrSchedule: 'linear', budget: null });
    expect(plan('notebook', { lrDecayAt: 100 })).toMatchObject({ lrDecayAt: 100, lrDecayFactor: 0.1, lrSchedule: 'step' });
    expect(plan('notebook', { lrDecayAt: 100, lrDecayFactor: 0.5 })).toMatchObject({ lrDecayFactor: 0.5 });
    expect(plan('notebook', {})).toMatchObject({ lrDecayAt: null, lrDecayFactor: 1 });
  });

  it('trains the cpu preset by time: 30 minutes, or --minutes; an iteration count trains by count with the decay at the same 70%', () => {
    const plan = (training: Parameters<typeof planFromPreset>[0]['training'], minutes?: number) =>
      planFromPreset({
        preset: 'cpu',
        training,
        ...(minutes === undefined ? {} : { minutes }),
        config: {},
        seed: 1,
        target: { kind: 'emoji', char: '🦎' },
        targetName: 'lizard',
        checkpointEvery: 10,
      }).training;
    expect(plan({})).toMatchObject({ budget: { minutes: 30, decayAt: 0.7 }, lrDecayAt: null, iterations: MAX_ITERATIONS });
    expect(plan({}, 12)).toMatchObject({ budget: { minutes: 12, decayAt: 0.7 }, lrDecayAt: null });
    expect(plan({ iterations: 1000 })).toMatchObject({ budget: null, iterations: 1000, lrDecayAt: 700 });
    const refusal = (run: () => unknown): string => {
      try {
        run();
      } catch (error) {
        expect(error).toBeInstanceOf(NcaError);
        return (error as NcaError).message;
      }
      throw new Error('not refused');
    };
    expect(refusal(() => plan({ iterations: 1000 }, 5))).toBe('--minutes and --iterations both set how long the run trains: give one');
    expect(refusal(() => plan({ lrDecayAt: 300 }))).toMatch(/^--lr-decay-at needs --iterations: this recipe trains for 30 minutes/);
    expect(refusal(() => plan({ lrDecayAt: 300 }, 5))).toMatch(/^--lr-decay-at needs --iterations: with --minutes the rate falls from 70% of the time/);
  });

  it('refuses to resume from a folder without a checkpoint', async () => {
    const error = await train({ resume: join(dir, 'none') }, quiet).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as NcaError).code).toBe('BAD_CHECKPOINT');
  });
});

describe('nca train --texture (docs/design.md §4.9)', () => {
  /** A short texture run: the preset's 64x64 torus, a 2-sample batch of 4..8 steps. */
  const texture = (out: string, iterations: number): TrainFlags => ({
    texture: targetPath,
    batch: 2,
    pool: 4,
    steps: [4, 8],
    iterations,
    // One rate throughout: a run of 2 iterations would otherwise decay at 70% of its own length.
    lrDecayFactor: 1,
    hidden: 16,
    seed: 3,
    backend: 'wasm',
    out,
    checkpointEvery: 2,
  });

  it('trains from the exemplar into a run folder, and a resumed run ends where an unbroken one does', async () => {
    const whole = await train(texture(join(dir, 'texture-whole'), 4), quiet);
    await train(texture(join(dir, 'texture-split'), 2), quiet);
    const resumed = await train({ resume: join(dir, 'texture-split'), iterations: 4, backend: 'wasm' }, quiet);
    expect(resumed.losses).toEqual(whole.losses);
    expect(whole.evaluation).toBeNull();
    const model = readModel(await readFile(join(dir, 'texture-whole', 'model.safetensors')));
    expect(model.config).toMatchObject({ start: 'zeros', laplacian: true, clip: 2, display: 'rgb-signed', gridWidth: 64, hidden: 16 });
    // The exemplar (the 32 px disc picture, flattened onto white) is the model's target.
    expect([model.target?.width, model.target?.height]).toEqual([32, 32]);
    expect(model.target!.data.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true);
    const b = readModel(await readFile(join(dir, 'texture-split', 'model.safetensors')));
    expect(Array.from(b.params.dense1Weight)).toEqual(Array.from(model.params.dense1Weight));
    const run = JSON.parse(await readFile(join(dir, 'texture-whole', 'run.json'), 'utf8')) as { outputs: string[]; preset: string };
    expect(run.preset).toBe('texture');
    for (const file of run.outputs) {
      expect(existsSync(join(dir, 'texture-whole', file)), file).toBe(true);
    }
    expect(run.outputs).toEqual(expect.arrayContaining(['texture.png', 'tile.png', 'exemplar.png']));
  });

  it('--texture-loss features or spectrum adds its term, the plan records it, and a resume cannot change it', async () => {
    const patches = await train({ ...texture(join(dir, 'texture-patches'), 2), textureLoss: 'patches' }, quiet);
    const features = await train({ ...texture(join(dir, 'texture-features'), 2), textureLoss: 'features' }, quiet);
    const spectrum = await train({ ...texture(join(dir, 'texture-spectrum'), 2), textureLoss: 'spectrum' }, quiet);
    // The same states and directions, one more term: the loss is larger.
    expect(features.losses[0]!).toBeGreaterThan(patches.losses[0]!);
    expect(spectrum.losses[0]!).toBeGreaterThan(patches.losses[0]!);
    expect(decodeCheckpoint(await readFile(join(dir, 'texture-spectrum', 'checkpoint.safetensors')), 'test').plan.exemplar?.loss).toBe('spectrum');
    const checkpoint = decodeCheckpoint(await readFile(join(dir, 'texture-features', 'checkpoint.safetensors')), 'test');
    expect(checkpoint.plan.exemplar).toEqual({ width: 32, height: 32, loss: 'features' });
    const error = await train({ resume: join(dir, 'texture-features'), iterations: 3, textureLoss: 'patches', backend: 'wasm' }, quiet).then(
      () => null,
      (e: unknown) => e,
    );
    expect((error as NcaError).message).toMatch(/--texture-loss cannot change it/);
  });

  it('refuses --texture with --target, another preset, or a route that does not run it (exit 2, no folder)', async () => {
    for (const [flags, message] of [
      [['--texture', targetPath, '--target', targetPath], /give one of --target, --emoji and --texture, not --target and --texture/],
      [['--texture', targetPath, '--preset', 'cpu'], /--texture trains a texture \(the texture preset\); --preset cpu grows a picture/],
      [['--preset', 'texture', '--emoji', '🦎'], /--preset texture trains a texture from an exemplar: give it with --texture/],
      [['--texture-loss', 'features', '--emoji', '🦎'], /--texture-loss chooses the loss of a texture run: give the exemplar with --texture/],
      [['--texture', targetPath, '--gradient', 'tfjs'], /a texture trains on the kernel or webgpu route .* --gradient tfjs does not run it/],
    ] as const) {
      const out = join(dir, 'texture-refused');
      const { code, err } = await nca('train', ...flags, '--backend', 'wasm', '--out', out);
      expect(code, err.join('\n')).toBe(2);
      expect(err.join('\n')).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
