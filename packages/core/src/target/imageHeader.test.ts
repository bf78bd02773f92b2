import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { pictureHeader } from './imageHeader.ts';

describe('pictureHeader', () => {
  const picture = sharp({ create: { width: 37, height: 23, channels: 4, background: { r: 10, g: 200, b: 30, alpha: 0.5 } } });

  it('reads the size of PNG, JPEG, GIF and WebP (lossy, lossless, extended) as sharp does', async () => {
    const files: Array<[string, Buffer]> = [
      ['png', await picture.clone().png().toBuffer()],
      ['jpeg', await picture.clone().jpeg().toBuffer()],
      ['jpeg', await picture.clone().jpeg({ progressive: true }).toBuffer()],
      ['gif', await picture.clone().gif().toBuffer()],
      ['webp', await picture.clone().webp({ lossless: true }).toBuffer()],
      ['webp', await picture.clone().webp({ quality: 80 }).toBuffer()],
      [
        'webp',
        await picture
          .clone()
          .webp({ quality: 80 })
          .withMetadata({ exif: { IFD0: { Copyright: 'x' } } })
          .toBuffer(),
      ],
    ];
    for (const [format, bytes] of files) {
      expect(pictureHeader(new Uint8Array(bytes))).toEqual({ format, width: 37, height: 23 });
    }
  });

  it('reads a huge size from a few bytes, and knows nothing of other files', async () => {
    // A PNG's first 24 bytes, its IHDR saying 20000x20000: nothing after them is read.
    const png = new Uint8Array(await picture.clone().png().toBuffer()).slice(0, 24);
    new DataView(png.buffer).setUint32(16, 20000);
    new DataView(png.buffer).setUint32(20, 20000);
    expect(pictureHeader(png)).toEqual({ format: 'png', width: 20000, height: 20000 });
    expect(pictureHeader(new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(pictureHeader(new Uint8Array([0xff, 0xd8, 0xff]))).toBeNull();
    expect(pictureHeader(new Uint8Array(0))).toBeNull();
  });
});
