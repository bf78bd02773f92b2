// The texture loss's spectrum term (docs/design.md §4.9): the modulus of the grey level's 2D
// Fourier transform, matched to the exemplar's. Patch distributions say what a small
// neighbourhood looks like, not how neighbourhoods line up across the picture: a chequerboard's
// squares and a maze of stripes of the same width give the same 3x3 patches. The modulus holds
// that arrangement (the chequer's four diagonal peaks against the stripes' two), and leaves the
// phase free, so the pattern may sit anywhere on the torus (Liu, Gousseau, Xia, "Texture
// synthesis through convolutional neural networks and spectrum constraints", 2016).
import type { RgbPicture } from './rgbPicture.ts';
import { rootOfUnity } from './rootOfUnity.ts';

/** The exemplar's expected modulus on a `width` x `height` torus, [height, width]. */
export interface SpectrumTarget {
  width: number;
  height: number;
  modulus: Float64Array;
}

/** cos and sin of 2 pi k n / size, [k][n]. */
interface Twiddles {
  cos: Float64Array;
  sin: Float64Array;
}

const twiddleCache = new Map<number, Twiddles>();

function twiddles(size: number): Twiddles {
  let t = twiddleCache.get(size);
  if (t === undefined) {
    t = { cos: new Float64Array(size * size), sin: new Float64Array(size * size) };
    for (let k = 0; k < size; k++) {
      for (let n = 0; n < size; n++) {
        const [c, s] = rootOfUnity(k * n, size);
        t.cos[k * size + n] = c;
        t.sin[k * size + n] = s;
      }
    }
    twiddleCache.set(size, t);
  }
  return t;
}

/**
 * In place: the 2D discrete Fourier transform of (re, im) [height, width], forward (e^-i) or its
 * adjoint (e^+i, not divided by the size). Rows, then columns, as plain sums: the grids are at
 * most a few hundred cells a side and this runs once per sample.
 */
export function fourier2d(re: Float64Array, im: Float64Array, width: number, height: number, adjoint: boolean): void {
  const sign = adjoint ? 1 : -1;
  const row = twiddles(width);
  const rowRe = new Float64Array(width);
  const rowIm = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    for (let k = 0; k < width; k++) {
      let sr = 0;
      let si = 0;
      for (let x = 0; x < width; x++) {
        const c = row.cos[k * width + x]!;
        const s = sign * row.sin[k * width + x]!;
        const a = re[o + x]!;
        const b = im[o + x]!;
        sr += a * c - b * s;
        si += a * s + b * c;
      }
      rowRe[k] = sr;
      rowIm[k] = si;
    }
    re.set(rowRe, o);
    im.set(rowIm, o);
  }
  const column = twiddles(height);
  const colRe = new Float64Array(height);
  const colIm = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    for (let k = 0; k < height; k++) {
      let sr = 0;
      let si = 0;
      for (let y = 0; y < height; y++) {
        const c = column.cos[k * height + y]!;
        const s = sign * column.sin[k * height + y]!;
        const a = re[y * width + x]!;
        const b = im[y * width + x]!;
        sr += a * c - b * s;
        si += a * s + b * c;
      }
      colRe[k] = sr;
      colIm[k] = si;
    }
    for (let y = 0; y < height; y++) {
      re[y * width + x] = colRe[y]!;
      im[y * width + x] = colIm[y]!;
    }
  }
}

/** The grey level (the mean of R, G and B) of cell i. */
function grey(picture: RgbPicture, i: number): number {
  return (picture.rgb[i * 3]! + picture.rgb[i * 3 + 1]! + picture.rgb[i * 3 + 2]!) / 3;
}

/**
 * The exemplar's modulus for a `width` x `height` torus. A torus holds only whole periods, so
 * each of its frequencies stands for the band of frequencies nearest to it: the exemplar's power
 * spectrum (the whole picture under a Hann window, so its cut edges do not add a cross of false
 * frequencies, scaled back to the unwindowed energy; the mean grey removed) is summed into the
 * torus's frequency bins, per cell, and the root of each bin's power, scaled to the torus's
 * size, is its modulus. A chequer of 18-pixel period on a 64-cell torus (3.6 periods) thus asks
 * for the power at 3 and 4 periods, which whole squares can give.
 */
export function spectrumTarget(exemplar: RgbPicture, width: number, height: number): SpectrumTarget {
  const [ew, eh] = [exemplar.width, exemplar.height];
  const hann = (n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * rootOfUnity(2 * i + 1, 2 * n)[0]);
  const [wx, wy] = [hann(ew), hann(eh)];
  const re = new Float64Array(ew * eh);
  const im = new Float64Array(ew * eh);
  let mean = 0;
  for (let i = 0; i < ew * eh; i++) {
    re[i] = grey(exemplar, i);
    mean += re[i]!;
  }
  mean /= ew * eh;
  let energy = 0;
  for (let y = 0; y < eh; y++) {
    for (let x = 0; x < ew; x++) {
      const w = wy[y]! * wx[x]!;
      re[y * ew + x] = (re[y * ew + x]! - mean) * w;
      energy += w * w;
    }
  }
  fourier2d(re, im, ew, eh, false);
  // Power per cell: sums over frequencies to the grey level's variance (Parseval), window undone.
  const perCell = 1 / (ew * eh * energy);
  const power = new Float64Array(width * height);
  const [binsX, binsY] = [binShares(ew, width), binShares(eh, height)];
  for (let ky = 0; ky < eh; ky++) {
    for (let kx = 0; kx < ew; kx++) {
      const at = ky * ew + kx;
      const p = (re[at]! * re[at]! + im[at]! * im[at]!) * perCell;
      for (const [by, wy] of binsY[ky]!) {
        for (const [bx, wx] of binsX[kx]!) {
          const to = by * width + bx;
          power[to] = power[to]! + p * wy * wx;
        }
      }
    }
  }
  // |X|^2 = (width x height)^2 x power for a picture of that size.
  return { width, height, modulus: power.map((p) => width * height * Math.sqrt(p)) };
}

/**
 * Where each of `n` frequencies of a picture falls on a torus of `size` cells: frequency k
 * (signed: k - n above n / 2) covers the band k +- 1/2 periods across n cells, that is
 * (k +- 1/2) x size / n periods across the torus, and each torus bin K covers K +- 1/2; each
 * frequency's power is shared among the bins by overlap. Shared this way a real picture's
 * spectrum stays symmetric (k and -k land alike), which rounding to the nearest bin would break.
 */
function binShares(n: number, size: number): [number, number][][] {
  return Array.from({ length: n }, (_, k) => {
    const signed = k <= n / 2 ? k : k - n;
    const [lo, hi] = [((signed - 0.5) * size) / n, ((signed + 0.5) * size) / n];
    const shares: [number, number][] = [];
    for (let b = Math.round(lo); b <= Math.round(hi); b++) {
      const overlap = Math.min(hi, b + 0.5) - Math.max(lo, b - 0.5);
      if (overlap > 0) {
        shares.push([((b % size) + size) % size, overlap / (hi - lo)]);
      }
    }
    return shares;
  });
}

/**
 * The spectrum term of one picture (a state's colours at the cells): the squared mismatch of
 * its grey level's modulus with the target's, over every frequency but the mean, divided by
 * (width x height)^2 so that it reads as a mean over cells (Parseval) whatever the grid.
 * Adds weight x d(term)/d(colour) / batch into `dPicture` and returns the term (unweighted).
 */
export function matchSpectrum(picture: RgbPicture, target: SpectrumTarget, dPicture: Float32Array, weight: number, batch: number): number {
  const { width, height } = target;
  const cells = width * height;
  const re = new Float64Array(cells);
  const im = new Float64Array(cells);
  for (let i = 0; i < cells; i++) {
    re[i] = grey(picture, i);
  }
  fourier2d(re, im, width, height, false);
  const scale = 1 / (cells * cells);
  let term = 0;
  // The mean (frequency 0) is the patches' to match; here it neither counts nor pulls.
  re[0] = 0;
  im[0] = 0;
  for (let i = 1; i < cells; i++) {
    // Products and sqrt are correctly rounded everywhere; Math.hypot and ** are not the same
    // code in every engine, and the page must reach the CLI's bits.
    const modulus = Math.sqrt(re[i]! * re[i]! + im[i]! * im[i]!);
    const e = modulus - target.modulus[i]!;
    term += e * e * scale;
    // d(e^2)/d(X) = 2 e X / |X| (no pull where the modulus is 0: any phase is as near).
    const f = modulus > 0 ? (2 * e * scale) / modulus : 0;
    re[i] = re[i]! * f;
    im[i] = im[i]! * f;
  }
  // The adjoint of the transform takes the frequencies' gradient back to the grey levels.
  fourier2d(re, im, width, height, true);
  const g = weight / (3 * batch);
  for (let i = 0; i < cells; i++) {
    const d = Math.fround(re[i]! * g);
    for (let c = 0; c < 3; c++) {
      dPicture[i * 3 + c] = dPicture[i * 3 + c]! + d;
    }
  }
  return term;
}
