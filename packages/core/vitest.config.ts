import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Relaxed SIMD, as the trainer turns it on: both builds of the rollout kernel are tested.
  test: { include: ['src/**/*.test.ts'], setupFiles: ['./vitest.setup.ts'], testTimeout: 60_000, execArgv: ['--experimental-wasm-relaxed-simd'] },
});
