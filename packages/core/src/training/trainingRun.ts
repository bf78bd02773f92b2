import { PARAM_NAMES, type ExemplarPlan, type NcaConfig, type NcaParams, type TrainingSettings, type TrainingState } from '@nca-studio/weights-format';
import { createParams } from '../freshParams.ts';
import { now } from '../clock.ts';
import { createRng } from '../rng.ts';
import { startArray, type GridShape } from '../seed.ts';
import { drawFire } from '../fireDraw.ts';
import { Adam, normalizeGradient } from './adam.ts';
import type { GradientFunction } from './gradientTask.ts';
import { learningRate } from './learningRate.ts';
import { settleBudget } from './timeBudget.ts';
import { prepareBatch, SamplePool } from './samplePool.ts';

export type { TrainingState };

/** Iterations over which a time budget measures the pace it projects the rest of the run at. */
const PACE_ITERATIONS = 100;

/** What a run trains: the model's config, the recipe's settings, and the seed of its RNG. */
export interface TrainingRecipe {
  config: NcaConfig;
  training: TrainingSettings;
  seed: number;
  /**
   * A texture run's exemplar size (docs/design.md §4.9): its target is then the exemplar's RGBA
   * [height, width, 4] in [0, 1], not a padded picture of the grid's size.
   */
  exemplar?: ExemplarPlan;
}

export interface IterationInfo {
  iteration: number;
  /** The last iteration: the plan's, or the time budget's cap until it settles. */
  total: number;
  loss: number;
  lr: number;
  steps: number;
  seconds: number;
  /** Seconds left in the time budget, or null for a run by iteration count. */
  timeLeft: number | null;
}

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

export function gridOf(config: NcaConfig): GridShape {
  return { height: config.gridHeight, width: config.gridWidth, channels: config.channels };
}

/** A fresh run's starting point: glorot weights from the seed, a pool of seeds. */
export function freshTrainingState(recipe: TrainingRecipe, target: Float32Array): TrainingState {
  const rng = createRng(recipe.seed);
  const params = createParams(recipe.config, rng);
  const grid = gridOf(recipe.config);
  const pool = recipe.training.pool > 0 ? SamplePool.filled(recipe.training.pool, startArray(recipe.config, grid)) : null;
  const zeros = (): Float32Array[] => PARAM_NAMES.map((n) => new Float32Array(params[n].length));
  return { iteration: 0, rngState: rng.getState(), params, adam: { t: 0, m: zeros(), v: zeros() }, pool, target, losses: [], seconds: 0 };
}

/**
 * The training algorithm (docs/design.md, "Training"), one iteration at a time, on plain
 * arrays: batch from the pool (worst first by the losses the rollouts returned: the worst
 * re-seeded, the best damaged) -> rollout and gradient (`gradient`: one of the routes, here
 * or on workers) -> normalised Adam update -> write-back. All randomness comes from one RNG
 * whose state is part of TrainingState, drawn in a fixed order (pool sample, damage discs,
 * step count, fire draws), so a run resumed from a snapshot continues bit for bit, and the
 * gradient's split over workers changes only float summation order. It loads no tfjs: the
 * CLI, bench and the page's worker drive it with whichever route they chose.
 */
export class TrainingRun {
  private readonly config: NcaConfig;
  private readonly seed: number;
  /** The recipe's settings; a time budget settles its decay point and last iteration mid-run. */
  private training: TrainingSettings;
  /** The run's seconds after each of the last iterations: the recent pace, for a budget. */
  private readonly marks: number[] = [];
  private readonly rng = createRng(0);
  private readonly params: NcaParams;
  private readonly adam: Adam;
  private readonly pool: SamplePool | null;
  private readonly target: Float32Array;
  /** A texture run's exemplar as bytes for the gradient tasks; null for a growing run. */
  private readonly exemplar: (ExemplarPlan & { exemplar: Uint8Array }) | null;
  private readonly seeds: Float32Array;
  private readonly start: Float32Array;
  private readonly emptyTarget: Float32Array;
  private readonly losses: number[];
  private current: number;
  private seconds: number;

  constructor(
    recipe: TrainingRecipe,
    start: TrainingState,
    private readonly gradient: GradientFunction,
  ) {
    const { config, training } = recipe;
    const grid = gridOf(config);
    const cells = grid.height * grid.width;
    const { exemplar } = recipe;
    if (exemplar !== undefined) {
      if (start.target.length !== exemplar.width * exemplar.height * 4) {
        throw new TrainingError(
          'BAD_STATE',
          `the exemplar has ${start.target.length} values, ${exemplar.width}x${exemplar.height} RGBA needs ${exemplar.width * exemplar.height * 4}`,
        );
      }
    } else if (start.target.length !== cells * 4) {
      throw new TrainingError('BAD_STATE', `the target has ${start.target.length} values, the ${grid.width}x${grid.height} grid needs ${cells * 4}`);
    }
    if (start.pool !== null && start.pool.length !== training.pool * cells * grid.channels) {
      throw new TrainingError('BAD_STATE', `the pool has ${start.pool.length} values, ${training.pool} samples need ${training.pool * cells * grid.channels}`);
    }
    this.config = config;
    this.seed = recipe.seed;
    this.training = training;
    this.rng.setState(start.rngState);
    this.params = Object.fromEntries(PARAM_NAMES.map((name) => [name, start.params[name].slice()])) as unknown as NcaParams;
    this.adam = new Adam(PARAM_NAMES.map((name) => start.params[name].length));
    this.adam.setState(start.adam);
    this.target = start.target;
    this.exemplar =
      exemplar === undefined ? null : { ...exemplar, exemplar: Uint8Array.from(start.target, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) };
    // A texture pool's losses are not the target's: they come from the rollouts (0 until then).
    this.pool = start.pool === null ? null : new SamplePool(training.pool, grid, start.pool.slice(), exemplar === undefined ? this.target : undefined);
    this.start = startArray(config, grid);
    this.emptyTarget = new Float32Array(cells * 4);
    this.seeds = SamplePool.filled(training.batch, this.start);
    this.losses = [...start.losses];
    this.current = start.iteration;
    this.seconds = start.seconds;
  }

  get iteration(): number {
    return this.current;
  }

  /** The recipe as it stands: a time budget's run carries its settled decay point and end. */
  get recipe(): TrainingRecipe {
    return {
      config: this.config,
      training: this.training,
      seed: this.seed,
      ...(this.exemplar === null ? {} : { exemplar: exemplarPlan(this.exemplar) }),
    };
  }

  get done(): boolean {
    this.settle();
    return this.current >= this.training.iterations;
  }

  /** `plan` with the recipe as it stands (a budget's settled decay point and end): what a checkpoint stores. */
  planNow<P extends { training: TrainingSettings }>(plan: P): P {
    return { ...plan, training: this.training };
  }

  /**
   * Adds time the driver spent around an iteration (checkpoints, previews) to the run's
   * seconds: a time budget counts the whole run, not the rollouts alone.
   */
  account(seconds: number): void {
    this.seconds += seconds;
    if (this.marks.length > 0) {
      this.marks[this.marks.length - 1] = this.seconds;
    }
  }

  /** Seconds an iteration over the recent ones (the whole run's mean before there are two). */
  private pace(): number {
    const n = this.marks.length;
    return n >= 2 ? (this.marks[n - 1]! - this.marks[0]!) / (n - 1) : this.seconds / Math.max(1, this.current);
  }

  /**
   * Once the run's time reaches its budget's decay fraction, fixes the decay point (here) and
   * the last iteration (from the recent pace); true when it did. `done` asks first, so every
   * driver that loops until done settles it.
   */
  settle(): boolean {
    const settled = settleBudget(this.training, this.current, this.seconds, this.pace());
    if (settled !== null) {
      this.training = settled;
    }
    return settled !== null;
  }

  /**
   * One iteration. A loss that is not finite throws NON_FINITE_LOSS: the weights are then
   * spoilt, and the caller goes back to its last snapshot.
   */
  async iterate(): Promise<IterationInfo> {
    const { config, training } = this;
    const grid = gridOf(config);
    const began = now();
    const lr = learningRate(training, this.current);
    let indices: number[] = [];
    let batch: Float32Array;
    if (this.pool !== null) {
      // Worst first: the worst is re-seeded, the best are damaged. A texture's pool is not ranked:
      // its losses measure on random directions (noisy), and they are not in a checkpoint, so a
      // ranking by them would make a resumed run differ; its first drawn sample starts again.
      const drawn = this.pool.sample(training.batch, this.rng);
      indices = this.exemplar === null ? this.pool.worstFirst(drawn) : drawn;
      batch = this.pool.gather(indices);
      prepareBatch(batch, training.batch, grid, training.damaged, this.rng, training.damageRadius, this.current % training.reseedEvery === 0, this.start);
    } else {
      batch = this.seeds.slice();
    }
    const steps = this.rng.int(training.stepsMin, training.stepsMax);
    const fire = drawFire(this.rng, steps * training.batch * grid.height * grid.width, config.fireRate);
    // A texture's loss draws its random directions from a seed of the run's RNG, after the fire draws.
    const texture =
      this.exemplar === null
        ? {}
        : {
            texture: { exemplar: this.exemplar.exemplar, seed: this.rng.int(0, 2 ** 31 - 1), ...exemplarPlan(this.exemplar) },
          };
    const result = await this.gradient({
      ...texture,
      config,
      params: this.params,
      states: batch,
      count: training.batch,
      steps,
      fire,
      // A texture's loss is its exemplar's (task.texture); the kernel's target loss then reads zeros.
      target: this.exemplar === null ? this.target : this.emptyTarget,
      batch: training.batch,
      overflowWeight: training.overflowWeight,
      outsideWeight: training.outsideWeight,
      detailWeight: training.detailWeight,
    });
    const loss = result.losses.reduce((a, b) => a + b, 0) / training.batch;
    if (training.normalizeGradients) {
      result.grads.forEach(normalizeGradient);
    }
    this.adam.apply(
      PARAM_NAMES.map((name) => this.params[name]),
      result.grads,
      lr,
    );
    if (this.pool !== null) {
      this.pool.scatter(indices, result.final, result.losses);
    }
    this.seconds += (now() - began) / 1000;
    if (!Number.isFinite(loss)) {
      throw new TrainingError('NON_FINITE_LOSS', `loss became ${loss} at iteration ${this.current + 1}`);
    }
    this.current += 1;
    this.losses.push(loss);
    this.marks.push(this.seconds);
    if (this.marks.length > PACE_ITERATIONS) {
      this.marks.shift();
    }
    return this.info(loss, lr, steps);
  }

  private info(loss: number, lr: number, steps: number): IterationInfo {
    const { budget } = this.training;
    return {
      iteration: this.current,
      total: this.training.iterations,
      loss,
      lr,
      steps,
      seconds: this.seconds,
      timeLeft: budget === null ? null : Math.max(0, budget.minutes * 60 - this.seconds),
    };
  }

  /** The current weights (copies), e.g. for a live preview. */
  weights(): NcaParams {
    return Object.fromEntries(PARAM_NAMES.map((name) => [name, this.params[name].slice()])) as unknown as NcaParams;
  }

  /** The run as it stands, as plain arrays (copies: later iterations do not change them). */
  snapshot(): TrainingState {
    return {
      iteration: this.current,
      rngState: this.rng.getState(),
      params: this.weights(),
      adam: this.adam.getState(),
      pool: this.pool === null ? null : this.pool.states.slice(),
      target: this.target,
      losses: [...this.losses],
      seconds: this.seconds,
    };
  }
}

/** What a driver of a run does around each iteration. */
export interface DriveHooks {
  /** Before each iteration: 'stop' ends the loop early (a page that pauses waits in here). */
  next?(): 'go' | 'stop' | Promise<'go' | 'stop'>;
  /** After each iteration, with its figures: progress, previews, checkpoints on the driver's cadence. */
  after?(info: IterationInfo): void | Promise<void>;
}

/**
 * The one training loop, which `nca train` (checkpoints every N iterations, Ctrl-C) and the
 * page's worker (pause, stop, saves every few seconds) both drive: iterations until the last or
 * until `next` says stop. A non-finite loss throws TrainingError NON_FINITE_LOSS, as `iterate`.
 */
export async function driveTraining(run: TrainingRun, hooks: DriveHooks = {}): Promise<{ stopped: boolean }> {
  for (;;) {
    if (run.done) {
      return { stopped: false };
    }
    if ((await hooks.next?.()) === 'stop') {
      return { stopped: true };
    }
    const info = await run.iterate();
    const began = now();
    await hooks.after?.(info);
    run.account((now() - began) / 1000);
  }
}

/** The plan's part of a texture run's exemplar: its size, and its loss where the plan names one. */
function exemplarPlan(exemplar: ExemplarPlan): ExemplarPlan {
  return { width: exemplar.width, height: exemplar.height, ...(exemplar.loss === undefined ? {} : { loss: exemplar.loss }) };
}
