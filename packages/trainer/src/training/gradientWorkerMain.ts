import { parentPort, workerData } from 'node:worker_threads';
import { serveGradients } from '@nca-studio/core/training';
import type { BackendName, GradientRoute } from '../backends/names.ts';
import { tuneWasm } from '../backends/wasmFlags.ts';
import { gradientFunction } from './gradientWorkers.ts';

// One gradient thread of core's GradientPool. The kernel and WebGPU routes load no tfjs; the
// tfjs route starts its own backend here (wasm has its own heap per thread).
tuneWasm();
const port = parentPort!;
const { backend, route } = workerData as { backend: BackendName; route: GradientRoute };
if (route === 'tfjs') {
  await (await import('../backends/backend.ts')).selectBackend(backend);
}
serveGradients(
  { postMessage: (message, transfer) => port.postMessage(message, transfer), listen: (request) => port.on('message', request) },
  await gradientFunction(route),
);
