import { MAX_ITERATIONS, type TimeBudget, type TrainingSettings } from '@nca-studio/weights-format';

export type { TimeBudget };

/** Where the rate starts to fall in a run by time, as a fraction of its budget (the cpu preset's 70%). */
export const DEFAULT_DECAY_AT = 0.7;

/**
 * A recipe trained by time (docs/design.md, "A time budget"): the rate stays at `lr` with no
 * decay point and the iteration count at its cap until the budget settles them.
 */
export function budgetedSettings(training: TrainingSettings, budget: TimeBudget): TrainingSettings {
  return { ...training, budget, lrDecayAt: null, iterations: MAX_ITERATIONS };
}

/** Whether a recipe still waits for its budget to fix the decay point and the last iteration. */
export function budgetUnsettled(training: TrainingSettings): boolean {
  return training.budget !== null && training.lrDecayAt === null;
}

/**
 * The recipe once the run's time reaches the budget's decay fraction: the decay begins at this
 * iteration, and the run ends after as many more as fit the rest of the budget at `pace`
 * seconds an iteration (at least none). Null while the time has not come (or there is no budget
 * or it is settled already). Only the two numbers change, so a run repeated with them as
 * `--iterations` and `--lr-decay-at` gives the same bits.
 */
export function settleBudget(training: TrainingSettings, iteration: number, seconds: number, pace: number): TrainingSettings | null {
  const { budget } = training;
  if (budget === null || !budgetUnsettled(training) || seconds < budget.decayAt * budget.minutes * 60) {
    return null;
  }
  const left = Math.max(0, budget.minutes * 60 - seconds);
  const more = pace > 0 ? Math.floor(left / pace) : 0;
  return { ...training, lrDecayAt: iteration, iterations: Math.min(MAX_ITERATIONS, iteration + more) };
}

/**
 * A run given a new length of `minutes` on resume: before its new decay point, or with no decay
 * begun yet, it waits again; past it with its decay begun, the decay keeps its start and the
 * last iteration moves to fit the new end at `pace` (the rate's line stretches or shrinks).
 */
export function rebudget(training: TrainingSettings, minutes: number, iteration: number, seconds: number, pace: number): TrainingSettings {
  const budget = { minutes, decayAt: training.budget?.decayAt ?? DEFAULT_DECAY_AT };
  // A decay not yet begun (none, or a count's decay point still ahead) waits for the new budget's.
  if (seconds < budget.decayAt * minutes * 60 || training.lrDecayAt === null || training.lrDecayAt > iteration) {
    return budgetedSettings(training, budget);
  }
  const more = pace > 0 ? Math.floor(Math.max(0, minutes * 60 - seconds) / pace) : 0;
  return { ...training, budget, iterations: Math.max(iteration, Math.min(MAX_ITERATIONS, iteration + more)) };
}
