import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

/**
 * The Distill models' manifests are optional (`pnpm models:distill` writes them from ../shared).
 * Where one is not there, the app is served and built with an empty one, so that a fresh page
 * asks for nothing that answers 404.
 */
function optionalDistillManifests(): Plugin {
  const manifests = new Map([
    ['models/distill/index.json', 'Distill reference models'],
    ['models/distill-textures/index.json', 'Distill texture models'],
  ]);
  const empty = (title: string): string => JSON.stringify({ title, models: [] });
  return {
    name: 'nca-optional-distill-manifests',
    // After Vite's own middleware (public files, mounted test folders): only what they did not serve.
    configureServer(server) {
      return () => {
        server.middlewares.use((req, res, next) => {
          const title = manifests.get((req.url ?? '').split('?')[0]!.slice(1));
          if (title === undefined) {
            next();
            return;
          }
          res.setHeader('Content-Type', 'application/json');
          res.end(empty(title));
        });
      };
    },
    generateBundle() {
      for (const [path, title] of manifests) {
        if (!existsSync(resolve(import.meta.dirname, 'public', path))) {
          this.emitFile({ type: 'asset', fileName: path, source: empty(title) });
        }
      }
    },
  };
}

// The app: `pnpm dev`, and `vite build` -> dist/. The widget has its own build: vite.widget.config.ts.
export default defineConfig({
  base: './',
  // A missing file is a 404 (the model picker skips a manifest that is not there), not index.html.
  appType: 'mpa',
  plugins: [svelte(), optionalDistillManifests()],
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  // Bundled at server start, so the first page load is not reloaded by a late discovery.
  // src/harness/index.ts too: the test and benchmark pages import it (the benchmark's extra
  // kernels, the gradients for training on the page).
  // The Train view's worker too (src/train/trainWorker.ts): its backends are found at start.
  optimizeDeps: {
    entries: ['index.html', 'src/harness/index.ts', 'src/train/trainWorker.ts'],
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgl/dist/base',
      '@tensorflow/tfjs-backend-webgl/dist/register_all_kernels',
    ],
  },
  // The worker imports modules (ES module workers): bundled as such.
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
  server: { host: '127.0.0.1' },
});
