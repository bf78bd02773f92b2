import * as tf from '@tensorflow/tfjs-core';
import {
  createParams,
  createRng,
  paramsToTensors,
  seedArray,
  tensorsToParams,
  PARAM_NAMES,
  type CaParams,
  type GridShape,
  type Rng,
} from '@nca-studio/core';
import { Adam } from './adam.ts';
import { writeCheckpoint, type Checkpoint, type RunPlan } from './checkpoint.ts';
import { NcaError } from './errors.ts';
import { GradientWorkers } from './gradientWorkers.ts';
import { perSampleLoss } from './loss.ts';
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
  /** Gradient workers (data-parallel shards of the batch); default: the calling thread only. */
  workers?: GradientWorkers;
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
  const workers = hooks.workers ?? GradientWorkers.inline();
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
          `loss became ${loss} at iteration ${iteration + 1}; stopped. The last good checkpoint (iteration ${lastSaved.iteration}) is kept in ${dir}; try a lower --lr`);
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
      prepareBatch(batch, training.batch, grid, training.damaged, rng, training.damageRadius, iteration % training.reseedEvery === 0);
    } else {
      batch = seeds.slice();
    }
    const steps = rng.int(training.stepsMin, training.stepsMax);
    const fire = drawFire(rng, steps * training.batch * grid.height * grid.width, config.fireRate);
    const result = await workers.gradient({
      config,
      params: await tensorsToParams(params),
      states: batch,
      count: training.batch,
      steps,
      fire,
      target: start.target,
      batch: training.batch,
      overflowWeight: training.overflowWeight,
    });
    const loss = result.losses.reduce((a, b) => a + b, 0) / training.batch;
    tf.tidy(() => {
      const grads = result.grads.map((g, i) => tf.tensor(g, variables[i]!.shape));
      // SPEC §4: each variable's gradient divided by its own L2 norm (+1e-8).
      adam.apply(training.normalizeGradients ? grads.map((g) => tf.div(g, tf.add(tf.norm(g), 1e-8))) : grads);
    });
    if (pool !== null) {
      pool.scatter(indices, result.final);
    }
    return { loss, steps };
  }
}

/**
 * The fire draws of a whole rollout, one byte per cell, in the order `fireMask` draws them
 * (step by step, each step the whole batch), so training on any number of workers consumes
 * the RNG identically.
 */
export function drawFire(rng: Rng, count: number, fireRate: number): Uint8Array {
  const fire = new Uint8Array(count);
  if (fireRate >= 1) {
    fire.fill(1);
  } else if (fireRate > 0) {
    for (let i = 0; i < count; i++) {
      fire[i] = rng.next() < fireRate ? 1 : 0;
    }
  }
  return fire;
}
