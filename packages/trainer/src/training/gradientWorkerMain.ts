import { parentPort, workerData } from 'node:worker_threads';
import type { GradientTask } from '@nca-studio/core/training';
import type { BackendName, GradientRoute } from '../backends/names.ts';
import { tuneWasm } from '../backends/wasmFlags.ts';
import { gradientFunction } from './gradientWorkers.ts';

// One worker, one shard per message. The kernel and WebGPU routes load no tfjs; the tfjs route
// starts its own backend here (wasm has its own heap per thread).
tuneWasm();
const port = parentPort!;
const { backend, route } = workerData as { backend: BackendName; route: GradientRoute };
if (route === 'tfjs') {
  await (await import('../backends/backend.ts')).selectBackend(backend);
}
const gradient = await gradientFunction(route);
port.on('message', (task: GradientTask) => {
  const started = performance.now();
  gradient(task).then(
    (result) => port.postMessage({ ok: true, result, ms: performance.now() - started }, [result.final.buffer as ArrayBuffer, result.losses.buffer as ArrayBuffer, ...result.grads.map((g) => g.buffer as ArrayBuffer)]),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
// Whether tfjs made its engine here (tfjs-core sets globalThis._tfengine when imported): a fact of the route.
port.postMessage({ ready: true, tfjs: '_tfengine' in globalThis });
