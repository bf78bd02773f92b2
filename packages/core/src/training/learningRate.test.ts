import { describe, expect, it } from 'vitest';
import { PRESETS } from '../presets.ts';
import { learningRate } from './learningRate.ts';

const training = { ...PRESETS.cpu.training, lr: 2e-3, lrDecayAt: 60, lrDecayFactor: 0.01, iterations: 101 };

describe('learningRate', () => {
  it('step: lr until lrDecayAt, lr x factor from it on', () => {
    const step = { ...training, lrSchedule: 'step' as const };
    expect(learningRate(step, 59)).toBe(2e-3);
    expect(learningRate(step, 60)).toBeCloseTo(2e-5, 12);
    expect(learningRate(step, 100)).toBeCloseTo(2e-5, 12);
  });

  it('linear: lr at lrDecayAt, falling in a straight line to lr x factor at the last iteration', () => {
    const linear = { ...training, lrSchedule: 'linear' as const };
    expect(learningRate(linear, 59)).toBe(2e-3);
    expect(learningRate(linear, 60)).toBe(2e-3);
    expect(learningRate(linear, 80)).toBeCloseTo((2e-3 + 2e-5) / 2, 12);
    expect(learningRate(linear, 100)).toBeCloseTo(2e-5, 12);
    // Past the last iteration (a resumed run's new total is its own line's end) it stays there.
    expect(learningRate(linear, 140)).toBeCloseTo(2e-5, 12);
  });

  it('never decays without lrDecayAt, and a decay at the last iteration is one step down', () => {
    expect(learningRate({ ...training, lrDecayAt: null, lrSchedule: 'linear' }, 100)).toBe(2e-3);
    expect(learningRate({ ...training, lrDecayAt: 100, lrSchedule: 'linear' }, 100)).toBeCloseTo(2e-5, 12);
  });
});
