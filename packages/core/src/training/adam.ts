import * as tf from '@tensorflow/tfjs-core';

export interface AdamState {
  /** Updates applied so far. */
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * Adam (Kingma & Ba) over a fixed list of variables. Ours rather than tf.train.adam so that a
 * checkpoint holds its whole state (t, m, v) and a resumed run continues bit for bit: tfjs's
 * Adam rebuilds its beta powers on restore with pow(), which rounds differently from the
 * running products it keeps while training.
 */
export class Adam {
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly variables: tf.Variable[],
    public learningRate: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly epsilon = 1e-7,
  ) {
    const zeros = (x: tf.Variable): tf.Variable => {
      const value = tf.zerosLike(x);
      const variable = tf.variable(value, false);
      value.dispose(); // the variable holds its own reference to the data
      return variable;
    };
    this.m = variables.map(zeros);
    this.v = variables.map(zeros);
  }

  apply(gradients: tf.Tensor[]): void {
    this.t += 1;
    // Bias corrections in float64 from t alone: the same on every run and every resume.
    const stepSize = (this.learningRate * Math.sqrt(1 - this.beta2 ** this.t)) / (1 - this.beta1 ** this.t);
    tf.tidy(() => {
      gradients.forEach((g, i) => {
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
        v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
        const x = this.variables[i]!;
        x.assign(tf.sub(x, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), this.epsilon))));
      });
    });
  }

  async getState(): Promise<AdamState> {
    return {
      t: this.t,
      m: await Promise.all(this.m.map(async (x) => new Float32Array(await x.data()))),
      v: await Promise.all(this.v.map(async (x) => new Float32Array(await x.data()))),
    };
  }

  setState(state: AdamState): void {
    this.t = state.t;
    tf.tidy(() => {
      state.m.forEach((values, i) => this.m[i]!.assign(tf.tensor(values, this.m[i]!.shape)));
      state.v.forEach((values, i) => this.v[i]!.assign(tf.tensor(values, this.v[i]!.shape)));
    });
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) {
      x.dispose();
    }
  }
}
