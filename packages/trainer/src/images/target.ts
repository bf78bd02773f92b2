import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { NcaError } from '../errors.ts';

/** Where a target image comes from. */
export type TargetSource = { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'emoji'; char: string };

export interface TargetOptions {
  /** Longest side after shrinking, in cells. */
  size: number;
  /** Empty cells on each side. */
  padding: number;
  /** Key out this flat background colour (CSS colour or hex) for images without transparency. */
  background?: string;
  /** Limits for URL targets. */
  download?: { timeoutMs: number; maxBytes: number };
}

/** The padded training target: RGB premultiplied by alpha, all in [0, 1]. */
export interface Target {
  name: string;
  width: number;
  height: number;
  /** [H, W, 4] premultiplied RGBA floats. */
  rgba: Float32Array;
  /** The same as bytes, for the weights file. */
  rgba8: Uint8Array;
  size: number;
  padding: number;
}

/** Refuse before decoding: a 20000x20000 PNG is 1.6 GB of pixels. */
export const MAX_INPUT_PIXELS = 8192 * 8192;
export const DEFAULT_DOWNLOAD = { timeoutMs: 20_000, maxBytes: 20 * 1024 * 1024 };

export async function loadTarget(source: TargetSource, options: TargetOptions): Promise<Target> {
  const { bytes, name } = await readSource(source, options);
  return decodeTarget(bytes, name, options, sourceLabel(source));
}

/** What the user gave, for messages: the path, the URL or the emoji. */
function sourceLabel(source: TargetSource): string {
  return source.kind === 'file' ? source.path : source.kind === 'url' ? source.url : source.char;
}

export function targetName(source: TargetSource): string {
  switch (source.kind) {
    case 'file':
      return basename(source.path, extname(source.path)) || 'target';
    case 'url':
      return basename(new URL(source.url).pathname, extname(new URL(source.url).pathname)) || 'target';
    case 'emoji':
      return `emoji-${emojiCodepoints(source.char)}`;
  }
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

/** Lower-case hex code points joined by '-', as the emoji image packages name their files. */
export function emojiCodepoints(char: string): string {
  return Array.from(char, (c) => c.codePointAt(0)!.toString(16)).join('-');
}

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
    const reason = error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${limits.timeoutMs / 1000} s` : String((error as Error).message ?? error);
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
    throw new NcaError('DOWNLOAD_FAILED', `could not download ${url}: ${error instanceof Error && error.name === 'TimeoutError' ? `no answer within ${limits.timeoutMs / 1000} s` : String(error)}`);
  }
  if (total === 0) {
    throw new NcaError('BAD_TARGET', `download of ${url} is empty`);
  }
  return Buffer.concat(chunks);
}

/** Decodes, keys out a background if asked, shrinks to fit, pads and premultiplies. */
export async function decodeTarget(bytes: Buffer, name: string, options: TargetOptions, label = name): Promise<Target> {
  let metadata: sharp.Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new NcaError('BAD_TARGET', `${name}: not an image sharp can read (PNG, JPEG, WebP or SVG expected)`);
  }
  const width = metadata.width ?? 0;
  const height = metadata.height ?? 0;
  if (width * height > MAX_INPUT_PIXELS) {
    throw new NcaError('TARGET_TOO_LARGE', `${name}: ${width}x${height} pixels is over the ${MAX_INPUT_PIXELS} pixel limit; shrink it first`);
  }
  let image: { data: Buffer; info: sharp.OutputInfo };
  try {
    image = await sharp(bytes, { limitInputPixels: MAX_INPUT_PIXELS, density: metadata.format === 'svg' ? 288 : undefined })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new NcaError('BAD_TARGET', `${name}: could not decode the image (${(error as Error).message})`);
  }
  let rgba = image.data;
  if (options.background !== undefined) {
    rgba = keyOut(rgba, parseColour(options.background));
  } else if (!hasTransparency(rgba)) {
    throw new NcaError(
      'TARGET_NO_ALPHA',
      `${name}: the image has no transparency, so there is no shape to grow; give an image with an alpha channel, or key out a flat background with --background white (or its colour, e.g. --background "#20a0ff")`,
    );
  }
  const scale = options.size / Math.max(image.info.width, image.info.height);
  const w = Math.max(1, Math.round(image.info.width * scale));
  const h = Math.max(1, Math.round(image.info.height * scale));
  const small = await sharp(rgba, { raw: { width: image.info.width, height: image.info.height, channels: 4 } })
    .resize(w, h, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
  const p = options.padding;
  const gw = w + 2 * p;
  const gh = h + 2 * p;
  const out = new Float32Array(gw * gh * 4);
  const out8 = new Uint8Array(gw * gh * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 4;
      const dst = ((y + p) * gw + x + p) * 4;
      const a = small[src + 3]! / 255;
      for (let c = 0; c < 3; c++) {
        out[dst + c] = (small[src + c]! / 255) * a;
      }
      out[dst + 3] = a;
      for (let c = 0; c < 4; c++) {
        out8[dst + c] = Math.round(out[dst + c]! * 255);
      }
    }
  }
  refuseInvisible(out8, gw, gh, label);
  return { name, width: gw, height: gh, rgba: out, rgba8: out8, size: options.size, padding: p };
}

/**
 * A target with nothing visible after resizing (an SVG whose only content is an external image,
 * which is never fetched; a fully transparent PNG) would train to "done" on an empty grid. So
 * would one whose visible part is under 2x2 cells: nothing for a CA to grow.
 */
function refuseInvisible(rgba8: Uint8Array, width: number, height: number, label: string): void {
  let [minX, minY, maxX, maxY] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (rgba8[(y * width + x) * 4 + 3]! > 0) {
        [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      }
    }
  }
  if (maxX < 0) {
    throw new NcaError('TARGET_EMPTY', `${label}: no pixel is visible (alpha > 0) after decoding and resizing, so there is no shape to grow; external images in an SVG are not fetched`);
  }
  if (maxX - minX + 1 < 2 || maxY - minY + 1 < 2) {
    throw new NcaError('TARGET_EMPTY', `${label}: the visible part is ${maxX - minX + 1}x${maxY - minY + 1} cells after resizing, under the 2x2 a shape needs; give a larger shape or a larger --target-size`);
  }
}

function hasTransparency(rgba: Buffer): boolean {
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i]! < 255) {
      return true;
    }
  }
  return false;
}

const NAMED: Record<string, [number, number, number]> = { white: [255, 255, 255], black: [0, 0, 0] };

export function parseColour(text: string): [number, number, number] {
  const named = NAMED[text.toLowerCase()];
  if (named) {
    return named;
  }
  const hex = /^#?([0-9a-f]{6})$/i.exec(text);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  throw new NcaError('BAD_FLAG', `--background: "${text}" is not a colour (use white, black or #rrggbb)`);
}

/** Pixels within a small distance of the background colour become transparent, with a soft edge. */
function keyOut(rgba: Buffer, bg: [number, number, number]): Buffer {
  const out = Buffer.from(rgba);
  for (let i = 0; i < out.length; i += 4) {
    const d = Math.max(Math.abs(out[i]! - bg[0]), Math.abs(out[i + 1]! - bg[1]), Math.abs(out[i + 2]! - bg[2]));
    // Fully transparent within 16 levels, fully opaque beyond 48, linear between.
    const keep = Math.min(1, Math.max(0, (d - 16) / 32));
    out[i + 3] = Math.round(out[i + 3]! * keep);
  }
  return out;
}

/** The target a command's --target / --emoji flags name; undefined when neither is given. */
export function targetFromFlags(flags: { target?: string; emoji?: string }): TargetSource | undefined {
  if (flags.target !== undefined && flags.emoji !== undefined) {
    throw new NcaError('BAD_FLAG', 'give either --target or --emoji, not both');
  }
  if (flags.emoji !== undefined) {
    return { kind: 'emoji', char: flags.emoji };
  }
  if (flags.target !== undefined) {
    return /^https?:\/\//i.test(flags.target) ? { kind: 'url', url: flags.target } : { kind: 'file', path: flags.target };
  }
  return undefined;
}
