import { PRESETS } from '@nca-studio/core/presets';
import { describe, expect, it } from 'vitest';
import type { BackendInfo } from '../backends/backend.ts';
import { NcaError } from '../errors.ts';
import { checkTrainFlags, choosePreset, chooseWorkers, gradientRoute, resumedPlan, settleTrainPlan, type Resume, type TrainFlags } from './plan.ts';
import { freshCheckpoint } from './trainLoop.ts';

const backend = (name: string, accelerated = false): BackendInfo => ({ name, detail: '', accelerated });
const wasm = backend('wasm');

function refusal(settle: () => unknown): NcaError {
  try {
    settle();
  } catch (error) {
    expect(error).toBeInstanceOf(NcaError);
    expect((error as NcaError).exitCode).toBe(2);
    return error as NcaError;
  }
  throw new Error('the flags were accepted');
}

describe('settleTrainPlan: a new run', () => {
  it('merges the preset and the flags, and names the preset auto chose', () => {
    const settled = settleTrainPlan({ emoji: '🦎', lr: 1e-3, steps: [40, 50], hidden: 64 }, wasm);
    expect(settled.kind).toBe('new');
    if (settled.kind !== 'new') {
      throw new Error('not a new run');
    }
    expect(settled.plan.preset).toBe('cpu');
    expect(settled.plan.training).toEqual({ ...PRESETS.cpu.training, lr: 1e-3, stepsMin: 40, stepsMax: 50 });
    expect(settled.plan.config).toMatchObject({ hidden: 64, gridWidth: 56, gridHeight: 56 });
    expect(settled.plan).toMatchObject({ seed: 1, checkpointEvery: 100, target: { kind: 'emoji', char: '🦎' }, targetName: 'emoji-1f98e' });
    expect(settled.execution).toMatchObject({ route: 'kernel', logEvery: 10 });
    expect(settled.notes.join()).toMatch(/^preset: cpu/);
  });

  it("checks the recipe in the flags' words before any file is read", () => {
    // The target does not exist: the refusal comes first, from the flags alone.
    expect(refusal(() => settleTrainPlan({ target: '/nonexistent/logo.png', pool: 2, batch: 8 }, wasm)).message).toBe('--pool 2 is smaller than --batch 8');
    expect(refusal(() => settleTrainPlan({ emoji: '🦎', damage: 4 }, wasm)).message).toMatch(/^--damage 4 must be below --batch 4/);
    expect(refusal(() => settleTrainPlan({}, wasm)).message).toMatch(/^no target/);
    expect(refusal(() => settleTrainPlan({ emoji: '🦎', target: 'a.png' }, wasm)).message).toMatch(
      /give one of --target, --emoji and --texture, not --target and --emoji/,
    );
  });
});

describe('settleTrainPlan and resumedPlan: a resumed run', () => {
  const checkpoint = (): ReturnType<typeof freshCheckpoint> => {
    const settled = settleTrainPlan({ emoji: '🦎', preset: 'quick', iterations: 20 }, wasm);
    if (settled.kind !== 'new') {
      throw new Error('not a new run');
    }
    return { ...freshCheckpoint(settled.plan, new Float32Array(32 * 32 * 4)), iteration: 8 };
  };
  const resume = (flags: TrainFlags): Resume => {
    const settled = settleTrainPlan({ resume: 'runs/x', ...flags }, wasm);
    if (settled.kind !== 'resume') {
      throw new Error('not a resume');
    }
    return settled;
  };

  it('refuses every flag that defines the run, by name, before the checkpoint is read', () => {
    const error = refusal(() => settleTrainPlan({ resume: 'runs/x', iterations: 8, lr: 0.5, batch: 2, steps: [10, 12] }, wasm));
    expect(error.message).toMatch(/^--resume continues a run as its checkpoint defines it: --batch, --steps cannot change it/);
    for (const flags of [
      { seed: 3 },
      { emoji: '🦎' },
      { hidden: 32 },
      { preset: 'cpu' as const },
      { out: 'elsewhere' },
      { force: true },
      { damageRadius: { min: 0.1, max: 0.2 } },
    ]) {
      expect(refusal(() => settleTrainPlan({ resume: 'runs/x', ...flags }, wasm)).message).toMatch(/cannot change it/);
    }
  });

  it('applies --iterations, the rate and its schedule, --checkpoint-every and --workers, and records what changed', () => {
    const start = checkpoint();
    const { plan, resumption, execution } = resumedPlan(
      start,
      resume({ iterations: 30, lr: 5e-4, lrDecayAt: 25, lrSchedule: 'linear', checkpointEvery: 7, workers: 1 }),
    );
    expect(plan.training).toEqual({ ...start.plan.training, iterations: 30, lr: 5e-4, lrDecayAt: 25, lrSchedule: 'linear' });
    expect(plan.checkpointEvery).toBe(7);
    expect(execution.workers).toBe(1);
    expect(resumption).toEqual({
      iteration: 8,
      changed: {
        iterations: { from: 20, to: 30 },
        lr: { from: 2e-3, to: 5e-4 },
        lrDecayAt: { from: 560, to: 25 },
        lrSchedule: { from: 'step', to: 'linear' },
        checkpointEvery: { from: 100, to: 7 },
      },
    });
    expect(resumedPlan(start, resume({})).resumption.changed).toEqual({});
  });

  it('keeps the route the run trained on unless asked otherwise, and records a change', () => {
    const start = { ...checkpoint(), route: 'tfjs' };
    expect(resumedPlan(start, resume({})).execution.route).toBe('tfjs');
    const switched = resumedPlan(start, resume({ gradient: 'kernel' }));
    expect(switched.execution.route).toBe('kernel');
    expect(switched.resumption.changed.route).toEqual({ from: 'tfjs', to: 'kernel' });
    // A checkpoint that does not say (version 1) trains on the backend's route.
    expect(resumedPlan({ ...start, route: null }, resume({})).execution.route).toBe('kernel');
  });

  it("refuses a setting the checkpoint reader would refuse, in the flag's words", () => {
    expect(refusal(() => resumedPlan(checkpoint(), resume({ iterations: 200_000_000 }))).message).toMatch(
      /^--iterations must be an integer from 1 to 100000000/,
    );
  });

  it('refuses a total below the iteration reached', () => {
    expect(refusal(() => resumedPlan(checkpoint(), resume({ iterations: 5 }))).message).toMatch(
      /^--iterations 5: the run in runs\/x is already at iteration 8/,
    );
  });
});

describe('checkTrainFlags: what needs no backend, before one is loaded', () => {
  it("refuses a resume's fixed flags, a missing target and a named preset's bad recipe; leaves auto to the backend", () => {
    expect(refusal(() => checkTrainFlags({ resume: 'runs/x', seed: 3, backend: 'tensorflow' })).message).toMatch(/--seed cannot change it/);
    expect(refusal(() => checkTrainFlags({ backend: 'tensorflow' })).message).toMatch(/^no target/);
    expect(refusal(() => checkTrainFlags({ emoji: '🦎', preset: 'quick', pool: 2, batch: 8 })).message).toBe('--pool 2 is smaller than --batch 8');
    expect(() => checkTrainFlags({ emoji: '🦎', damage: 5 })).not.toThrow();
  });
});

describe('the machine: preset, route and workers', () => {
  it('picks regenerating on a GPU or native TensorFlow, cpu on the wasm kernel and quick elsewhere, unless asked', () => {
    expect(choosePreset('auto', backend('webgpu', true), 'webgpu')).toBe('regenerating');
    expect(choosePreset('auto', backend('tensorflow', true), 'tfjs')).toBe('regenerating');
    expect(choosePreset('auto', backend('webgpu'), 'webgpu')).toBe('quick');
    expect(choosePreset('auto', wasm, 'kernel')).toBe('cpu');
    expect(choosePreset('auto', wasm, 'tfjs')).toBe('quick');
    expect(choosePreset('persistent', wasm, 'kernel')).toBe('persistent');
  });

  it("one route name per way of computing the gradient, the backend's by default", () => {
    expect(gradientRoute('wasm')).toBe('kernel');
    expect(gradientRoute('cpu')).toBe('kernel');
    expect(gradientRoute('webgpu')).toBe('webgpu');
    expect(gradientRoute('tensorflow')).toBe('tfjs');
    expect(gradientRoute('wasm', 'tfjs')).toBe('tfjs');
  });

  it('uses worker threads for the CPU routes only, never beyond the batch', () => {
    expect(chooseWorkers(4, 'wasm', 'kernel', 8)).toBe(4);
    expect(chooseWorkers(4, 'wasm', 'kernel', 2)).toBe(2);
    expect(chooseWorkers(4, 'webgpu', 'kernel', 8)).toBe(4);
    expect(chooseWorkers(4, 'webgpu', 'webgpu', 8)).toBe(1);
    expect(chooseWorkers(undefined, 'tensorflow', 'tfjs', 8)).toBe(1);
    expect(chooseWorkers(2, 'wasm', 'tfjs', 8)).toBe(2);
  });
});
