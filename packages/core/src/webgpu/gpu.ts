// The part of the WebGPU API the fused rollout uses. Dawn's `webgpu` package in Node and
// `navigator.gpu` in a browser both provide it; core builds against ES2022 alone (no DOM or
// Node types), so it names only what it calls, as @webgpu/types spells it.

export interface GpuBuffer {
  readonly size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}

export interface GpuBindGroupLayout {
  readonly label?: string;
}
export interface GpuBindGroup {
  readonly label?: string;
}

export interface GpuComputePipeline {
  getBindGroupLayout(index: number): GpuBindGroupLayout;
}

export interface GpuComputePass {
  setPipeline(pipeline: GpuComputePipeline): void;
  setBindGroup(index: number, group: GpuBindGroup): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}

export interface GpuCommandBuffer {
  readonly label?: string;
}

export interface GpuCommandEncoder {
  beginComputePass(): GpuComputePass;
  clearBuffer(buffer: GpuBuffer, offset?: number, size?: number): void;
  copyBufferToBuffer(source: GpuBuffer, sourceOffset: number, destination: GpuBuffer, destinationOffset: number, size: number): void;
  finish(): GpuCommandBuffer;
}

export interface GpuCompilationMessage {
  readonly message: string;
  readonly type: string;
  readonly lineNum: number;
}

export interface GpuShaderModule {
  getCompilationInfo(): Promise<{ readonly messages: readonly GpuCompilationMessage[] }>;
}

export interface GpuLimits {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
  readonly maxComputeWorkgroupsPerDimension: number;
  readonly maxStorageBuffersPerShaderStage: number;
}

export interface GpuError {
  readonly message: string;
}

export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly queue: {
    writeBuffer(buffer: GpuBuffer, offset: number, data: ArrayBufferView | ArrayBuffer): void;
    submit(buffers: GpuCommandBuffer[]): void;
  };
  readonly lost: Promise<{ readonly message: string }>;
  createBuffer(descriptor: { size: number; usage: number; label?: string }): GpuBuffer;
  createShaderModule(descriptor: { code: string }): GpuShaderModule;
  createComputePipelineAsync(descriptor: { layout: 'auto'; compute: { module: GpuShaderModule; entryPoint: string } }): Promise<GpuComputePipeline>;
  createBindGroup(descriptor: {
    layout: GpuBindGroupLayout;
    entries: Array<{ binding: number; resource: { buffer: GpuBuffer; offset?: number; size?: number } }>;
  }): GpuBindGroup;
  createCommandEncoder(): GpuCommandEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory' | 'internal'): void;
  popErrorScope(): Promise<GpuError | null>;
}

export interface GpuAdapter {
  readonly limits: { readonly maxStorageBufferBindingSize: number; readonly maxBufferSize: number };
  requestDevice(descriptor: { requiredLimits: Record<string, number> }): Promise<GpuDevice>;
}

/**
 * A device for the fused rollout on `adapter`, with the adapter's largest buffers allowed: a
 * batch's rollout outgrows WebGPU's 128 MiB default binding. Dawn's adapters and
 * navigator.gpu's both take it.
 */
export function requestRolloutDevice(adapter: GpuAdapter): Promise<GpuDevice> {
  const { maxStorageBufferBindingSize, maxBufferSize } = adapter.limits;
  return adapter.requestDevice({ requiredLimits: { maxStorageBufferBindingSize, maxBufferSize } });
}

/** GPUBufferUsage's flags. */
export const BUFFER_USAGE = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** GPUMapMode.READ. */
export const MAP_READ = 0x1;
