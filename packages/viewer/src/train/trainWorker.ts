// The Train view's worker: core's TrainingRun, off the page's thread, checkpointed to
// IndexedDB. The page sends start/pause/resume/stop; the worker reports progress, live
// weights for the preview, saves, and the finished model file. On the kernel and WebGPU
// routes it loads no tfjs: the training state is plain arrays; tfjs comes in only for the
// `tfjs` route, on WebGL.
import {
  bestVariant,
  driveTraining,
  evaluateModel,
  evaluateTexture,
  freshTrainingState,
  judgedEarly,
  judgeModel,
  RolloutKernel,
  runModel,
  sampleBySample,
  sharedKernel,
  targetBytes,
  trainedModelFile,
  TrainingError,
  TrainingRun,
  webgpuGradient,
  type GradientFunction,
} from '@nca-studio/core/training';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '@nca-studio/weights-format';
import { requestGpuDevice } from './gpuDevice.ts';
import { startKernelThreads } from './kernelThreads.ts';
import type { FromWorker, RunEvaluation, ToWorker, WorkerMemory } from './protocol.ts';
import { chooseRoute, detectAbilities } from './route.ts';
import { RunStore, StorageError, type SavedRun } from './runStore.ts';
import { VIEWER_VERSION } from '../version.ts';

type StartMessage = Extract<ToWorker, { type: 'start' }>;

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let paused = false;
let stopping = false;
let wake: (() => void) | null = null;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** tfjs on WebGL in this worker, and its reference gradient: the `tfjs` route alone loads them. */
async function tfjsOnWebgl(): Promise<{ gradient: GradientFunction; memory: () => { numTensors: number; numBytes: number } }> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients');
  await import('@tensorflow/tfjs-backend-webgl');
  if (!(await tf.setBackend('webgl'))) {
    throw new Error('tfjs-backend-webgl did not start in this worker');
  }
  const { batchGradient } = await import('@nca-studio/core');
  return { gradient: batchGradient, memory: () => tf.memory() };
}

let tfjsMemory: (() => { numTensors: number; numBytes: number }) | null = null;

function memory(kernelBytes: number): WorkerMemory {
  const heap = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
  const tensors = tfjsMemory?.() ?? { numTensors: 0, numBytes: 0 };
  return {
    tensors: tensors.numTensors,
    tensorBytes: tensors.numBytes,
    heapBytes: heap === undefined ? null : heap.usedJSHeapSize,
    wasmBytes: kernelBytes,
  };
}

async function train(start: StartMessage): Promise<void> {
  const checkpoint: Checkpoint =
    start.checkpoint !== undefined
      ? decodeCheckpoint(start.checkpoint, 'the saved run')
      : { plan: start.plan!, ...freshTrainingState(start.plan!, start.target!), resumptions: [], route: null };
  const { plan } = checkpoint;
  // A texture run is one with an exemplar (docs/design.md §4.9).
  const { exemplar } = plan;
  const texture = exemplar !== undefined;
  const { route, reason } = chooseRoute(start.route, await detectAbilities(), { texture });
  const variant = start.variant ?? bestVariant();
  const threads = route === 'kernel' ? Math.max(1, Math.min(start.threads ?? navigator.hardwareConcurrency ?? 1, plan.training.batch)) : 1;
  // One thread: the kernel in this worker; more: Web Workers that share the batch's samples.
  const kernel = route === 'kernel' && threads === 1 ? await RolloutKernel.load(variant) : null;
  const pool = route === 'kernel' && threads > 1 ? await startKernelThreads(threads, variant) : null;
  let gradient: GradientFunction;
  let detail: string;
  if (route === 'webgpu') {
    gradient = webgpuGradient(await requestGpuDevice());
    detail = 'the fused WebGPU rollout (WGSL)';
  } else if (route === 'tfjs') {
    const tfjs = await tfjsOnWebgl();
    gradient = tfjs.gradient;
    tfjsMemory = tfjs.memory;
    detail = 'tfjs-backend-webgl (OffscreenCanvas)';
  } else {
    // One thread takes the samples one at a time, as the pool's threads do: the same bits either way.
    gradient = pool !== null ? (task) => pool.gradient(task) : sampleBySample(async (task) => kernel!.gradient(task));
    detail = `the wasm rollout kernel (${variant}, ${threads === 1 ? 'one thread' : `${threads} threads`})`;
  }
  const run = new TrainingRun(plan, checkpoint, gradient);
  let store: RunStore | null = null;
  try {
    store = await RunStore.open();
  } catch (error) {
    post({ type: 'storage', message: describe(error) });
  }
  const record = (status: SavedRun['status'], bytes: number): SavedRun => ({
    id: start.id,
    name: plan.targetName,
    preset: plan.preset,
    iteration: run.iteration,
    total: run.recipe.training.iterations,
    status,
    savedAt: Date.now(),
    bytes,
  });
  const save = async (status: SavedRun['status']): Promise<void> => {
    if (store === null) {
      return;
    }
    // The plan as it stands: a time budget settles its decay point and last iteration mid-run.
    const bytes = encodeCheckpoint({ plan: run.planNow(plan), ...run.snapshot(), resumptions: checkpoint.resumptions, route });
    try {
      await store.save(record(status, bytes.length), bytes);
      post({ type: 'saved', iteration: run.iteration, bytes: bytes.length });
    } catch (error) {
      post({ type: 'storage', message: error instanceof StorageError ? error.message : describe(error) });
    }
  };
  const preview = async (): Promise<void> => {
    post({ type: 'preview', iteration: run.iteration, model: { config: plan.config, params: run.weights() } });
  };
  post({
    type: 'started',
    route,
    reason: `${detail}: ${reason}`,
    iteration: run.iteration,
    total: plan.training.iterations,
    losses: checkpoint.losses,
    texture,
    tfjs: '_tfengine' in globalThis,
  });
  let lastSave = performance.now();
  let lastPreview = -Infinity;
  let window = { at: performance.now(), iteration: run.iteration };
  let rate = 0;
  try {
    await preview();
    await driveTraining(run, {
      next: async () => {
        while (paused && !stopping) {
          await save('paused');
          post({ type: 'paused', iteration: run.iteration });
          await new Promise<void>((resolve) => (wake = resolve));
          window = { at: performance.now(), iteration: run.iteration };
        }
        return stopping ? 'stop' : 'go';
      },
      after: async (info) => {
        const now = performance.now();
        // Iterations/s over the last few seconds: the steps drawn per iteration vary.
        if (now - window.at > 3000 || rate === 0) {
          rate = (info.iteration - window.iteration) / Math.max(1e-3, (now - window.at) / 1000);
          window = { at: now, iteration: info.iteration };
        }
        post({
          type: 'progress',
          iteration: info.iteration,
          total: info.total,
          loss: info.loss,
          lr: info.lr,
          seconds: info.seconds,
          timeLeft: info.timeLeft,
          iterationsPerSecond: rate,
          memory: memory(kernel?.memoryBytes ?? pool?.memoryBytes ?? 0),
        });
        if (now - lastPreview > start.previewSeconds * 1000) {
          lastPreview = now;
          await preview();
        }
        if (now - lastSave > start.checkpointSeconds * 1000) {
          lastSave = now;
          await save('training');
        }
      },
    });
    const status = run.done ? 'done' : 'stopped';
    await save(status);
    await preview();
    const end = { plan: run.planNow(plan), ...run.snapshot() };
    // The figures nca eval gives (and a growing model's verdict, as nca train ends with it), on this worker's kernel.
    let evaluation: RunEvaluation;
    if (exemplar !== undefined) {
      const picture = { width: exemplar.width, height: exemplar.height, data: targetBytes(end.target) };
      evaluation = { kind: 'texture', report: evaluateTexture({ config: plan.config, params: end.params }, picture, await sharedKernel(), { seeds: 1 }) };
    } else {
      const report = await evaluateModel(runModel(end));
      const verdict = judgeModel(report, { damaged: plan.training.damaged > 0, early: judgedEarly({ ...end, iteration: run.iteration }) });
      evaluation = { kind: 'growth', report, verdict };
    }
    const model = trainedModelFile(end, {
      backend: route === 'kernel' ? 'wasm-kernel' : route === 'webgpu' ? 'webgpu-fused' : 'tfjs-webgl',
      backendDetail: `${detail}, in a browser worker`,
      toolVersion: VIEWER_VERSION,
    });
    post({ type: 'finished', iteration: run.iteration, status, model, evaluation }, [model.buffer]);
  } catch (error) {
    const message =
      error instanceof TrainingError && error.code === 'NON_FINITE_LOSS'
        ? `${error.message}; stopped. The last saved checkpoint is kept: resume it, or start again with a lower learning rate`
        : describe(error);
    post({ type: 'failed', message });
  } finally {
    await pool?.stop();
    store?.close();
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  switch (message.type) {
    case 'start':
      train(message).catch((error: unknown) => post({ type: 'failed', message: describe(error) }));
      break;
    case 'pause':
      paused = true;
      break;
    case 'resume':
      paused = false;
      wake?.();
      wake = null;
      break;
    case 'stop':
      stopping = true;
      paused = false;
      wake?.();
      wake = null;
      break;
  }
};
