import { resampleRgba } from './resample.ts';

/** Decoded pixels: straight (not premultiplied) RGBA bytes, [height, width, 4]. */
export interface Pixels {
  width: number;
  height: number;
  data: ArrayLike<number>;
}

export interface TargetOptions {
  /** Longest side after shrinking, in cells. */
  size: number;
  /** Empty cells on each side. */
  padding: number;
  /** Key out this flat background colour (white, black or #rrggbb) for images without transparency. */
  background?: string;
}

/** The padded training target: RGB premultiplied by alpha, all in [0, 1]. */
export interface Target {
  name: string;
  width: number;
  height: number;
  /** [H, W, 4] premultiplied RGBA floats: exactly `rgba8 / 255`, what the weights file stores. */
  rgba: Float32Array;
  /** The same as bytes, for the weights file. */
  rgba8: Uint8Array;
  size: number;
  padding: number;
}

export type TargetErrorCode = 'TARGET_TOO_LARGE' | 'TARGET_TOO_SMALL' | 'TARGET_NO_ALPHA' | 'TARGET_EMPTY' | 'BAD_COLOUR';

export class TargetError extends Error {
  override readonly name = 'TargetError';
  constructor(
    readonly code: TargetErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Refuse before decoding: a 20000x20000 PNG is 1.6 GB of pixels. */
export const MAX_INPUT_PIXELS = 8192 * 8192;

/** Refuses a picture by its header's size, before anything decodes it whole. */
export function checkPictureSize(width: number, height: number, name: string): void {
  if (width * height > MAX_INPUT_PIXELS) {
    throw new TargetError('TARGET_TOO_LARGE', `${name}: ${width}x${height} pixels is over the ${MAX_INPUT_PIXELS} pixel limit; shrink it first`);
  }
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
  throw new TargetError('BAD_COLOUR', `background: "${text}" is not a colour (use white, black or #rrggbb)`);
}

export function hasTransparency(data: ArrayLike<number>): boolean {
  for (let i = 3; i < data.length; i += 4) {
    if (data[i]! < 255) {
      return true;
    }
  }
  return false;
}

/** Pixels within a small distance of the background colour become transparent, with a soft edge. */
export function keyOut(data: ArrayLike<number>, bg: [number, number, number]): Uint8Array {
  const out = Uint8Array.from(data);
  for (let i = 0; i < out.length; i += 4) {
    const d = Math.max(Math.abs(out[i]! - bg[0]), Math.abs(out[i + 1]! - bg[1]), Math.abs(out[i + 2]! - bg[2]));
    // Fully transparent within 16 levels, fully opaque beyond 48, linear between.
    const keep = Math.min(1, Math.max(0, (d - 16) / 32));
    out[i + 3] = Math.round(out[i + 3]! * keep);
  }
  return out;
}

/** The grid a picture becomes: its longest side shrunk (or grown) to `size`, plus padding. */
export function targetShape(width: number, height: number, size: number): { width: number; height: number } {
  const scale = size / Math.max(width, height);
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * docs/design.md §4's target from decoded pixels: keys out a background if asked (a picture with no
 * transparency is refused otherwise: there would be no shape to grow), shrinks to fit,
 * premultiplies, pads. `label` names the picture in messages.
 */
export function prepareTarget(pixels: Pixels, name: string, options: TargetOptions, label = name): Target {
  checkPictureSize(pixels.width, pixels.height, label);
  let data = pixels.data;
  if (options.background !== undefined) {
    data = keyOut(data, parseColour(options.background));
  } else if (!hasTransparency(data)) {
    throw new TargetError(
      'TARGET_NO_ALPHA',
      `${label}: the image has no transparency, so there is no shape to grow; give an image with an alpha channel, or key out a flat background`,
    );
  }
  const { width: w, height: h } = targetShape(pixels.width, pixels.height, options.size);
  const small = resampleRgba(data, pixels.width, pixels.height, w, h);
  const p = options.padding;
  const gw = w + 2 * p;
  const gh = h + 2 * p;
  const rgba8 = new Uint8Array(gw * gh * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (y * w + x) * 4;
      const dst = ((y + p) * gw + x + p) * 4;
      for (let c = 0; c < 4; c++) {
        rgba8[dst + c] = Math.round(small[src + c]! * 255);
      }
    }
  }
  refuseInvisible(rgba8, gw, gh, label);
  const rgba = Float32Array.from(rgba8, (v) => v / 255);
  return { name, width: gw, height: gh, rgba, rgba8, size: options.size, padding: p };
}

/**
 * A target with nothing visible after resizing (an SVG whose only content is an external image,
 * which is never fetched; a fully transparent PNG) would train to "done" on an empty grid. So
 * would one whose solid part (alpha of a living cell, 0.1, or more) is under 2x2 cells: nothing
 * for a CA to grow. The filter's faint fringe around a speck does not count.
 */
function refuseInvisible(rgba8: Uint8Array, width: number, height: number, label: string): void {
  const solid = Math.ceil(0.1 * 255);
  let visible = false;
  let [minX, minY, maxX, maxY] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const a = rgba8[(y * width + x) * 4 + 3]!;
      visible ||= a > 0;
      if (a >= solid) {
        [minX, minY, maxX, maxY] = [Math.min(minX, x), Math.min(minY, y), Math.max(maxX, x), Math.max(maxY, y)];
      }
    }
  }
  if (!visible) {
    throw new TargetError(
      'TARGET_EMPTY',
      `${label}: no pixel is visible (alpha > 0) after decoding and resizing, so there is no shape to grow; external images in an SVG are not fetched`,
    );
  }
  const [w, h] = maxX < 0 ? [0, 0] : [maxX - minX + 1, maxY - minY + 1];
  if (w < 2 || h < 2) {
    throw new TargetError(
      'TARGET_EMPTY',
      `${label}: the solid part (alpha 0.1 or more) is ${w}x${h} cells after resizing, under the 2x2 a shape needs; give a larger shape or a larger target size`,
    );
  }
}
