import type { AdamState } from '@nca-studio/weights-format';

export type { AdamState };

const f32 = Math.fround;

/**
 * Adam (Kingma & Ba) over plain arrays, in float32 arithmetic: every operation rounds to float32
 * as the tfjs ops it replaced did one by one (m*b1 + g*(1-b1), v*b2 + g^2*(1-b2),
 * x - m*stepSize / (sqrt(v) + eps)), so runs keep their bits. The state (t, m, v) is what a
 * checkpoint holds; the bias corrections come from t alone, in float64, so a resumed run
 * continues exactly.
 */
export class Adam {
  private state: AdamState;

  constructor(
    sizes: readonly number[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    this.state = { t: 0, m: sizes.map((n) => new Float32Array(n)), v: sizes.map((n) => new Float32Array(n)) };
  }

  /** One update of `params` (in place) by `gradients`, at `learningRate`. */
  apply(params: readonly Float32Array[], gradients: readonly Float32Array[], learningRate: number): void {
    const { m, v } = this.state;
    this.state.t += 1;
    const t = this.state.t;
    const stepSize = f32((learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t));
    const [b1, c1, b2, c2, eps] = [f32(this.beta1), f32(1 - this.beta1), f32(this.beta2), f32(1 - this.beta2), f32(this.epsilon)];
    gradients.forEach((g, i) => {
      const [mi, vi, x] = [m[i]!, v[i]!, params[i]!];
      for (let j = 0; j < g.length; j++) {
        const gj = g[j]!;
        const mj = f32(f32(mi[j]! * b1) + f32(gj * c1));
        const vj = f32(f32(vi[j]! * b2) + f32(f32(gj * gj) * c2));
        mi[j] = mj;
        vi[j] = vj;
        x[j] = f32(x[j]! - f32(f32(mj * stepSize) / f32(f32(Math.sqrt(vj)) + eps)));
      }
    });
  }

  /** A copy of the state, for a checkpoint. */
  getState(): AdamState {
    return { t: this.state.t, m: this.state.m.map((a) => a.slice()), v: this.state.v.map((a) => a.slice()) };
  }

  setState(state: AdamState): void {
    this.state = { t: state.t, m: state.m.map((a) => a.slice()), v: state.v.map((a) => a.slice()) };
  }
}

/**
 * Divides a gradient by its own L2 norm (+1e-8), in place: the article's per-variable
 * normalisation. Float32 arithmetic with the squares summed in order, as tfjs's wasm backend
 * sums them.
 */
export function normalizeGradient(g: Float32Array): void {
  let sum = 0;
  for (let j = 0; j < g.length; j++) {
    sum = f32(sum + f32(g[j]! * g[j]!));
  }
  const scale = f32(f32(Math.sqrt(sum)) + f32(1e-8));
  for (let j = 0; j < g.length; j++) {
    g[j] = f32(g[j]! / scale);
  }
}
