import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../backends/backend.ts';
import { tuneWasm } from '../backends/wasmFlags.ts';
import type { GradientTask } from '@nca-studio/core';
import type { GradientRoute } from '../backends/names.ts';
import { gradientFunction } from './gradientWorkers.ts';

// One worker: its own tfjs backend (wasm has its own heap per thread), one shard per message.
tuneWasm();
const port = parentPort!;
const { backend, route } = workerData as { backend: BackendName; route: GradientRoute };
await selectBackend(backend);
const gradient = gradientFunction(route);
port.on('message', (task: GradientTask) => {
  const started = performance.now();
  gradient(task).then(
    (result) => port.postMessage({ ok: true, result, ms: performance.now() - started }, [result.final.buffer as ArrayBuffer, result.losses.buffer as ArrayBuffer, ...result.grads.map((g) => g.buffer as ArrayBuffer)]),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
port.postMessage({ ready: true });
