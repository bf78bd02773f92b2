import { describe, expect, it } from 'vitest';
import { encodeGif } from './gif.ts';

const frame = (width: number, height: number, rgb: [number, number, number]) => ({
  width,
  height,
  rgba: Uint8Array.from({ length: width * height * 4 }, (_, i) => (i % 4 === 3 ? 255 : rgb[i % 4]!)),
});

// Latin-1, one char per byte: the package's lib has no TextDecoder, and GIF's markers are ASCII.
const ascii = (bytes: Uint8Array) => String.fromCharCode(...bytes);

describe('encodeGif', () => {
  it('writes a looping GIF89a of the frames, each with its delay in hundredths', () => {
    const gif = encodeGif([frame(5, 3, [255, 0, 0]), frame(5, 3, [0, 0, 255])], { frameMs: 40, lastFrameMs: 1500 });
    expect(ascii(gif.subarray(0, 6))).toBe('GIF89a');
    // Logical screen: width and height, little-endian.
    expect([gif[6]! | (gif[7]! << 8), gif[8]! | (gif[9]! << 8)]).toEqual([5, 3]);
    expect(ascii(gif).includes('NETSCAPE2.0')).toBe(true);
    // Graphic control extensions (0x21 0xF9 0x04 flags delayLo delayHi): 4 and 150 hundredths.
    const delays: number[] = [];
    for (let i = 0; i + 5 < gif.length; i++) {
      if (gif[i] === 0x21 && gif[i + 1] === 0xf9 && gif[i + 2] === 0x04) {
        delays.push(gif[i + 4]! | (gif[i + 5]! << 8));
      }
    }
    expect(delays).toEqual([4, 150]);
    expect(gif[gif.length - 1]).toBe(0x3b);
  });

  it('refuses no frames and frames of different sizes', () => {
    expect(() => encodeGif([], { frameMs: 40 })).toThrow(/at least one frame/);
    expect(() => encodeGif([frame(5, 3, [0, 0, 0]), frame(4, 3, [0, 0, 0])], { frameMs: 40 })).toThrow(/GIF frame 1 is 4x3 .* the first 5x3/);
  });
});
