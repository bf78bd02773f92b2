// The budget's own entry point: importing it loads no tfjs.
import { BudgetError } from '@nca-studio/core/budget';
import type { RolloutKernelError, WebgpuRolloutError } from '@nca-studio/core';
import { WeightsFormatError } from '@nca-studio/weights-format';

/** Exit codes of the `nca` command (docs/design.md §6). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT: `nca train` stopped by Ctrl-C, its checkpoint written. */
export const EXIT_INTERRUPTED = 130;

export type NcaErrorCode =
  | 'BAD_FLAG'
  | 'BAD_TARGET'
  | 'TARGET_NOT_FOUND'
  | 'TARGET_TOO_LARGE'
  | 'TARGET_NO_ALPHA'
  | 'TARGET_EMPTY'
  | 'DOWNLOAD_FAILED'
  | 'UNKNOWN_EMOJI'
  | 'BAD_MODEL'
  | 'BAD_CHECKPOINT'
  | 'BACKEND_UNAVAILABLE'
  | 'NON_FINITE_LOSS'
  | 'BAD_DISTILL_FILE'
  | 'RUN_EXISTS'
  | 'RUN_BUSY'
  | 'DIVERGED'
  | 'NOT_GROWING'
  | 'WORKER_FAILED'
  | 'IO';

/**
 * Which failures are the user's to fix (2: bad usage or input) and which are the run's (1): one
 * table, so a new code has to say which it is.
 */
export const EXIT_CODES: Readonly<Record<NcaErrorCode, number>> = {
  BAD_FLAG: EXIT_USAGE,
  BAD_TARGET: EXIT_USAGE,
  TARGET_NOT_FOUND: EXIT_USAGE,
  TARGET_TOO_LARGE: EXIT_USAGE,
  TARGET_NO_ALPHA: EXIT_USAGE,
  TARGET_EMPTY: EXIT_USAGE,
  DOWNLOAD_FAILED: EXIT_USAGE,
  UNKNOWN_EMOJI: EXIT_USAGE,
  BAD_MODEL: EXIT_USAGE,
  BAD_CHECKPOINT: EXIT_USAGE,
  BAD_DISTILL_FILE: EXIT_USAGE,
  RUN_EXISTS: EXIT_USAGE,
  RUN_BUSY: EXIT_USAGE,
  BACKEND_UNAVAILABLE: EXIT_FAILURE,
  NON_FINITE_LOSS: EXIT_FAILURE,
  DIVERGED: EXIT_FAILURE,
  NOT_GROWING: EXIT_FAILURE,
  WORKER_FAILED: EXIT_FAILURE,
  IO: EXIT_FAILURE,
};

/** A failure the user can act on: printed as one line, never with a stack trace; its exit code comes from EXIT_CODES. */
export class NcaError extends Error {
  override readonly name = 'NcaError';
  readonly exitCode: number;
  constructor(
    readonly code: NcaErrorCode,
    message: string,
  ) {
    super(message);
    this.exitCode = EXIT_CODES[code];
  }
}

/**
 * The exit code of an error the user can act on, or null for a bug: ours by EXIT_CODES, a
 * weights file the format refuses and a budget refusal (the flags or the file ask too much)
 * as bad input.
 */
export function errorExitCode(error: unknown): number | null {
  if (error instanceof NcaError) {
    return error.exitCode;
  }
  if (error instanceof WeightsFormatError || error instanceof BudgetError || isNamed<RolloutKernelError>(error, 'RolloutKernelError')) {
    return EXIT_USAGE;
  }
  if (isNamed<WebgpuRolloutError>(error, 'WebgpuRolloutError')) {
    // A rollout the GPU cannot hold is asked too much; a shader the driver refuses, or a lost device, is the machine's.
    return error.code === 'WEBGPU_LIMIT' || error.code === 'WEBGPU_MEMORY' ? EXIT_USAGE : EXIT_FAILURE;
  }
  return null;
}

/** Core's rollout errors by name: importing their classes would load tfjs before any command needs it. */
function isNamed<T extends Error>(error: unknown, name: string): error is T {
  return error instanceof Error && error.name === name && 'code' in error;
}
