import { defineConfig } from 'vitest/config';

// Browser end-to-end tests: real headless Chromium (playwright-core, /usr/bin/chromium) against
// the viewer's dev server. One file at a time: SwiftShader already uses every core.
export default defineConfig({
  test: {
    include: ['e2e/**/*.test.ts'],
    globalSetup: ['e2e/support/setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // SwiftShader shares the 2 cores with the page's workers: a frame can take longer than
    // expect.poll's default second, and a poll only waits as long as the condition needs.
    expect: { poll: { timeout: 15_000 } },
    // Relaxed SIMD, as Chromium has it: the Train view's test resumes the page's run in Node on the same kernel build.
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
