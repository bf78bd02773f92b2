import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from '../backends/backend.ts';
import { batchGradient, type GradientTask } from '@nca-studio/core';

// One worker: its own tfjs backend (wasm has its own heap per thread), one shard per message.
const port = parentPort!;
await selectBackend((workerData as { backend: BackendName }).backend);
port.on('message', (task: GradientTask) => {
  batchGradient(task).then(
    (result) => port.postMessage({ ok: true, result }, [result.final.buffer as ArrayBuffer, result.losses.buffer as ArrayBuffer, ...result.grads.map((g) => g.buffer as ArrayBuffer)]),
    (error: unknown) => port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
});
port.postMessage({ ready: true });
