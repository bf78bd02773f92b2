import type { TrainingSettings } from '@nca-studio/weights-format';

/**
 * The learning rate at an iteration: piecewise constant (docs/design.md §4: x0.1 at 2000 by default), or
 * from `lrDecayAt` a straight line down to lr x lrDecayFactor at the last iteration.
 */
export function learningRate(training: TrainingSettings, iteration: number): number {
  const { lr, lrDecayAt: at, lrDecayFactor: factor } = training;
  if (at === null || iteration < at) {
    return lr;
  }
  const span = training.iterations - 1 - at;
  if (training.lrSchedule === 'step' || span <= 0) {
    return lr * factor;
  }
  const done = Math.min(1, (iteration - at) / span);
  return lr * (1 - done * (1 - factor));
}
