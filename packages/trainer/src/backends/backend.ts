import * as tf from '@tensorflow/tfjs-core';
import { NcaError } from '../errors.ts';
import { findWebgpuAdapter, hardwareGpuPossible } from './webgpu.ts';

import type { BackendName } from './names.ts';

export type { BackendName };

export interface BackendInfo {
  /** The tfjs backend in use: 'tensorflow', 'webgpu', 'wasm' or 'cpu'. */
  name: string;
  /** What was loaded, for the log and run.json (e.g. "@tensorflow/tfjs-node-gpu (CUDA)"). */
  detail: string;
  /** Native TensorFlow or a hardware GPU: fast enough for the full `regenerating` recipe. */
  accelerated: boolean;
}

let gradientsRegistered = false;

/**
 * The tfjs route's gradients: tfjs-core registers none in Node, and the @tensorflow/tfjs bundle
 * registers all of them on the same tfjs-core (its registries are global). That bundle is an
 * optional peer (most of the 300 MB tfjs would add to an install; the kernel and WebGPU routes
 * need no gradients of tfjs, inference none at all): only `--gradient tfjs` asks for it.
 */
export async function registerGradients(): Promise<void> {
  if (gradientsRegistered) {
    return;
  }
  try {
    await import(/* @vite-ignore */ '@tensorflow/tfjs');
  } catch {
    throw new NcaError(
      'BACKEND_UNAVAILABLE',
      'the tfjs gradient route needs the optional package @tensorflow/tfjs (its gradients): npm i @tensorflow/tfjs@4.22.0, or use --gradient kernel',
    );
  }
  gradientsRegistered = true;
}

/** Native TensorFlow packages are optional peers: absent on most machines, loaded if present. */
async function tryNative(pkg: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ pkg);
    return tf.findBackend('tensorflow') !== null;
  } catch {
    return false;
  }
}

/**
 * Selects the compute backend (docs/design.md §4): `auto` tries tfjs-node-gpu, then tfjs-node, then
 * WebGPU on a real (not software) adapter, then wasm, then cpu. A named backend that cannot
 * load is an error, not a silent fallback.
 */
export async function selectBackend(requested: BackendName): Promise<BackendInfo> {
  const candidates: Array<[string, () => Promise<BackendInfo | null>]> = [
    [
      'tensorflow',
      async () => {
        if (await tryNative('@tensorflow/tfjs-node-gpu')) {
          return { name: 'tensorflow', detail: '@tensorflow/tfjs-node-gpu (CUDA)', accelerated: true };
        }
        if (await tryNative('@tensorflow/tfjs-node')) {
          return { name: 'tensorflow', detail: '@tensorflow/tfjs-node (CPU, native)', accelerated: true };
        }
        throw new NcaError(
          'BACKEND_UNAVAILABLE',
          'backend "tensorflow" is not installed: add @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node, or use --backend wasm',
        );
      },
    ],
    [
      'webgpu',
      async () => {
        if (requested === 'auto' && !hardwareGpuPossible()) {
          return null;
        }
        const adapter = await findWebgpuAdapter();
        // A software adapter (lavapipe) is correct but slower than wasm: only on request.
        if (requested === 'auto' && adapter.software) {
          return null;
        }
        await import('@tensorflow/tfjs-backend-webgpu');
        return {
          name: 'webgpu',
          detail: `@tensorflow/tfjs-backend-webgpu on ${adapter.description}${adapter.software ? ', a software adapter' : ''}`,
          accelerated: !adapter.software,
        };
      },
    ],
    [
      'wasm',
      async () => {
        await import('@tensorflow/tfjs-backend-wasm');
        return { name: 'wasm', detail: '@tensorflow/tfjs-backend-wasm (single-threaded, SIMD)', accelerated: false };
      },
    ],
    [
      'cpu',
      async () => {
        await import('@tensorflow/tfjs-backend-cpu');
        return { name: 'cpu', detail: '@tensorflow/tfjs-backend-cpu (plain JavaScript)', accelerated: false };
      },
    ],
  ];
  const chosen = requested === 'auto' ? candidates : candidates.filter(([name]) => name === requested);
  let reason: NcaError | null = null;
  for (const [name, load] of chosen) {
    let info: BackendInfo | null = null;
    try {
      info = await load();
    } catch (error) {
      reason = error instanceof NcaError ? error : reason;
      info = null;
    }
    // setBackend resolves false (and tfjs may quietly keep another backend) when the
    // backend's own initialisation fails, e.g. no adapter for WebGPU: check what is active.
    if (info !== null && (await tf.setBackend(name)) && tf.getBackend() === name) {
      await tf.ready();
      return info;
    }
  }
  // Under `auto` every candidate may fail for its own reason; a named one reports its own.
  throw reason !== null && requested !== 'auto' ? reason : new NcaError('BACKEND_UNAVAILABLE', `backend "${requested}" could not be started`);
}
