import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { defineConfig } from 'vitest/config';

// Unit and component tests in node / jsdom (no WebGL here: the GPU paths run in the browser
// end-to-end tests, test/e2e). Component tests opt into jsdom with a `@vitest-environment` comment.
export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  test: { include: ['src/**/*.test.ts'], testTimeout: 30_000 },
});
