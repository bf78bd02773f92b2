// `pnpm bench:gpu`: what this machine's GPU does for training, in one command. Prints the
// WebGPU adapter, times the fused WebGPU rollout against the wasm kernel (one worker per core) on
// the same batch (72x72, batch 8, hidden 128, grown patterns, 80 steps: the `regenerating`
// recipe's mean), then trains the regenerating lizard for a fixed number of iterations, projects
// the full 8,000-iteration recipe from its measured pace and writes the model and its growth
// strip. `pnpm bundle:gpu-bench` makes a folder of it that runs with a plain `node` binary.
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createParams, createRng, drawFire, PRESETS, trainedModelFile, webgpuGradient, type GradientTask } from '@nca-studio/core';
import { planFromPreset } from '../src/training/plan.ts';
import { selectBackend } from '../src/backends/backend.ts';
import { webgpuDevice } from '../src/backends/webgpu.ts';
import { errorExitCode, EXIT_USAGE } from '../src/errors.ts';
import { writeFileAtomic } from '../src/files/atomicWrite.ts';
import { GradientWorkers } from '../src/training/gradientWorkers.ts';
import { grownPool } from '../src/training/grownPool.ts';
import { growthStrip } from '../src/training/report.ts';
import { freshCheckpoint, trainLoop } from '../src/training/trainLoop.ts';

/** The bundle embeds the prepared lizard target (no image library beside node); from the sources, sharp decodes it. */
declare const NCA_BUNDLED_TARGET: string | undefined;
/** And the tool's version (from the sources, read from the trainer's package.json). */
declare const NCA_BUNDLED_VERSION: string | undefined;

const RECIPE = PRESETS.regenerating;

const USAGE =
  'usage: bench:gpu [--iterations N (default 300)] [--out DIR (default nca-gpu-bench)] [--repeats N (default 3)] [--steps N (of the timed batch, default 80)]';

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) {
    console.error(`bench:gpu: --${name} expects a whole number from 1 to 100000, got "${text}"\n${USAGE}`);
    process.exit(EXIT_USAGE);
  }
  return n;
}

/** The lizard as the recipe trains on it: [72, 72, 4] premultiplied RGBA bytes / 255. */
async function lizardTarget(): Promise<Float32Array> {
  if (typeof NCA_BUNDLED_TARGET === 'string') {
    return Float32Array.from(Buffer.from(NCA_BUNDLED_TARGET, 'base64'), (v) => v / 255);
  }
  const { loadTarget } = await import('../src/images/target.ts');
  const target = await loadTarget({ kind: 'emoji', char: '🦎' }, { size: RECIPE.training.targetSize, padding: RECIPE.training.padding });
  return target.rgba;
}

/** Seconds per call of `gradient` on `task`, after one warm-up call. */
async function timeGradient(gradient: (task: GradientTask) => Promise<unknown>, task: () => GradientTask, repeats: number): Promise<number> {
  await gradient(task());
  const started = performance.now();
  for (let i = 0; i < repeats; i++) {
    await gradient(task());
  }
  return (performance.now() - started) / 1000 / repeats;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        iterations: { type: 'string', default: '300' },
        out: { type: 'string', default: 'nca-gpu-bench' },
        repeats: { type: 'string', default: '3' },
        steps: { type: 'string', default: '80' },
      },
    }));
  } catch (error) {
    console.error(`bench:gpu: ${(error as Error).message}\n${USAGE}`);
    process.exit(EXIT_USAGE);
  }
  const iterations = positive('iterations', values.iterations);
  const repeats = positive('repeats', values.repeats);
  const BATCH_STEPS = positive('steps', values.steps);
  const out = resolve(values.out);

  const { device, adapter } = await webgpuDevice();
  console.log(`adapter: ${adapter.description}${adapter.software ? ' (a software adapter: a CPU, not a GPU)' : ''}`);
  const target = await lizardTarget();

  // One batch of the recipe's real work: grown lizards, the regenerating model, 80 steps (its mean).
  const config = RECIPE.config;
  const batch = RECIPE.training.batch;
  const cells = config.gridWidth * config.gridHeight;
  const rng = createRng(1);
  const params = createParams(config, rng);
  params.dense2Weight.forEach((_, i) => (params.dense2Weight[i] = (rng.next() - 0.5) * 0.02));
  const pool = grownPool(target, batch, config.channels, 1);
  const task = (): GradientTask => ({
    config,
    params,
    states: pool.slice(),
    count: batch,
    steps: BATCH_STEPS,
    fire: drawFire(createRng(2), BATCH_STEPS * batch * cells, config.fireRate),
    target: target,
    batch,
    overflowWeight: 0,
    outsideWeight: 0,
    detailWeight: 0,
  });
  const cellSteps = cells * batch * BATCH_STEPS;
  console.log(
    `batch: ${config.gridWidth}x${config.gridHeight}, batch ${batch}, hidden ${config.hidden}, ${config.channels} channels, ${BATCH_STEPS} steps, grown patterns (${cellSteps} cell-steps forward and backward)`,
  );
  const fusedSeconds = await timeGradient(webgpuGradient(device), task, repeats);
  const fusedRate = cellSteps / fusedSeconds;
  console.log(`fused WebGPU rollout: ${Math.round(fusedRate)} cell-steps/s (${(fusedSeconds * 1000).toFixed(0)} ms per batch, ${repeats} timed)`);
  // The kernel on one worker thread per core, as `nca train` runs it on the CPU.
  const workers = await GradientWorkers.start(Math.min(availableParallelism(), batch), 'cpu', 'kernel');
  let kernelRate: number;
  try {
    kernelRate = cellSteps / (await timeGradient((t) => workers.gradient(t), task, 1));
  } finally {
    await workers.stop();
  }
  console.log(`wasm rollout kernel (${workers.size} thread(s)): ${Math.round(kernelRate)} cell-steps/s`);
  console.log(`fused WebGPU / wasm: ${(fusedRate / kernelRate).toFixed(2)}x`);

  // The real recipe, for a fixed number of iterations: its pace projects the full run.
  const plan = planFromPreset({
    preset: RECIPE.name,
    config,
    training: { iterations },
    seed: 1,
    target: { kind: 'emoji', char: '🦎' },
    targetName: 'lizard',
    checkpointEvery: Math.max(100, Math.ceil(iterations / 4)),
  });
  console.log(`training: the regenerating lizard for ${iterations} iterations (of the recipe's ${RECIPE.training.iterations}) -> ${out}`);
  // The rest of an iteration (pool, damage, Adam) runs on plain arrays: small next to the
  // rollout, which is the fused shaders'.
  const times: number[] = [];
  let previous = 0;
  const { checkpoint } = await trainLoop(out, freshCheckpoint(plan, target), {
    workers: await GradientWorkers.inline('webgpu'),
    onIteration: (info) => {
      times.push(info.seconds - previous);
      previous = info.seconds;
      if (info.iteration % 50 === 0 || info.iteration === info.total) {
        console.log(`iteration ${info.iteration}/${info.total}: loss ${info.loss.toExponential(3)}, ${info.steps} steps, ${info.seconds.toFixed(1)} s`);
      }
    },
  });
  const paced = times.length > 1 ? times.slice(1) : times;
  const perIteration = paced.reduce((a, b) => a + b, 0) / paced.length;
  console.log(`pace: ${(1 / perIteration).toFixed(2)} it/s (${(perIteration * 1000).toFixed(0)} ms per iteration, the first excluded)`);
  console.log(
    `projected: the full regenerating recipe (${RECIPE.training.iterations} iterations) in ${((perIteration * RECIPE.training.iterations) / 60).toFixed(1)} min on this adapter`,
  );

  const toolVersion = typeof NCA_BUNDLED_VERSION === 'string' ? NCA_BUNDLED_VERSION : (await import('../src/version.ts')).TOOL_VERSION;
  const model = trainedModelFile(checkpoint, { backend: 'webgpu', backendDetail: `fused WebGPU rollout on ${adapter.description}`, toolVersion });
  await writeFileAtomic(join(out, 'model.safetensors'), model);
  // The strip runs the model forward for a few hundred steps: tfjs on the same GPU.
  await selectBackend('webgpu');
  await writeFileAtomic(join(out, 'growth.png'), await growthStrip(checkpoint.params, config, { regrow: true, seed: 2 }));
  console.log(
    `wrote ${join(out, 'model.safetensors')} and ${join(out, 'growth.png')} (loss ${checkpoint.losses.at(-1)!.toExponential(3)} after ${checkpoint.iteration} iterations)`,
  );
  console.log(`cell_steps_per_s ${Math.round(fusedRate)}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const code = errorExitCode(error);
    console.error(`bench:gpu: ${error instanceof Error ? error.message : String(error)}`);
    if (code === null && error instanceof Error && error.stack !== undefined) {
      console.error(error.stack);
    }
    process.exit(code ?? 1);
  },
);
