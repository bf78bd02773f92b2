import type { GpuDevice } from '@nca-studio/core';

interface GpuAdapterLike {
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number };
  requestDevice(descriptor: { requiredLimits: Record<string, number> }): Promise<GpuDevice>;
}

/**
 * A WebGPU device for core's fused rollout, from this worker's navigator.gpu, with the adapter's
 * largest buffers allowed (a batch's rollout can outgrow the 128 MiB default).
 */
export async function requestGpuDevice(): Promise<GpuDevice> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  const adapter = gpu === undefined ? null : await gpu.requestAdapter();
  if (adapter === null) {
    throw new Error('this browser has no WebGPU adapter in a worker; choose the wasm kernel or WebGL');
  }
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  return adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize } });
}
