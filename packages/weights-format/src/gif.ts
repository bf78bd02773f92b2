// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- gifenc ships no types: the reference carries ours into every package that compiles this file
/// <reference path="./gifenc.d.ts" />
// Animated GIFs of a run (the CLI's `nca render --gif`, the app's Record button): one encoder,
// gifenc's, in Node and in the page. Each frame gets its own 256-colour palette: a growing
// pattern's colours change from the first frame to the last.
import * as gifenc from 'gifenc';

/** Node loads gifenc's CommonJS build (everything on its default export), a bundler its ES build (named exports). */
const namespace = gifenc as unknown as { GIFEncoder?: unknown; default: typeof gifenc.default };
const lib = (typeof namespace.GIFEncoder === 'function' ? namespace : namespace.default) as typeof gifenc.default;

/** One opaque frame, RGBA bytes row by row. */
export interface GifFrame {
  width: number;
  height: number;
  rgba: Uint8Array | Uint8ClampedArray;
}

export interface GifTiming {
  /** Milliseconds each frame is shown (GIF counts hundredths of a second). */
  frameMs: number;
  /** The last frame's, held longer so a looping growth can be seen grown; default frameMs. */
  lastFrameMs?: number;
}

/** A looping GIF of equal-size frames. */
export function encodeGif(frames: readonly GifFrame[], timing: GifTiming): Uint8Array {
  const first = frames[0];
  if (first === undefined) {
    throw new RangeError('a GIF needs at least one frame');
  }
  const encoder = lib.GIFEncoder();
  frames.forEach((frame, i) => {
    if (frame.width !== first.width || frame.height !== first.height || frame.rgba.length !== frame.width * frame.height * 4) {
      throw new RangeError(`GIF frame ${i} is ${frame.width}x${frame.height} (${frame.rgba.length} bytes), the first ${first.width}x${first.height}`);
    }
    const palette = lib.quantize(frame.rgba, 256);
    const delay = i === frames.length - 1 ? (timing.lastFrameMs ?? timing.frameMs) : timing.frameMs;
    encoder.writeFrame(lib.applyPalette(frame.rgba, palette), frame.width, frame.height, { palette, delay, repeat: 0 });
  });
  encoder.finish();
  return encoder.bytes();
}
