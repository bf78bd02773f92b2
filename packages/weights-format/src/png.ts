// The one kind of PNG the Distill texture models pack their weights in: 8-bit RGBA (colour
// type 6), not interlaced. Every chunk's CRC is checked, so a damaged string is refused rather
// than read as other weights. Decoding any PNG is the browser's and sharp's job, not this one's.
import { unzlibSync } from 'fflate';

export interface RgbaImage {
  width: number;
  height: number;
  /** height * width * 4 bytes, rows top to bottom. */
  data: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Large enough for any weight sheet; small enough that a forged header allocates nothing huge. */
const MAX_PIXELS = 1 << 24;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) {
    c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** The Paeth predictor of the PNG specification, section 9.4. */
function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Decodes an 8-bit RGBA PNG; throws an Error whose message says what is wrong. */
export function decodeRgbaPng(bytes: Uint8Array): RgbaImage {
  if (bytes.length < 8 || SIGNATURE.some((byte, i) => bytes[i] !== byte)) {
    throw new Error('not a PNG file (bad signature)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  let offset = 8;
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) {
      throw new Error('PNG is truncated (no IEND chunk)');
    }
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (offset + 12 + length > bytes.length) {
      throw new Error(`PNG chunk ${type} is truncated`);
    }
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    if (crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== view.getUint32(offset + 8 + length)) {
      throw new Error(`PNG chunk ${type} fails its CRC check`);
    }
    if (type === 'IHDR') {
      const header = new DataView(body.buffer, body.byteOffset, body.byteLength);
      [width, height] = [header.getUint32(0), header.getUint32(4)];
      const [depth, colour, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || colour !== 6 || interlace !== 0) {
        throw new Error(`PNG is bit depth ${depth}, colour type ${colour}, interlace ${interlace}; expected 8-bit RGBA (6), not interlaced`);
      }
      if (width < 1 || height < 1 || width * height > MAX_PIXELS) {
        throw new Error(`PNG is ${width}x${height}; expected 1..${MAX_PIXELS} pixels`);
      }
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      ended = true;
    }
    offset += 12 + length;
  }
  if (width === 0 || idat.length === 0) {
    throw new Error('PNG has no IHDR or no IDAT chunk');
  }
  const compressed = new Uint8Array(idat.reduce((n, part) => n + part.length, 0));
  idat.reduce((at, part) => (compressed.set(part, at), at + part.length), 0);
  const stride = width * 4;
  let raw: Uint8Array;
  try {
    raw = unzlibSync(compressed, { out: new Uint8Array((stride + 1) * height) });
  } catch (error) {
    throw new Error(`PNG image data does not inflate (${error instanceof Error ? error.message : String(error)})`);
  }
  if (raw.length !== (stride + 1) * height) {
    throw new Error(`PNG image data is ${raw.length} bytes; expected ${(stride + 1) * height} for ${width}x${height} RGBA`);
  }
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const left = i >= 4 ? data[row + i - 4]! : 0;
      const up = y > 0 ? data[row - stride + i]! : 0;
      const upLeft = y > 0 && i >= 4 ? data[row - stride + i - 4]! : 0;
      const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
      if (predictor === undefined) {
        throw new Error(`PNG row ${y} has filter type ${filter}; expected 0..4`);
      }
      data[row + i] = (line[i]! + predictor) & 0xff;
    }
  }
  return { width, height, data };
}
