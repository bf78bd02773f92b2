/**
 * Every way a weights file can be rejected. A caller (the CLI, the viewer's error panel) can
 * switch on `code` to choose what to tell the user; the message already says what was wrong.
 */
export type WeightsFormatErrorCode =
  | 'NOT_SAFETENSORS'
  | 'TRUNCATED'
  | 'HEADER_TOO_LARGE'
  | 'BAD_HEADER_JSON'
  | 'BAD_TENSOR_ENTRY'
  | 'WRONG_FORMAT'
  | 'VERSION_TOO_NEW'
  | 'BAD_VERSION'
  | 'MISSING_TENSOR'
  | 'BAD_SHAPE'
  | 'NON_FINITE'
  | 'BAD_CONFIG'
  | 'BAD_METADATA'
  | 'BAD_PLAN'
  | 'BAD_ARCHIVE'
  | 'BAD_PICKLE'
  | 'BAD_STATE_DICT'
  | 'NOT_EXPORTABLE';

/**
 * The one error this package throws for bad input. A malformed file stays malformed, so callers
 * should report it rather than retry (unlike a failed fetch of the same file).
 */
export class WeightsFormatError extends Error {
  override name = 'WeightsFormatError';
  readonly code: WeightsFormatErrorCode;
  /** The file name or URL the caller passed as `source`, if any. */
  readonly source: string | undefined;

  constructor(code: WeightsFormatErrorCode, detail: string, source?: string) {
    super(source === undefined ? detail : `${source}: ${detail}`);
    this.code = code;
    this.source = source;
  }
}
