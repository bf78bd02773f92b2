// A texture's exemplar (docs/design.md §4.9) from decoded pixels, one home for the CLI (pixels
// from sharp) and the Train view (pixels from the browser's decoder), so both train on the same
// bytes.
import { checkPictureSize, TargetError, type Pixels } from './prepareTarget.ts';
import { resampleRgba } from './resample.ts';

/** A texture's exemplar: opaque RGBA bytes [height, width, 4], alpha 255. */
export interface Exemplar {
  name: string;
  width: number;
  height: number;
  rgba8: Uint8Array;
}

/** Two 3x3 patches a side: the least the texture loss compares. */
export const MIN_EXEMPLAR_SIDE = 6;

/**
 * Flattens transparency onto white (a texture is opaque), then shrinks so the longer side is at
 * most `size` (Lanczos 3, core's resampleRgba; never enlarged: an enlarged photo has no finer
 * texture to teach). Refuses a picture under 6x6 after shrinking. `label` names it in messages.
 */
export function prepareExemplar(pixels: Pixels, name: string, size: number, label = name): Exemplar {
  checkPictureSize(pixels.width, pixels.height, label);
  const scale = Math.min(1, size / Math.max(pixels.width, pixels.height));
  const width = Math.max(1, Math.round(pixels.width * scale));
  const height = Math.max(1, Math.round(pixels.height * scale));
  if (width < MIN_EXEMPLAR_SIDE || height < MIN_EXEMPLAR_SIDE) {
    throw new TargetError(
      'TARGET_TOO_SMALL',
      `${label}: ${width}x${height} pixels is too small for a texture exemplar (at least ${MIN_EXEMPLAR_SIDE}x${MIN_EXEMPLAR_SIDE})`,
    );
  }
  const cells = pixels.width * pixels.height;
  const flat = new Uint8Array(cells * 4);
  for (let i = 0; i < cells; i++) {
    const a = pixels.data[i * 4 + 3]! / 255;
    for (let c = 0; c < 3; c++) {
      flat[i * 4 + c] = Math.round(pixels.data[i * 4 + c]! * a + 255 * (1 - a));
    }
    flat[i * 4 + 3] = 255;
  }
  const rgba8 = new Uint8Array(width * height * 4);
  if (width === pixels.width && height === pixels.height) {
    rgba8.set(flat);
  } else {
    const small = resampleRgba(flat, pixels.width, pixels.height, width, height);
    for (let i = 0; i < width * height; i++) {
      for (let c = 0; c < 3; c++) {
        rgba8[i * 4 + c] = Math.round(small[i * 4 + c]! * 255);
      }
      rgba8[i * 4 + 3] = 255;
    }
  }
  return { name, width, height, rgba8 };
}
