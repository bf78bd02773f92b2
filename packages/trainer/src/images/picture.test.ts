import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng, tile, upscale, type Frame } from './picture.ts';

describe('encodePng', () => {
  it('writes a PNG that sharp (libvips) reads back to the same RGBA bytes', async () => {
    const width = 7;
    const height = 5;
    // Every byte different from its neighbours, alpha included, so a swapped channel or a row off by one shows.
    const rgba = Uint8Array.from({ length: width * height * 4 }, (_, i) => (i * 37 + (i >> 2)) % 256);
    const png = await encodePng({ width, height, rgba });
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    expect(info).toMatchObject({ width, height, channels: 4 });
    expect(new Uint8Array(data)).toEqual(rgba);
  });

  it('encodes a tiled, upscaled strip as sharp sees it', async () => {
    const frame: Frame = { width: 2, height: 2, rgba: Uint8Array.from([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 9, 9, 9, 255]) };
    const strip = tile([[upscale(frame, 3), upscale(frame, 3)]]);
    const { data, info } = await sharp(await encodePng(strip))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([strip.width, strip.height]);
    expect(new Uint8Array(data)).toEqual(strip.rgba);
  });
});
