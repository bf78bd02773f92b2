import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSoftwareAdapter, requestRolloutDevice, type GpuAdapter, type GpuDevice } from '@nca-studio/core/training';
import { NcaError } from '../errors.ts';

/** The GPU Dawn found, as `nca train` reports it. */
export interface WebgpuAdapter {
  /** e.g. "NVIDIA GeForce RTX 3060 (nvidia, ampere)" or "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)". */
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader): correct, but slower than wasm. */
  software: boolean;
}

/** The slice of the WebGPU API used here (the full types live in @webgpu/types). */
interface GpuAdapterLike {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapterLike | null>;
}

const NO_DRIVER_HINT =
  "WebGPU in Node runs on Vulkan here: install your GPU vendor's Vulkan driver and the loader (Debian/Ubuntu: libvulkan1 with " +
  'nvidia-driver, or mesa-vulkan-drivers for AMD/Intel) and check it with `vulkaninfo --summary`';

let gpu: GpuLike | null = null;

/**
 * Makes Dawn's WebGPU the global `navigator.gpu`, which @tensorflow/tfjs-backend-webgpu looks for
 * when it is imported (it registers nothing if the global is missing then). Idempotent.
 */
async function installNavigatorGpu(): Promise<GpuLike> {
  if (gpu !== null) {
    return gpu;
  }
  let dawn: { create(flags: string[]): GpuLike; globals: object };
  try {
    dawn = (await import(/* @vite-ignore */ 'webgpu')) as typeof dawn;
  } catch (error) {
    throw new NcaError(
      'BACKEND_UNAVAILABLE',
      `backend "webgpu" needs the optional package "webgpu" (Dawn for Node, 130 MB, so not installed by default): npm i webgpu@0.6.2 (${firstLine(error)})`,
    );
  }
  Object.assign(globalThis, dawn.globals);
  gpu = dawn.create([]);
  // Node >= 21 defines a read-only `navigator` getter: redefine rather than assign.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return gpu;
}

/**
 * Linux only: whether a hardware GPU could be there at all, a GPU device node (DRM render node,
 * NVIDIA's, or WSL's) and a Vulkan driver manifest, so `--backend auto` skips Dawn (and the
 * warnings it prints on stderr) on the many machines without one. Elsewhere: assume so.
 */
export function hardwareGpuPossible(env: NodeJS.ProcessEnv = process.env, root = '/'): boolean {
  if (process.platform !== 'linux') {
    return true;
  }
  const list = (dir: string): string[] => {
    try {
      return readdirSync(join(root, dir));
    } catch {
      return [];
    }
  };
  const deviceNode = list('dev/dri').some((f) => f.startsWith('renderD')) || list('dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg');
  const driver =
    env.VK_ICD_FILENAMES !== undefined ||
    env.VK_DRIVER_FILES !== undefined ||
    ['usr/share/vulkan/icd.d', 'etc/vulkan/icd.d', 'usr/local/share/vulkan/icd.d'].some((dir) => list(dir).some((f) => f.endsWith('.json')));
  return deviceNode && driver;
}

/** Finds the adapter tfjs will use (it asks for high performance too), or explains why none. */
export async function findWebgpuAdapter(): Promise<WebgpuAdapter> {
  const navigatorGpu = await installNavigatorGpu();
  const adapter = await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    throw new NcaError('BACKEND_UNAVAILABLE', `backend "webgpu": Dawn found no GPU adapter. ${NO_DRIVER_HINT}`);
  }
  return describeAdapter(adapter);
}

let device: Promise<{ device: GpuDevice; adapter: WebgpuAdapter }> | null = null;

/** A device of its own for the fused rollout (tfjs keeps its own), on the adapter tfjs would use. One per process. */
export function webgpuDevice(): Promise<{ device: GpuDevice; adapter: WebgpuAdapter }> {
  device ??= (async () => {
    const navigatorGpu = await installNavigatorGpu();
    const adapter = await navigatorGpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter === null) {
      throw new NcaError('BACKEND_UNAVAILABLE', `backend "webgpu": Dawn found no GPU adapter. ${NO_DRIVER_HINT}`);
    }
    // Dawn's adapter is a full GPUAdapter; GpuAdapterLike names only what describeAdapter reads.
    return { device: await requestRolloutDevice(adapter as GpuAdapterLike & GpuAdapter), adapter: describeAdapter(adapter) };
  })();
  device.catch(() => (device = null));
  return device;
}

export function describeAdapter(adapter: GpuAdapterLike): WebgpuAdapter {
  const info = adapter.info ?? {};
  const name = info.description || info.device || 'unnamed adapter';
  const detail = [info.vendor, info.architecture].filter((s) => s !== undefined && s !== '').join(', ');
  return {
    description: detail === '' ? name : `${name} (${detail})`,
    software: isSoftwareAdapter({ ...info, isFallbackAdapter: info.isFallbackAdapter === true || adapter.isFallbackAdapter === true }),
  };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}

/**
 * For test files: whether the WebGPU tests can run here. With NCA_TEST_WEBGPU=1 (CI, which
 * installs lavapipe) a missing adapter is an error rather than a skip.
 */
export async function webgpuForTests(): Promise<boolean> {
  try {
    await findWebgpuAdapter();
    return true;
  } catch (error) {
    if (process.env.NCA_TEST_WEBGPU === '1') {
      throw error;
    }
    return false;
  }
}
