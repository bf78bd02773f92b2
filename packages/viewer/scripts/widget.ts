// Builds the <nca-viewer> module into a folder (the browser tests test the real bundle).
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { VIEWER_ROOT } from './server.ts';

/** The file vite.widget.config.ts writes. */
const WIDGET_FILE = 'nca-viewer.js';

export async function buildWidget(outDir: string): Promise<string> {
  await build({
    root: VIEWER_ROOT,
    configFile: resolve(VIEWER_ROOT, 'vite.widget.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return join(outDir, WIDGET_FILE);
}
