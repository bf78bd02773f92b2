// The backend names alone, for the CLI's flags: importing them loads no tfjs.
export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

/**
 * How a training shard's rollout and gradient are computed: `kernel`, core's wasm rollout kernel
 * (the CPU backends' default: it skips the cells that cannot change); `tfjs`, core's
 * batchGradient on the tfjs backend in use (the reference, and the route of native TensorFlow
 * and WebGPU).
 */
export type GradientRoute = 'kernel' | 'tfjs';
export const GRADIENT_ROUTES: readonly GradientRoute[] = ['kernel', 'tfjs'];
