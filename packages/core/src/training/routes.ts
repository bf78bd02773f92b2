/**
 * How a training batch's rollout and gradient are computed, one name each in the CLI, the page
 * and the files: `kernel`, core's wasm rollout kernel (it skips the cells that cannot change);
 * `webgpu`, core's fused WGSL rollout on a WebGPU device (skipping the same cells); `tfjs`,
 * core's batchGradient op by op on the tfjs backend in use (the reference; native TensorFlow's
 * route, and WebGL's in a page).
 */
export type GradientRoute = 'kernel' | 'webgpu' | 'tfjs';
export const GRADIENT_ROUTES: readonly GradientRoute[] = ['kernel', 'webgpu', 'tfjs'];

/**
 * The routes that train a texture (docs/design.md §4.9): the ones that run the texture model's
 * options and take the texture loss's gradient into their backward pass.
 */
export const TEXTURE_ROUTES: readonly GradientRoute[] = ['kernel', 'webgpu'];

/** What a WebGPU adapter says of itself (the `GPUAdapterInfo` fields the rule reads). */
export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** An adapter's name as people read it: its info's non-empty fields. */
export function adapterName(info: AdapterInfo): string {
  return [info.vendor, info.architecture, info.device, info.description].filter((part) => part !== undefined && part !== '').join(' ') || 'unnamed adapter';
}

/**
 * The one rule for a software adapter (a CPU implementation of WebGPU: SwiftShader, lavapipe,
 * llvmpipe): correct, but slower than the wasm kernel on the same CPU, so no automatic choice
 * trains on one. The fallback flag, or a known driver's name.
 */
export function isSoftwareAdapter(info: AdapterInfo): boolean {
  return info.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|software/i.test(adapterName(info));
}
