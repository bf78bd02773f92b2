import { adapterName, isSoftwareAdapter, TEXTURE_ROUTES } from '@nca-studio/core/routes';
import type { TrainRoute } from './protocol.ts';

/** The worker's WebGPU adapter, as far as the route choice cares. */
export interface WebgpuAbility {
  /** e.g. "google swiftshader" or "nvidia ampere". */
  name: string;
  /** A CPU implementation (SwiftShader, lavapipe): correct, but slower than the wasm kernel. */
  software: boolean;
}

/** What the worker's browser offers for training. */
export interface RouteAbilities {
  wasmSimd: boolean;
  webgl2: boolean;
  webgpu: WebgpuAbility | null;
}

export class RouteError extends Error {
  override readonly name = 'RouteError';
  readonly code = 'NO_ROUTE';
}

/**
 * Which route trains, and why, in the status line's words: `webgpu` (core's fused rollout) on a
 * GPU adapter, else `kernel` (the wasm rollout kernel), else `tfjs` on its WebGL backend. A software adapter is
 * passed over for the kernel, which beats it on the same CPU.
 */
export function chooseRoute(
  requested: TrainRoute | 'auto',
  can: RouteAbilities,
  run: { texture: boolean } = { texture: false },
): { route: TrainRoute; reason: string } {
  if (run.texture) {
    return chooseTextureRoute(requested, can);
  }
  return chooseGrowingRoute(requested, can);
}

const ROUTE_NAMES: Record<TrainRoute, string> = { kernel: 'the wasm kernel', webgpu: 'WebGPU', tfjs: 'tfjs on WebGL' };

/** A texture trains on core's TEXTURE_ROUTES only: the rule above among them. */
function chooseTextureRoute(requested: TrainRoute | 'auto', can: RouteAbilities): { route: TrainRoute; reason: string } {
  const among = TEXTURE_ROUTES.map((route) => ROUTE_NAMES[route]).join(' or ');
  if (requested !== 'auto' && !TEXTURE_ROUTES.includes(requested)) {
    throw new RouteError(`a texture trains on ${among} (its loss enters their backward pass); ${ROUTE_NAMES[requested]} does not run it`);
  }
  const choice = chooseGrowingRoute(requested, can);
  if (TEXTURE_ROUTES.includes(choice.route)) {
    return choice;
  }
  if (!can.wasmSimd) {
    throw new RouteError(`a texture trains on ${among}, and this browser has no WebAssembly SIMD for the kernel`);
  }
  return { route: 'kernel', reason: `a texture trains on ${among}` };
}

function chooseGrowingRoute(requested: TrainRoute | 'auto', can: RouteAbilities): { route: TrainRoute; reason: string } {
  if (requested === 'webgpu' || (requested === 'auto' && can.webgpu !== null && !can.webgpu.software)) {
    if (can.webgpu === null) {
      throw new RouteError('this browser has no WebGPU adapter in a worker; choose the wasm kernel or WebGL');
    }
    return { route: 'webgpu', reason: requested === 'webgpu' ? `chosen (${can.webgpu.name})` : `a GPU adapter (${can.webgpu.name})` };
  }
  if (requested === 'kernel' || (requested === 'auto' && can.wasmSimd)) {
    if (!can.wasmSimd) {
      throw new RouteError('the wasm rollout kernel needs WebAssembly SIMD, which this browser does not have; choose WebGL');
    }
    const gpu = can.webgpu === null ? 'no WebGPU in this browser' : `WebGPU here is a software adapter (${can.webgpu.name}), slower than the kernel`;
    return { route: 'kernel', reason: requested === 'kernel' ? 'chosen' : `the fastest route here (${gpu})` };
  }
  if (!can.webgl2) {
    throw new RouteError(
      requested === 'tfjs'
        ? 'this browser has no WebGL2 in a worker for tfjs; choose the wasm kernel'
        : 'this browser has neither WebAssembly SIMD nor WebGL2 in a worker: nothing here can train',
    );
  }
  return { route: 'tfjs', reason: requested === 'tfjs' ? 'chosen (tfjs on WebGL)' : 'no WebAssembly SIMD for the wasm kernel: tfjs on WebGL' };
}

/** A module whose one function returns a v128 constant: valid only where wasm has SIMD. */
const SIMD_PROBE = new Uint8Array([
  0,
  97,
  115,
  109,
  1,
  0,
  0,
  0,
  1,
  5,
  1,
  96,
  0,
  1,
  123,
  3,
  2,
  1,
  0,
  10,
  22,
  1,
  20,
  0,
  253,
  12,
  ...new Array<number>(16).fill(0),
  11,
]);

interface AdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}

/** The adapter's name and whether it is a CPU implementation (core's one rule). */
export function describeAdapter(adapter: AdapterLike): WebgpuAbility {
  const info = adapter.info ?? {};
  return { name: adapterName(info), software: isSoftwareAdapter(info) };
}

export async function detectAbilities(): Promise<RouteAbilities> {
  const wasmSimd = typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
  let webgl2 = false;
  try {
    webgl2 = typeof OffscreenCanvas !== 'undefined' && new OffscreenCanvas(1, 1).getContext('webgl2') !== null;
  } catch {
    webgl2 = false;
  }
  let webgpu: WebgpuAbility | null = null;
  try {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
    const adapter = gpu === undefined ? null : await gpu.requestAdapter();
    webgpu = adapter === null ? null : describeAdapter(adapter);
  } catch {
    webgpu = null;
  }
  return { wasmSimd, webgl2, webgpu };
}
