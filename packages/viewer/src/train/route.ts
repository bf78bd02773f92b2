import type { TrainRoute } from './protocol.ts';

/** What the worker's browser offers for training. */
export interface RouteAbilities {
  wasmSimd: boolean;
  webgl2: boolean;
  webgpu: boolean;
}

export class RouteError extends Error {
  override readonly name = 'RouteError';
  readonly code = 'NO_ROUTE';
}

/**
 * Which route trains, and why, in the status line's words. WebGPU is detected and named, but
 * its fused training step (issue #18) is not built yet, and tfjs's op-by-op WebGPU is the slow
 * route that step is to replace, so the wasm kernel trains; tfjs's WebGL backend is the
 * fallback where WebAssembly has no SIMD.
 */
export function chooseRoute(requested: TrainRoute | 'auto', can: RouteAbilities): { route: TrainRoute; reason: string } {
  if (requested === 'kernel' || (requested === 'auto' && can.wasmSimd)) {
    if (!can.wasmSimd) {
      throw new RouteError('the wasm rollout kernel needs WebAssembly SIMD, which this browser does not have; choose WebGL');
    }
    const gpu = can.webgpu ? 'WebGPU is here, but its fused training step is not built yet' : 'no WebGPU in this browser';
    return { route: 'kernel', reason: requested === 'kernel' ? 'chosen' : `the fastest route here (${gpu})` };
  }
  if (!can.webgl2) {
    throw new RouteError(requested === 'webgl' ? 'this browser has no WebGL2 in a worker; choose the wasm kernel' : 'this browser has neither WebAssembly SIMD nor WebGL2 in a worker: nothing here can train');
  }
  return { route: 'webgl', reason: requested === 'webgl' ? 'chosen' : 'no WebAssembly SIMD for the wasm kernel' };
}

/** A module whose one function returns a v128 constant: valid only where wasm has SIMD. */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, ...new Array<number>(16).fill(0), 11]);

export async function detectAbilities(): Promise<RouteAbilities> {
  const wasmSimd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  let webgl2 = false;
  try {
    webgl2 = typeof OffscreenCanvas !== 'undefined' && new OffscreenCanvas(1, 1).getContext('webgl2') !== null;
  } catch {
    webgl2 = false;
  }
  let webgpu = false;
  try {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    webgpu = gpu !== undefined && (await gpu.requestAdapter()) !== null;
  } catch {
    webgpu = false;
  }
  return { wasmSimd, webgl2, webgpu };
}
