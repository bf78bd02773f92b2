// The backend names alone, for the CLI's flags: importing them loads no tfjs.
export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * How a training shard's rollout and gradient are computed: `kernel`, core's wasm rollout kernel
 * (the CPU backends' default: it skips the cells that cannot change); `fused`, core's WGSL
 * rollout on the WebGPU device (the webgpu backend's default, skipping the same cells); `tfjs`,
 * core's batchGradient on the tfjs backend in use, op by op (the reference, and the route of
 * native TensorFlow).
 */
export type GradientRoute = 'kernel' | 'fused' | 'tfjs';
export const GRADIENT_ROUTES: readonly GradientRoute[] = ['kernel', 'fused', 'tfjs'];
