import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for core's wasm rollout kernel, process-wide and before any module is compiled
 * (worker threads inherit them):
 * - optimised code from the start: by default V8 runs a module's first calls on its baseline
 *   compiler and swaps in optimised code only between calls, and the kernel does a whole shard
 *   in one call, so its first iteration ran about 2x slower;
 * - relaxed SIMD (standard since 2024, on by default in browsers, behind a flag in Node 20), so
 *   that the kernel's fused multiply-add build validates; without it the plain build runs.
 */
export function tuneWasm(): void {
  setFlagsFromString('--no-liftoff');
  setFlagsFromString('--experimental-wasm-relaxed-simd');
}
