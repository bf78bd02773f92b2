import * as tf from '@tensorflow/tfjs-core';
import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';
import { createParams, paramsToTensors, tensorsToParams, PARAM_NAMES, type CaParams } from '../params.ts';
import type { TrainingSettings } from '../presets.ts';
import { createRng } from '../rng.ts';
import { seedArray, type GridShape } from '../seed.ts';
import { drawFire } from '../stochasticUpdate.ts';
import { Adam, type AdamState } from './adam.ts';
import { batchGradient, type GradientResult, type GradientTask } from './batchGradient.ts';
import { learningRate } from './learningRate.ts';
import { perSampleLoss } from './loss.ts';
import { prepareBatch, SamplePool } from './samplePool.ts';

/** What a run trains: the model's config, the recipe's settings, and the seed of its RNG. */
export interface TrainingRecipe {
  config: NcaConfig;
  training: TrainingSettings;
  seed: number;
}

/**
 * Everything needed to continue a run exactly (SPEC §4): weights, optimiser, pool, RNG, losses.
 * Plain arrays, so a checkpoint file (the CLI) or IndexedDB (a page) can hold it.
 */
export interface TrainingState {
  iteration: number;
  rngState: number;
  params: NcaParams;
  adam: AdamState;
  pool: Float32Array | null;
  /** The padded premultiplied target, [H, W, 4]. */
  target: Float32Array;
  losses: number[];
  /** Seconds spent in iterations so far (for iterations/s across resumes). */
  seconds: number;
}

export interface IterationInfo {
  iteration: number;
  total: number;
  loss: number;
  lr: number;
  steps: number;
  seconds: number;
}

/** A batch's rollout and gradient: batchGradient on this thread, or shards of it on workers. */
export type GradientFunction = (task: GradientTask) => Promise<GradientResult>;

export type TrainingErrorCode = 'NON_FINITE_LOSS' | 'BAD_STATE';

export class TrainingError extends Error {
  constructor(
    readonly code: TrainingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingError';
  }
}

let runs = 0;

export function gridOf(config: NcaConfig): GridShape {
  return { height: config.gridHeight, width: config.gridWidth, channels: config.channels };
}

/** A fresh run's starting point: glorot weights from the seed, a pool of seeds. */
export function freshTrainingState(recipe: TrainingRecipe, target: Float32Array): TrainingState {
  const rng = createRng(recipe.seed);
  const params = createParams(recipe.config, rng);
  const pool = recipe.training.pool > 0 ? new SamplePool(recipe.training.pool, gridOf(recipe.config)).states : null;
  const zeros = (): Float32Array[] => PARAM_NAMES.map((n) => new Float32Array(params[n].length));
  return { iteration: 0, rngState: rng.getState(), params, adam: { t: 0, m: zeros(), v: zeros() }, pool, target, losses: [], seconds: 0 };
}

/**
 * The training algorithm of SPEC §4, one iteration at a time, on whatever tfjs backend is
 * active: batch from the pool (worst first: the worst re-seeded, the best damaged) -> rollout
 * -> gradient -> normalised Adam update -> write-back. All randomness comes from one RNG
 * whose state is part of TrainingState, drawn in a fixed order (pool sample, damage discs,
 * step count, fire draws), so a run resumed from a snapshot continues bit for bit, and the
 * gradient's split over workers changes only float summation order. The CLI and a page drive it.
 */
export class TrainingRun {
  readonly recipe: TrainingRecipe;
  private readonly rng = createRng(0);
  private readonly variables: tf.Variable[];
  private readonly params: CaParams;
  private readonly adam: Adam;
  private readonly pool: SamplePool | null;
  private readonly target: tf.Tensor3D;
  private readonly targetValues: Float32Array;
  private readonly seeds: Float32Array;
  private readonly losses: number[];
  private readonly gradient: GradientFunction;
  private current: number;
  private seconds: number;

  constructor(recipe: TrainingRecipe, start: TrainingState, options: { gradient?: GradientFunction } = {}) {
    const { config, training } = recipe;
    const grid = gridOf(config);
    const cells = grid.height * grid.width;
    if (start.target.length !== cells * 4) {
      throw new TrainingError('BAD_STATE', `the target has ${start.target.length} values, the ${grid.width}x${grid.height} grid needs ${cells * 4}`);
    }
    if (start.pool !== null && start.pool.length !== training.pool * cells * grid.channels) {
      throw new TrainingError('BAD_STATE', `the pool has ${start.pool.length} values, ${training.pool} samples need ${training.pool * cells * grid.channels}`);
    }
    this.recipe = recipe;
    // tfjs names variables globally: each run its own names, so two runs can share a page.
    runs += 1;
    this.rng.setState(start.rngState);
    const initial = paramsToTensors(start.params, config);
    this.variables = PARAM_NAMES.map((name) => tf.variable(initial[name], true, `nca/run${runs}/${name}`));
    tf.dispose(Object.values(initial));
    this.params = Object.fromEntries(PARAM_NAMES.map((name, i) => [name, this.variables[i]])) as unknown as CaParams;
    this.adam = new Adam(this.variables, learningRate(training, start.iteration));
    this.adam.setState(start.adam);
    this.pool = start.pool === null ? null : new SamplePool(training.pool, grid, start.pool.slice());
    this.targetValues = start.target;
    this.target = tf.tensor3d(start.target, [grid.height, grid.width, 4]);
    this.seeds = seedArray(grid, training.batch);
    this.losses = [...start.losses];
    this.gradient = options.gradient ?? batchGradient;
    this.current = start.iteration;
    this.seconds = start.seconds;
  }

  get iteration(): number {
    return this.current;
  }

  get done(): boolean {
    return this.current >= this.recipe.training.iterations;
  }

  /**
   * One iteration. A loss that is not finite throws NON_FINITE_LOSS: the weights are then
   * spoilt, and the caller goes back to its last snapshot.
   */
  async iterate(): Promise<IterationInfo> {
    const { config, training } = this.recipe;
    const grid = gridOf(config);
    const began = tf.util.now();
    this.adam.learningRate = learningRate(training, this.current);
    let indices: number[] = [];
    let batch: Float32Array;
    if (this.pool !== null) {
      indices = this.pool.sample(training.batch, this.rng);
      batch = this.pool.gather(indices);
      // Worst first: the worst is re-seeded, the best are damaged (SPEC §4).
      const shape: [number, number, number, number] = [training.batch, grid.height, grid.width, grid.channels];
      const lossTensor = tf.tidy(() => perSampleLoss(tf.tensor4d(batch, shape), this.target));
      const sampleLosses = await lossTensor.data();
      lossTensor.dispose();
      const order = indices.map((_, n) => n).sort((a, b) => sampleLosses[b]! - sampleLosses[a]!);
      indices = order.map((n) => indices[n]!);
      batch = this.pool.gather(indices);
      prepareBatch(batch, training.batch, grid, training.damaged, this.rng, training.damageRadius, this.current % training.reseedEvery === 0);
    } else {
      batch = this.seeds.slice();
    }
    const steps = this.rng.int(training.stepsMin, training.stepsMax);
    const fire = drawFire(this.rng, steps * training.batch * grid.height * grid.width, config.fireRate);
    const result = await this.gradient({
      config,
      params: await tensorsToParams(this.params),
      states: batch,
      count: training.batch,
      steps,
      fire,
      target: this.targetValues,
      batch: training.batch,
      overflowWeight: training.overflowWeight,
    });
    const loss = result.losses.reduce((a, b) => a + b, 0) / training.batch;
    tf.tidy(() => {
      const grads = result.grads.map((g, i) => tf.tensor(g, this.variables[i]!.shape));
      // SPEC §4: each variable's gradient divided by its own L2 norm (+1e-8).
      this.adam.apply(training.normalizeGradients ? grads.map((g) => tf.div(g, tf.add(tf.norm(g), 1e-8))) : grads);
    });
    if (this.pool !== null) {
      this.pool.scatter(indices, result.final);
    }
    this.seconds += (tf.util.now() - began) / 1000;
    if (!Number.isFinite(loss)) {
      throw new TrainingError('NON_FINITE_LOSS', `loss became ${loss} at iteration ${this.current + 1}`);
    }
    this.current += 1;
    this.losses.push(loss);
    return { iteration: this.current, total: training.iterations, loss, lr: this.adam.learningRate, steps, seconds: this.seconds };
  }

  /** The current weights (copies), e.g. for a live preview. */
  weights(): Promise<NcaParams> {
    return tensorsToParams(this.params);
  }

  /** The run as it stands, as plain arrays (copies: later iterations do not change them). */
  async snapshot(): Promise<TrainingState> {
    return {
      iteration: this.current,
      rngState: this.rng.getState(),
      params: await tensorsToParams(this.params),
      adam: await this.adam.getState(),
      pool: this.pool === null ? null : this.pool.states.slice(),
      target: this.targetValues,
      losses: [...this.losses],
      seconds: this.seconds,
    };
  }

  dispose(): void {
    tf.dispose(this.variables);
    this.adam.dispose();
    this.target.dispose();
  }
}
