import { describe, expect, it } from 'vitest';
import { MAX_ITERATIONS } from '@nca-studio/weights-format';
import { progressLines } from './progress.ts';

const info = (iteration: number, seconds: number) => ({ iteration, total: 100, loss: 0.01, lr: 2e-3, steps: 40, seconds, timeLeft: null });

describe('progressLines', () => {
  it('reports the rate of the first iteration from the start of the run', () => {
    const lines: string[] = [];
    const progress = progressLines((l) => lines.push(l), 1, { iteration: 0, seconds: 0 });
    progress.update(info(1, 2));
    expect(lines[0]).toContain(' 0.50 it/s');
    expect(lines[0]).toContain('ETA 3m18s');
  });

  it("counts only this process's iterations after a resume", () => {
    const lines: string[] = [];
    const progress = progressLines((l) => lines.push(l), 10, { iteration: 50, seconds: 1000 });
    for (let i = 51; i <= 60; i++) {
      progress.update(info(i, 1000 + (i - 50) * 4));
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^iteration 60\/100 .* 0\.25 it\/s/);
  });

  it('shows the time left of a budget, and the last iteration once the budget settles it', () => {
    const lines: string[] = [];
    const progress = progressLines((l) => lines.push(l), 1, { iteration: 0, seconds: 0 });
    progress.update({ ...info(1, 2), total: MAX_ITERATIONS, timeLeft: 118 });
    progress.update({ ...info(2, 4), total: 40, timeLeft: 116 });
    expect(lines[0]).toMatch(/^iteration 1 {2}loss .* ETA 1m58s$/);
    expect(lines[1]).toMatch(/^iteration 2\/40 {2}loss .* ETA 1m56s$/);
  });

  it('rounds the time left once: 179.6 s is 3m00s, not 2m60s', () => {
    const lines: string[] = [];
    progressLines((l) => lines.push(l), 1, { iteration: 0, seconds: 0 }).update({ ...info(1, 2), timeLeft: 179.6 });
    expect(lines[0]).toMatch(/ETA 3m00s$/);
  });
});
