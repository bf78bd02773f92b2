import * as tf from '@tensorflow/tfjs-core';
import {
  createParams,
  fastStep,
  fireMask,
  createRng,
  paramsToTensors,
  seedArray,
  tensorsToParams,
  PARAM_NAMES,
  type CaParams,
  type GridShape,
} from '@nca-studio/core';
import { Adam } from './adam.ts';
import { writeCheckpoint, type Checkpoint, type RunPlan } from './checkpoint.ts';
import { EXIT_FAILURE, NcaError } from './errors.ts';
import { batchLoss, perSampleLoss } from './loss.ts';
import { prepareBatch, SamplePool } from './samplePool.ts';

export interface IterationInfo {
  iteration: number;
  total: number;
  loss: number;
  lr: number;
  steps: number;
  seconds: number;
}

export interface LoopHooks {
  onIteration?(info: IterationInfo): void;
  /** Checked between iterations: when aborted, the loop writes a checkpoint and returns. */
  signal?: AbortSignal;
}

export interface LoopResult {
  checkpoint: Checkpoint;
  interrupted: boolean;
}

/** A fresh run's starting point: glorot weights from the seed, a pool of seeds. */
export function freshCheckpoint(plan: RunPlan, target: Float32Array): Checkpoint {
  const rng = createRng(plan.seed);
  const params = createParams(plan.config, rng);
  const grid = gridOf(plan);
  const pool = plan.training.pool > 0 ? new SamplePool(plan.training.pool, grid).states : null;
  const zeros = (): Float32Array[] => PARAM_NAMES.map((n) => new Float32Array(params[n].length));
  return {
    plan,
    iteration: 0,
    rngState: rng.getState(),
    params,
    adam: { t: 0, m: zeros(), v: zeros() },
    pool,
    target,
    losses: [],
    seconds: 0,
  };
}

export function gridOf(plan: RunPlan): GridShape {
  return { height: plan.config.gridHeight, width: plan.config.gridWidth, channels: plan.config.channels };
}

/** The learning rate at an iteration: piecewise constant (SPEC §4: x0.1 at 2000 by default). */
export function learningRate(plan: RunPlan, iteration: number): number {
  const t = plan.training;
  return t.lrDecayAt !== null && iteration >= t.lrDecayAt ? t.lr * t.lrDecayFactor : t.lr;
}

/**
 * The training loop of SPEC §4, from a checkpoint to `plan.training.iterations`, writing a
 * checkpoint every `plan.checkpointEvery` iterations and at the end. Deterministic for a given
 * checkpoint and backend: all randomness comes from the checkpointed RNG.
 */
export async function trainLoop(dir: string, start: Checkpoint, hooks: LoopHooks = {}): Promise<LoopResult> {
  const { plan } = start;
  const { config, training } = plan;
  const grid = gridOf(plan);
  const rng = createRng(0);
  rng.setState(start.rngState);
  const initial = paramsToTensors(start.params, config);
  const variables = PARAM_NAMES.map((name) => tf.variable(initial[name], true, `nca/${name}`));
  const params = Object.fromEntries(PARAM_NAMES.map((name, i) => [name, variables[i]])) as unknown as CaParams;
  const adam = new Adam(variables, learningRate(plan, start.iteration));
  adam.setState(start.adam);
  const pool = start.pool === null ? null : new SamplePool(training.pool, grid, start.pool);
  const target = tf.tensor3d(start.target, [grid.height, grid.width, 4]);
  const seeds = seedArray(grid, training.batch);
  const losses = [...start.losses];
  let iteration = start.iteration;
  let seconds = start.seconds;
  let lastSaved = start;

  const snapshot = async (): Promise<Checkpoint> => ({
    plan,
    iteration,
    rngState: rng.getState(),
    params: await tensorsToParams(params),
    adam: await adam.getState(),
    pool: pool === null ? null : pool.states.slice(),
    target: start.target,
    losses: [...losses],
    seconds,
  });

  try {
    while (iteration < training.iterations) {
      if (hooks.signal?.aborted) {
        lastSaved = await snapshot();
        await writeCheckpoint(dir, lastSaved);
        return { checkpoint: lastSaved, interrupted: true };
      }
      const began = performance.now();
      adam.learningRate = learningRate(plan, iteration);
      const { loss, steps } = await trainStep();
      seconds += (performance.now() - began) / 1000;
      if (!Number.isFinite(loss)) {
        throw new NcaError(
          'NON_FINITE_LOSS',
          `loss became ${loss} at iteration ${iteration + 1}; stopped. The last good checkpoint (iteration ${lastSaved.iteration}) is kept in ${dir}; try a lower --lr`,
          EXIT_FAILURE,
        );
      }
      iteration += 1;
      losses.push(loss);
      hooks.onIteration?.({ iteration, total: training.iterations, loss, lr: adam.learningRate, steps, seconds });
      if (iteration % plan.checkpointEvery === 0 || iteration === training.iterations) {
        lastSaved = await snapshot();
        await writeCheckpoint(dir, lastSaved);
      }
    }
    return { checkpoint: lastSaved.iteration === iteration ? lastSaved : await snapshot(), interrupted: false };
  } finally {
    for (const v of variables) {
      v.dispose();
    }
    adam.dispose();
    target.dispose();
  }

  async function trainStep(): Promise<{ loss: number; steps: number }> {
    let indices: number[] = [];
    let batch: Float32Array;
    if (pool !== null) {
      indices = pool.sample(training.batch, rng);
      batch = pool.gather(indices);
      // Worst first: the worst is re-seeded, the best are damaged (SPEC §4).
      const sampleLosses = await tf.tidy(() => perSampleLoss(tf.tensor4d(batch, [training.batch, grid.height, grid.width, grid.channels]), target)).data();
      const order = indices.map((_, n) => n).sort((a, b) => sampleLosses[b]! - sampleLosses[a]!);
      indices = order.map((n) => indices[n]!);
      batch = pool.gather(indices);
      prepareBatch(batch, training.batch, grid, training.damaged, rng);
    } else {
      batch = seeds.slice();
    }
    const steps = rng.int(training.stepsMin, training.stepsMax);
    const x0 = tf.tensor4d(batch, [training.batch, grid.height, grid.width, grid.channels]);
    let final: tf.Tensor4D | null = null;
    const { value, grads } = tf.variableGrads(() => {
      let x = x0;
      for (let i = 0; i < steps; i++) {
        x = fastStep(x, params, config, fireMask(rng, [training.batch, grid.height, grid.width], config.fireRate));
      }
      final = tf.keep(x);
      return batchLoss(x, target);
    }, variables);
    const ordered = variables.map((v) => grads[v.name]!);
    const applied = training.normalizeGradients
      ? tf.tidy(() => ordered.map((g) => tf.div(g, tf.add(tf.norm(g), 1e-8))))
      : ordered;
    adam.apply(applied);
    const loss = (await value.data())[0]!;
    if (pool !== null && final !== null) {
      pool.scatter(indices, (await (final as tf.Tensor4D).data()) as Float32Array);
    }
    tf.dispose([x0, value, ...(final === null ? [] : [final]), ...ordered, ...(applied === ordered ? [] : applied)]);
    return { loss, steps };
  }
}
