import type { NcaConfig } from '@nca-studio/weights-format';

/**
 * A route asked to run options it does not implement. Refused before any work, never run as
 * another model: a texture model stepped without its Laplacian or clips is a different CA.
 */
export class UnsupportedOptionsError extends Error {
  override readonly name = 'UnsupportedOptionsError';
  readonly code = 'UNSUPPORTED_OPTIONS';
}

/** The texture model's options (docs/design.md §3.6) a config sets, as its file names them. */
export function textureOptions(config: Pick<NcaConfig, 'laplacian' | 'clip' | 'aliveMasking'>): string[] {
  return [
    ...(config.laplacian ? ['laplacian'] : []),
    ...(config.clip !== null ? [`clip ${config.clip}`] : []),
    ...(config.aliveMasking === 'none' ? ['alive_masking "none"'] : []),
  ];
}

/** Throws UnsupportedOptionsError naming the route and the options, where the config sets any. */
export function refuseTextureOptions(config: Pick<NcaConfig, 'laplacian' | 'clip' | 'aliveMasking'>, route: string): void {
  const options = textureOptions(config);
  if (options.length > 0) {
    throw new UnsupportedOptionsError(`${route} does not run the texture model's ${options.join(', ')} yet; core's step does (docs/design.md §3.6)`);
  }
}
