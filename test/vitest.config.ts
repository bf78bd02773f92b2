import { defineConfig } from 'vitest/config';

// Cross-package tests: conformance of the CA step, the Distill models, the pipeline. The browser
// end-to-end tests in e2e/ have their own runner.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'e2e/**'],
    setupFiles: ['./setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Files run in parallel, one per core: the fixture runs are split over two files for that.
    maxWorkers: 2,
    // Relaxed SIMD, as `nca` turns it on, for the rollout kernel's fused build.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
