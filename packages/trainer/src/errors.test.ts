import { describe, expect, it } from 'vitest';
import { EXIT_CODES, NcaError } from './errors.ts';

describe('NcaError', () => {
  it("takes its exit code from the one table: 2 for the user's input, 1 for the run's failures", () => {
    expect(new NcaError('BAD_FLAG', 'x').exitCode).toBe(2);
    expect(new NcaError('RUN_BUSY', 'x').exitCode).toBe(2);
    for (const code of ['IO', 'WORKER_FAILED', 'BACKEND_UNAVAILABLE', 'NON_FINITE_LOSS', 'DIVERGED'] as const) {
      expect(new NcaError(code, 'x').exitCode, code).toBe(1);
    }
    expect(Object.values(EXIT_CODES).every((exit) => exit === 1 || exit === 2)).toBe(true);
  });
});
