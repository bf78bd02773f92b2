import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  checkPictureSize,
  emojiCodepoints,
  MAX_INPUT_PIXELS,
  prepareExemplar,
  prepareTarget,
  TargetError,
  type Exemplar,
  type Target,
  type TargetOptions as PictureOptions,
} from '@nca-studio/core/target';
import sharp from 'sharp';
import { NcaError } from '../errors.ts';
import { targetName, type TargetSource } from './targetSource.ts';

export { targetFromFlags, targetName, type TargetSource } from './targetSource.ts';

export type { Target };
export { MAX_INPUT_PIXELS };

export interface TargetOptions extends PictureOptions {
  /** Limits for URL targets. */
  download?: { timeoutMs: number; maxBytes: number };
}

const DEFAULT_DOWNLOAD = { timeoutMs: 20_000, maxBytes: 20 * 1024 * 1024 };

export async function loadTarget(source: TargetSource, options: TargetOptions): Promise<Target> {
  const { bytes, name } = await readSource(source, options);
  return decodeTarget(bytes, name, options, sourceLabel(source));
}

/** What the user gave, for messages: the path, the URL or the emoji. */
function sourceLabel(source: TargetSource): string {
  return source.kind === 'file' ? source.path : source.kind === 'url' ? source.url : source.char;
}

async function readSource(source: TargetSource, options: TargetOptions): Promise<{ bytes: Buffer; name: string }> {
  const name = targetName(source);
  if (source.kind === 'file') {
    let info;
    try {
      info = await stat(source.path);
    } catch {
      throw new NcaError('TARGET_NOT_FOUND', `target image not found: ${source.path}`);
    }
    if (!info.isFile()) {
      throw new NcaError('BAD_TARGET', `target is not a file: ${source.path}`);
    }
    if (info.size === 0) {
      throw new NcaError('BAD_TARGET', `target image is empty (0 bytes): ${source.path}`);
    }
    return { bytes: await readFile(source.path), name };
  }
  if (source.kind === 'emoji') {
    return { bytes: await readFile(emojiPath(source.char)), name };
  }
  return { bytes: await download(source.url, options.download ?? DEFAULT_DOWNLOAD), name };
}

export { emojiCodepoints };

const require = createRequire(import.meta.url);

/** The 64 px Noto emoji PNG from emoji-datasource-google (Apache 2.0), never the network. */
export function emojiPath(char: string): string {
  const folder = join(require.resolve('emoji-datasource-google/package.json'), '..', 'img', 'google', '64');
  const full = emojiCodepoints(char.trim());
  // Files omit the variation selector U+FE0F except where it is part of the sequence.
  const candidates = [full, full.replace(/-fe0f/g, '')];
  for (const code of candidates) {
    const path = join(folder, `${code}.png`);
    if (code !== '' && existsSync(path)) {
      return path;
    }
  }
  throw new NcaError('UNKNOWN_EMOJI', `no emoji image for "${char}" (code points ${full || 'none'}); pass a single emoji such as 🦎`);
}

async function download(url: string, limits: { timeoutMs: number; maxBytes: number }): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(limits.timeoutMs), redirect: 'follow' });
  } catch (error) {
    const reason =
      error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${limits.timeoutMs / 1000} s` : String((error as Error).message ?? error);
    throw new NcaError('DOWNLOAD_FAILED', `could not download ${url}: ${reason}`);
  }
  if (!response.ok || response.body === null) {
    throw new NcaError('DOWNLOAD_FAILED', `could not download ${url}: HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > limits.maxBytes) {
    throw new NcaError('TARGET_TOO_LARGE', `download of ${url} refused: ${declared} bytes is over the ${limits.maxBytes} byte limit`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > limits.maxBytes) {
        throw new NcaError('TARGET_TOO_LARGE', `download of ${url} stopped: over the ${limits.maxBytes} byte limit`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof NcaError) {
      throw error;
    }
    throw new NcaError(
      'DOWNLOAD_FAILED',
      `could not download ${url}: ${error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${limits.timeoutMs / 1000} s` : String(error)}`,
    );
  }
  if (total === 0) {
    throw new NcaError('BAD_TARGET', `download of ${url} is empty`);
  }
  return Buffer.concat(chunks);
}

/**
 * Decodes a picture with sharp, refusing what is not one or is too large (checkPictureSize),
 * after `shape` (the caller's resize and flattening); RGBA out.
 */
async function decodePicture(
  bytes: Buffer,
  name: string,
  shape: (image: sharp.Sharp) => sharp.Sharp = (image) => image,
): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new NcaError('BAD_TARGET', `${name}: not an image sharp can read (PNG, JPEG, WebP or SVG expected)`);
  }
  checkPictureSize(metadata.width ?? 0, metadata.height ?? 0, name);
  try {
    return await shape(sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, density: metadata.format === 'svg' ? SVG_DENSITY : undefined }))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new NcaError('BAD_TARGET', `${name}: could not decode the image (${(error as Error).message})`);
  }
}

/** Decodes with sharp; core's prepareTarget keys, shrinks, pads and premultiplies (as the page does). */
export async function decodeTarget(bytes: Buffer, name: string, options: TargetOptions, label = name): Promise<Target> {
  try {
    const image = await decodePicture(bytes, name);
    return prepareTarget({ width: image.info.width, height: image.info.height, data: image.data }, name, options, label);
  } catch (error) {
    throw error instanceof TargetError ? cliTargetError(error) : error;
  }
}

/**
 * Reads a texture's exemplar: decoded by sharp at its own size (an SVG at 4x, as for targets),
 * then core's prepareExemplar flattens it onto white and shrinks its longer side to at most
 * `size`, as the Train view does with the browser's pixels.
 */
export async function loadExemplar(source: TargetSource, size: number, download?: TargetOptions['download']): Promise<Exemplar> {
  const { bytes, name } = await readSource(source, download === undefined ? { size, padding: 0 } : { size, padding: 0, download });
  try {
    const image = await decodePicture(bytes, name);
    return prepareExemplar({ width: image.info.width, height: image.info.height, data: image.data }, name, size);
  } catch (error) {
    throw error instanceof TargetError ? cliTargetError(error) : error;
  }
}

/** SVGs are drawn at 4x their CSS size before shrinking (the page draws them the same way). */
const SVG_DENSITY = 4 * 72;

/** Core's refusal in the CLI's words: the same code, the flag that fixes it. */
function cliTargetError(error: TargetError): NcaError {
  switch (error.code) {
    case 'TARGET_NO_ALPHA':
      return new NcaError('TARGET_NO_ALPHA', `${error.message} with --background white (or its colour, e.g. --background "#20a0ff")`);
    case 'BAD_COLOUR':
      return new NcaError('BAD_FLAG', `--${error.message}`);
    case 'TARGET_EMPTY':
      return new NcaError('TARGET_EMPTY', error.message.replace('a larger target size', 'a larger --target-size'));
    case 'TARGET_TOO_LARGE':
      return new NcaError('TARGET_TOO_LARGE', error.message);
    case 'TARGET_TOO_SMALL':
      return new NcaError('BAD_TARGET', error.message);
  }
}
