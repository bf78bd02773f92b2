import { setFlagsFromString } from 'node:v8';

/**
 * Compiles wasm with V8's optimising compiler from the start. By default V8 runs a module's
 * first calls on its baseline compiler and swaps in optimised code only between calls; the
 * rollout kernel does a whole shard in one call, so its first iteration ran about 2x slower.
 * Process-wide, before any module is compiled (workers inherit it).
 */
export function optimiseWasmEagerly(): void {
  setFlagsFromString('--no-liftoff');
}
