import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

// The app: `pnpm dev`, and `vite build` -> dist/. The widget has its own build: vite.widget.config.ts.
export default defineConfig({
  base: './',
  // A missing file is a 404 (the model picker skips a manifest that is not there), not index.html.
  appType: 'mpa',
  plugins: [svelte()],
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  // Bundled at server start, so the first page load is not reloaded by a late discovery.
  // src/index.ts too: the test and benchmark pages import it (and the benchmark's extra kernels).
  optimizeDeps: { entries: ['index.html', 'src/index.ts'], include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgl/dist/base'] },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
});
