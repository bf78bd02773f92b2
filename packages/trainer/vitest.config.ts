import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relaxed SIMD, as `nca` turns it on (backends/wasmFlags.ts), for the rollout kernel's fused build.
  test: { include: ['src/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000, fileParallelism: false, execArgv: ['--experimental-wasm-relaxed-simd'] },
});
