/** Exit codes of the `nca` command (SPEC §6). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

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
  | 'RESOURCE_LIMIT'
  | 'DIVERGED'
  | 'IO';

/**
 * A failure the user can act on: printed as one line, never with a stack trace. `exitCode` 2 is
 * bad usage or bad input, 1 a runtime failure.
 */
export class NcaError extends Error {
  override readonly name = 'NcaError';
  constructor(
    readonly code: NcaErrorCode,
    message: string,
    readonly exitCode: number = EXIT_USAGE,
  ) {
    super(message);
  }
}
