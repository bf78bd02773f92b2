import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { defineConfig, transformWithEsbuild } from 'vite';
import type { Plugin } from 'vite';

const OUT_DIR = 'dist';
const WIDGET_FILE = 'nca-viewer.js';

/**
 * Vite leaves the whitespace of an ES library build (for the consumer's bundler); this file is
 * served as it is, so it is minified whole once rollup has shaken it.
 */
function minifyModule(): Plugin {
  return {
    name: 'nca-widget-minify',
    apply: 'build',
    async renderChunk(code, chunk) {
      const result = await transformWithEsbuild(code, chunk.fileName, { minify: true, format: 'esm', target: 'es2022', legalComments: 'none' });
      return { code: result.code, map: null };
    },
  };
}

/** Prints the widget's size once written: it is the one file a site owner downloads. */
function reportSize(): Plugin {
  let outDir = OUT_DIR;
  return {
    name: 'nca-widget-size',
    apply: 'build',
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const file = resolve(outDir, WIDGET_FILE);
      const { size } = await stat(file);
      console.log(`\n<nca-viewer> widget: ${file} is ${(size / 1024).toFixed(1)} KiB (${size} bytes), one self-contained ES module.\n`);
    },
  };
}

// The <nca-viewer> custom element as one ES module, tfjs included (`vite build -c vite.widget.config.ts`).
export default defineConfig(({ mode }) => {
  return {
    resolve: { dedupe: ['@tensorflow/tfjs-core'] },
    publicDir: false,
    plugins: mode === 'development' ? [reportSize()] : [minifyModule(), reportSize()],
    build: {
      outDir: OUT_DIR,
      // The app build wrote dist/ first; keep it.
      emptyOutDir: false,
      target: 'es2022',
      minify: mode !== 'development',
      reportCompressedSize: true,
      chunkSizeWarningLimit: 4096,
      lib: {
        entry: resolve(import.meta.dirname, 'src/widget/index.ts'),
        formats: ['es'],
        fileName: () => WIDGET_FILE,
      },
      rollupOptions: { output: { inlineDynamicImports: true } },
    },
  };
});
