// Test images made on the fly with sharp (never shipped in the package's public API).
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A red disc with a blue centre on a transparent background, as PNG. */
export async function discPng(size = 32): Promise<Buffer> {
  const r = size / 2;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><circle cx="${r}" cy="${r}" r="${r * 0.85}" fill="#e0402a"/><circle cx="${r}" cy="${r}" r="${r * 0.35}" fill="#2a60e0"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The same picture on an opaque white background (no alpha channel). */
export async function opaquePng(size = 32): Promise<Buffer> {
  return sharp(await discPng(size))
    .flatten({ background: '#ffffff' })
    .removeAlpha()
    .png()
    .toBuffer();
}

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body) >>> 0, 8 + data.length);
  return out;
}

/**
 * A valid 1-bit greyscale PNG of width x height, all black: small on disk (it deflates to a
 * few tens of KB) but huge once decoded, to test the pixel limit.
 */
export function hugePng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = 1 + Math.ceil(width / 8);
  const raw = Buffer.alloc(row * height); // filter byte 0 + zero pixels per row
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
