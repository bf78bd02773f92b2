/**
 * Lanczos-3 resampling of straight-alpha RGBA bytes into premultiplied floats, one home for the
 * CLI (pixels from sharp) and the page (pixels from the browser's decoder), so both shrink a
 * picture to the same target. Premultiplied before filtering: transparent pixels carry no
 * colour into their neighbours (no dark fringe). Separable, horizontal pass first, so the
 * only full-size buffer is the input.
 */

function lanczos3(x: number): number {
  if (x === 0) {
    return 1;
  }
  if (x <= -3 || x >= 3) {
    return 0;
  }
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
}

interface Taps {
  first: Int32Array;
  count: number;
  weights: Float32Array;
}

/** Each output sample's source range and normalised weights; the kernel widens when shrinking (anti-aliasing). */
function taps(inSize: number, outSize: number): Taps {
  const scale = outSize / inSize;
  const stretch = Math.max(1, 1 / scale);
  const support = 3 * stretch;
  const count = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const weights = new Float32Array(outSize * count);
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) / scale - 0.5;
    const start = Math.floor(centre - support) + 1;
    first[o] = start;
    let sum = 0;
    for (let k = 0; k < count; k++) {
      const w = lanczos3((start + k - centre) / stretch);
      weights[o * count + k] = w;
      sum += w;
    }
    for (let k = 0; k < count; k++) {
      weights[o * count + k]! /= sum;
    }
  }
  return { first, count, weights };
}

const clampIndex = (i: number, size: number): number => (i < 0 ? 0 : i >= size ? size - 1 : i);

/**
 * `rgba` (straight alpha, [h, w, 4] bytes) resized to outW x outH, premultiplied, in [0, 1] with
 * colour never above alpha.
 */
export function resampleRgba(rgba: ArrayLike<number>, width: number, height: number, outW: number, outH: number): Float32Array {
  const across = taps(width, outW);
  const down = taps(height, outH);
  const rows = new Float32Array(height * outW * 4);
  const pixel = new Float32Array(width * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const a = rgba[i + 3]! / 255;
      pixel[x * 4] = (rgba[i]! / 255) * a;
      pixel[x * 4 + 1] = (rgba[i + 1]! / 255) * a;
      pixel[x * 4 + 2] = (rgba[i + 2]! / 255) * a;
      pixel[x * 4 + 3] = a;
    }
    for (let o = 0; o < outW; o++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < across.count; k++) {
        const w = across.weights[o * across.count + k]!;
        const s = clampIndex(across.first[o]! + k, width) * 4;
        r += w * pixel[s]!;
        g += w * pixel[s + 1]!;
        b += w * pixel[s + 2]!;
        a += w * pixel[s + 3]!;
      }
      const d = (y * outW + o) * 4;
      rows[d] = r;
      rows[d + 1] = g;
      rows[d + 2] = b;
      rows[d + 3] = a;
    }
  }
  const out = new Float32Array(outH * outW * 4);
  for (let o = 0; o < outH; o++) {
    for (let x = 0; x < outW; x++) {
      const d = (o * outW + x) * 4;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let k = 0; k < down.count; k++) {
        const w = down.weights[o * down.count + k]!;
        const s = (clampIndex(down.first[o]! + k, height) * outW + x) * 4;
        r += w * rows[s]!;
        g += w * rows[s + 1]!;
        b += w * rows[s + 2]!;
        a += w * rows[s + 3]!;
      }
      // Lanczos' negative lobes overshoot at hard edges.
      const alpha = Math.min(1, Math.max(0, a));
      out[d] = Math.min(alpha, Math.max(0, r));
      out[d + 1] = Math.min(alpha, Math.max(0, g));
      out[d + 2] = Math.min(alpha, Math.max(0, b));
      out[d + 3] = alpha;
    }
  }
  return out;
}
