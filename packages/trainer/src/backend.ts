import * as tf from '@tensorflow/tfjs-core';
import { NcaError, EXIT_FAILURE } from './errors.ts';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

export interface BackendInfo {
  /** The tfjs backend in use: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** What was loaded, for the log and run.json (e.g. "@tensorflow/tfjs-node-gpu (CUDA)"). */
  detail: string;
}

let gradientsRegistered = false;

/**
 * tfjs-core registers no gradients in Node; the @tensorflow/tfjs bundle registers all of them
 * on the same tfjs-core. Without it `minimize` fails with "gradient function not found".
 */
async function registerGradients(): Promise<void> {
  if (!gradientsRegistered) {
    await import('@tensorflow/tfjs');
    gradientsRegistered = true;
  }
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
 * Selects the compute backend (SPEC §4): `auto` tries tfjs-node-gpu, then tfjs-node, then
 * wasm, then cpu. A named backend that cannot load is an error, not a silent fallback.
 */
export async function selectBackend(requested: BackendName): Promise<BackendInfo> {
  await registerGradients();
  const candidates: Array<[string, () => Promise<BackendInfo | null>]> = [
    ['tensorflow', async () => {
      if (await tryNative('@tensorflow/tfjs-node-gpu')) {
        return { name: 'tensorflow', detail: '@tensorflow/tfjs-node-gpu (CUDA)' };
      }
      if (await tryNative('@tensorflow/tfjs-node')) {
        return { name: 'tensorflow', detail: '@tensorflow/tfjs-node (CPU, native)' };
      }
      return null;
    }],
    ['wasm', async () => {
      await import('@tensorflow/tfjs-backend-wasm');
      return { name: 'wasm', detail: '@tensorflow/tfjs-backend-wasm (single-threaded, SIMD)' };
    }],
    ['cpu', async () => {
      await import('@tensorflow/tfjs-backend-cpu');
      return { name: 'cpu', detail: '@tensorflow/tfjs-backend-cpu (plain JavaScript)' };
    }],
  ];
  const chosen = requested === 'auto' ? candidates : candidates.filter(([name]) => name === requested);
  for (const [name, load] of chosen) {
    let info: BackendInfo | null = null;
    try {
      info = await load();
    } catch {
      info = null;
    }
    if (info !== null && (await tf.setBackend(name)) && tf.getBackend() === name) {
      await tf.ready();
      return info;
    }
  }
  throw new NcaError(
    'BACKEND_UNAVAILABLE',
    requested === 'tensorflow'
      ? 'backend "tensorflow" is not installed: add @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node, or use --backend wasm'
      : `backend "${requested}" could not be started`,
    EXIT_FAILURE,
  );
}
