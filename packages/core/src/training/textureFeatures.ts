// Features of a fixed random two-layer network, for the texture loss's second term (docs/design.md
// §4.9): two 3x3 convolutions with ReLU (3 -> 16 -> 24 channels) on a picture's colours, so each
// feature sees 5x5 pixels of its pyramid level and responds to conjunctions (a corner, a blob's
// rim) that no linear projection of a 3x3 patch does. The weights come from a fixed seed, not from
// training: nothing is downloaded, and the net is the same in every run and on every route.
import { createRng } from '../rng.ts';
import type { RgbPicture } from './rgbPicture.ts';

export interface FeatureNet {
  /** Channels of the first and second layer. */
  first: number;
  second: number;
  /** [first][3][3][3]: filter f's tap (dy, dx) on colour c. */
  w1: Float32Array;
  /** [second][3][3][first]. */
  w2: Float32Array;
}

/** Zero-mean Gaussian filters scaled by sqrt(2 / fan-in) (He), from `seed`: the net is a constant. */
export function randomFeatureNet(seed = 2021, first = 16, second = 24): FeatureNet {
  const rng = createRng(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-12))) * Math.cos(2 * Math.PI * rng.next());
  const layer = (count: number, fanIn: number): Float32Array => {
    const w = new Float32Array(count * fanIn);
    for (let f = 0; f < count; f++) {
      const row = w.subarray(f * fanIn, (f + 1) * fanIn);
      let mean = 0;
      for (let i = 0; i < fanIn; i++) {
        row[i] = gaussian();
        mean += row[i]! / fanIn;
      }
      const scale = Math.sqrt(2 / fanIn);
      for (let i = 0; i < fanIn; i++) {
        row[i] = (row[i]! - mean) * scale;
      }
    }
    return w;
  };
  return { first, second, w1: layer(first, 27), w2: layer(second, 9 * first) };
}

/** A picture's features: both layers' activations, [H][W][channels]. */
export interface Features {
  width: number;
  height: number;
  h1: Float32Array;
  h2: Float32Array;
}

/**
 * The 3x3 neighbourhood of (x, y), [dy][dx], as cell indices: on a torus (`wrap`, a state), or
 * clamped to the edge (an exemplar, whose border features are then not used).
 */
function neighbourhood(x: number, y: number, width: number, height: number, wrap: boolean, out: Int32Array): void {
  let k = 0;
  for (let dy = -1; dy <= 1; dy++) {
    let yy = y + dy;
    yy = wrap ? (yy + height) % height : Math.min(height - 1, Math.max(0, yy));
    for (let dx = -1; dx <= 1; dx++) {
      let xx = x + dx;
      xx = wrap ? (xx + width) % width : Math.min(width - 1, Math.max(0, xx));
      out[k++] = yy * width + xx;
    }
  }
}

/** One 3x3 convolution with ReLU: `input` [cells][inC] to [cells][outC]. */
function convolve(input: Float32Array, inC: number, w: Float32Array, outC: number, width: number, height: number, wrap: boolean, centre = 0): Float32Array {
  const out = new Float32Array(width * height * outC);
  const gathered = new Float32Array(9 * inC);
  const nb = new Int32Array(9);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      neighbourhood(x, y, width, height, wrap, nb);
      for (let k = 0; k < 9; k++) {
        const from = nb[k]! * inC;
        for (let c = 0; c < inC; c++) {
          gathered[k * inC + c] = input[from + c]! - centre;
        }
      }
      const at = (y * width + x) * outC;
      for (let f = 0; f < outC; f++) {
        let sum = 0;
        for (let i = 0, o = f * 9 * inC; i < 9 * inC; i++, o++) {
          sum += gathered[i]! * w[o]!;
        }
        out[at + f] = sum > 0 ? sum : 0;
      }
    }
  }
  return out;
}

/** The features of a picture (colours centred on 0.5). */
export function features(net: FeatureNet, picture: RgbPicture, wrap: boolean): Features {
  const { width, height } = picture;
  const h1 = convolve(picture.rgb, 3, net.w1, net.first, width, height, wrap, 0.5);
  const h2 = convolve(h1, net.first, net.w2, net.second, width, height, wrap);
  return { width, height, h1, h2 };
}

/** The adjoint of one convolution with ReLU: d(output) (after the ReLU) to d(input), on the torus. */
function convolveBack(dOut: Float32Array, out: Float32Array, outC: number, w: Float32Array, inC: number, width: number, height: number): Float32Array {
  const dIn = new Float32Array(width * height * inC);
  const gathered = new Float32Array(9 * inC);
  const nb = new Int32Array(9);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * outC;
      gathered.fill(0);
      let any = false;
      for (let f = 0; f < outC; f++) {
        // The ReLU passes a gradient where its output is positive.
        const g = out[at + f]! > 0 ? dOut[at + f]! : 0;
        if (g === 0) {
          continue;
        }
        any = true;
        for (let i = 0, o = f * 9 * inC; i < 9 * inC; i++, o++) {
          gathered[i] = gathered[i]! + g * w[o]!;
        }
      }
      if (!any) {
        continue;
      }
      neighbourhood(x, y, width, height, true, nb);
      for (let k = 0; k < 9; k++) {
        const to = nb[k]! * inC;
        for (let c = 0; c < inC; c++) {
          dIn[to + c] = dIn[to + c]! + gathered[k * inC + c]!;
        }
      }
    }
  }
  return dIn;
}

/** d(loss)/d(colours) [H][W][3] from d(loss)/d(h2), through both layers on the torus. */
export function featuresBackward(net: FeatureNet, f: Features, dH2: Float32Array): Float32Array {
  const dH1 = convolveBack(dH2, f.h2, net.second, net.w2, net.first, f.width, f.height);
  return convolveBack(dH1, f.h1, net.first, net.w1, 3, f.width, f.height);
}

/** An exemplar level's second-layer features away from its clamped border: the points it is matched by. */
export function interiorFeatures(net: FeatureNet, picture: RgbPicture): { points: Float32Array; count: number } {
  const { width, height } = picture;
  const { h2 } = features(net, picture, false);
  // Two pixels of clamped border reach the second layer; a level too small to spare them keeps them.
  const margin = Math.min(width, height) >= 6 ? 2 : 0;
  const w = width - 2 * margin;
  const h = height - 2 * margin;
  const points = new Float32Array(w * h * net.second);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = ((y + margin) * width + x + margin) * net.second;
      points.set(h2.subarray(from, from + net.second), (y * w + x) * net.second);
    }
  }
  return { points, count: w * h };
}
