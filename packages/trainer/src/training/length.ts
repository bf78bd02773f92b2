import { budgetUnsettled } from '@nca-studio/core/training';
import type { TrainingSettings } from '@nca-studio/weights-format';

/** How long a run trains, for the log: its iterations, or its budget and where that stands. */
export function describeLength(training: TrainingSettings): string {
  const { budget } = training;
  if (budget === null) {
    return `${training.iterations} iterations`;
  }
  const decay = `the rate falling from ${Math.round(budget.decayAt * 100)}% of them`;
  return budgetUnsettled(training)
    ? `${budget.minutes} minutes (${decay}; the last iteration projected when it starts to)`
    : `${budget.minutes} minutes (${decay}: from iteration ${training.lrDecayAt} to ${training.iterations})`;
}
