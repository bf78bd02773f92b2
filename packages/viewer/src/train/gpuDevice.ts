import { requestRolloutDevice, type GpuAdapter, type GpuDevice } from '@nca-studio/core/training';

/** A WebGPU device for core's fused rollout, from this worker's navigator.gpu. */
export async function requestGpuDevice(): Promise<GpuDevice> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapter | null> } }).gpu;
  const adapter = gpu === undefined ? null : await gpu.requestAdapter();
  if (adapter === null) {
    throw new Error('this browser has no WebGPU adapter in a worker; choose the wasm kernel or WebGL');
  }
  return requestRolloutDevice(adapter);
}
