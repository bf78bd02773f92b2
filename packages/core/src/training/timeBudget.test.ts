import { MAX_ITERATIONS, type TrainingSettings } from '@nca-studio/weights-format';
import { describe, expect, it } from 'vitest';
import { PRESETS, settleRunLength } from '../presets.ts';
import { budgetedSettings, budgetUnsettled, rebudget, settleBudget } from './timeBudget.ts';

const base: TrainingSettings = { ...PRESETS.regenerating.training, lrSchedule: 'linear' };
const budget = { minutes: 10, decayAt: 0.7 };
const timed = budgetedSettings(base, budget);

describe('a time budget', () => {
  it('waits, at the full rate and no end, until 70% of the time has passed', () => {
    expect(timed).toMatchObject({ budget, lrDecayAt: null, iterations: MAX_ITERATIONS });
    expect(budgetUnsettled(timed)).toBe(true);
    expect(settleBudget(timed, 500, 419.9, 0.8)).toBeNull();
    expect(settleBudget(base, 500, 9999, 0.8)).toBeNull();
  });

  it('then starts the decay where it is and ends where the rest of the time runs out at the recent pace', () => {
    const settled = settleBudget(timed, 500, 420, 0.9)!;
    // 180 s left at 0.9 s an iteration: 200 more.
    expect(settled).toMatchObject({ budget, lrDecayAt: 500, iterations: 700 });
    expect(budgetUnsettled(settled)).toBe(false);
    // Settled once: later calls change nothing.
    expect(settleBudget(settled, 600, 500, 0.9)).toBeNull();
    // Past the end already (a slow last checkpoint): it ends here.
    expect(settleBudget(timed, 500, 700, 0.9)).toMatchObject({ lrDecayAt: 500, iterations: 500 });
  });

  it('takes a new length on resume: waits again before the new decay point, else keeps the decay begun and moves the end', () => {
    const settled = settleBudget(timed, 500, 420, 0.9)!;
    expect(rebudget(settled, 20, 600, 500, 1)).toMatchObject({ budget: { minutes: 20, decayAt: 0.7 }, lrDecayAt: null, iterations: MAX_ITERATIONS });
    expect(rebudget(settled, 12, 600, 540, 1)).toMatchObject({ budget: { minutes: 12, decayAt: 0.7 }, lrDecayAt: 500, iterations: 780 });
    // A run by count given a budget waits for it like a new one, even past the new decay time
    // when its own decay point is still ahead (else its rate would never fall).
    expect(rebudget({ ...base, budget: null }, 12, 600, 100, 1)).toMatchObject({ budget: { minutes: 12, decayAt: 0.7 }, lrDecayAt: null });
    expect(rebudget({ ...base, budget: null, lrDecayAt: 2000 }, 10, 500, 480, 1)).toMatchObject({ lrDecayAt: null, iterations: MAX_ITERATIONS });
  });
});

describe('settleRunLength: a run trains by time or by count, never both', () => {
  const say = (s: string): string => s;
  it('a count on a recipe by time takes the same fraction for its decay, unless given one', () => {
    expect(settleRunLength({ ...timed, iterations: 1000 }, { iterations: 1000 }, say)).toMatchObject({ budget: null, iterations: 1000, lrDecayAt: 700 });
    expect(settleRunLength({ ...timed, iterations: 1000, lrDecayAt: 900 }, { iterations: 1000, lrDecayAt: 900 }, say)).toMatchObject({ lrDecayAt: 900 });
  });
  it('a budget on a recipe that never decays falls by a tenth, unless a factor is given', () => {
    const notebook = PRESETS.notebook.training;
    expect(settleRunLength(notebook, { minutes: 5 }, say)).toMatchObject({ lrDecayFactor: 0.1, budget: { minutes: 5, decayAt: 0.7 } });
    expect(settleRunLength({ ...notebook, lrDecayFactor: 0.5 }, { minutes: 5, lrDecayFactor: 0.5 }, say)).toMatchObject({ lrDecayFactor: 0.5 });
  });

  it('refuses both, or a decay point with a budget', () => {
    expect(settleRunLength(timed, { iterations: 10, minutes: 1 }, say)).toBe('budget and iterations both set how long the run trains: give one');
    expect(settleRunLength(timed, { lrDecayAt: 10 }, say)).toMatch(/^lrDecayAt needs iterations/);
  });
});
