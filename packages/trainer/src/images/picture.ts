import { crc32, deflateSync } from 'node:zlib';
import type { Display } from '@nca-studio/weights-format';

/** One rendered frame: RGBA bytes, [H, W, 4]. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/**
 * docs/design.md §3 display colour: `rgb + (1 - clamp(alpha, 0, 1)) * bg`, from a [H, W, C] state
 * (the first sample of `data`); with §3.6's `rgb-signed` display, `clamp(rgb / 2 + 0.5, 0, 1)`.
 * Opaque output.
 */
export function stateToFrame(
  data: Float32Array,
  height: number,
  width: number,
  channels: number,
  background: [number, number, number] = [1, 1, 1],
  display: Display = 'rgba',
): Frame {
  const rgba = new Uint8Array(height * width * 4);
  if (display === 'rgb-signed') {
    for (let i = 0; i < height * width; i++) {
      for (let c = 0; c < 3; c++) {
        rgba[i * 4 + c] = Math.round(Math.min(1, Math.max(0, data[i * channels + c]! / 2 + 0.5)) * 255);
      }
      rgba[i * 4 + 3] = 255;
    }
    return { width, height, rgba };
  }
  for (let i = 0; i < height * width; i++) {
    const a = Math.min(1, Math.max(0, data[i * channels + 3]!));
    for (let c = 0; c < 3; c++) {
      const v = data[i * channels + c]! + (1 - a) * background[c]!;
      rgba[i * 4 + c] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Upscales a frame by an integer factor with nearest-neighbour (crisp cells). */
export function upscale(frame: Frame, factor: number): Frame {
  if (factor === 1) {
    return frame;
  }
  const width = frame.width * factor;
  const height = frame.height * factor;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < width; x++) {
      const src = (sy * frame.width + Math.floor(x / factor)) * 4;
      rgba.set(frame.rgba.subarray(src, src + 4), (y * width + x) * 4);
    }
  }
  return { width, height, rgba };
}

/** Frames laid out in a grid (rows of equal-size frames) with a gap, as one RGBA frame. */
export function tile(rows: Frame[][], gap = 4, background = 255): Frame {
  const fw = rows[0]![0]!.width;
  const fh = rows[0]![0]!.height;
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * fw + (cols + 1) * gap;
  const height = rows.length * fh + (rows.length + 1) * gap;
  const rgba = new Uint8Array(width * height * 4).fill(background);
  rows.forEach((row, r) => {
    row.forEach((frame, c) => {
      const ox = gap + c * (fw + gap);
      const oy = gap + r * (fh + gap);
      for (let y = 0; y < fh; y++) {
        rgba.set(frame.rgba.subarray(y * fw * 4, (y + 1) * fw * 4), ((oy + y) * width + ox) * 4);
      }
    });
  });
  return { width, height, rgba };
}

/**
 * An 8-bit RGBA PNG (no filter, zlib-deflated rows). Written with node:zlib rather than sharp, so
 * that what writes pictures (the growth strips of nca train and the GPU bench bundle) needs no
 * native image library; pictures are read with sharp.
 */
export async function encodePng(frame: Frame): Promise<Buffer> {
  const { width, height, rgba } = frame;
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) {
    // Filter type 0 (none) leads each row.
    raw.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * (1 + width * 4) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per channel, RGBA, deflate, no filter set, no interlace
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
