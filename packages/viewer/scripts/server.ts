// A Vite dev server of the viewer on 127.0.0.1 and a free port, for the browser tests and the
// benchmark, with extra folders mounted as plain static files (test models, a built widget).
import { createReadStream } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { createServer } from 'vite';
import type { Plugin, ViteDevServer } from 'vite';

export const VIEWER_ROOT = resolve(import.meta.dirname, '..');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

/** Serves `dir` under `prefix` (which starts and ends with /) before Vite's own middleware. */
function mount(prefix: string, dir: string): Plugin {
  const root = resolve(dir);
  return {
    name: `nca-mount:${prefix}`,
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = decodeURIComponent((req.url ?? '').split('?')[0] ?? '');
        if (!path.startsWith(prefix)) {
          next();
          return;
        }
        const file = normalize(join(root, path.slice(prefix.length)));
        if (file !== root && !file.startsWith(root + sep)) {
          res.statusCode = 403;
          res.end();
          return;
        }
        stat(file).then(
          (info) => {
            if (!info.isFile()) {
              throw new Error('not a file');
            }
            res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
            res.setHeader('Content-Length', info.size);
            res.setHeader('Cache-Control', 'no-store');
            createReadStream(file).pipe(res);
          },
          () => {
            res.statusCode = 404;
            res.end(`not found: ${path}`);
          },
        );
      });
    },
  };
}

/** A port the OS says is free right now. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ViewerServer {
  /** Ends with /. */
  url: string;
  server: ViteDevServer;
  close(): Promise<void>;
}

/** Starts the dev server; `mounts` maps URL prefixes ("/models/distill/") to folders. */
export async function startViewerServer(mounts: Record<string, string> = {}): Promise<ViewerServer> {
  const server = await createServer({
    root: VIEWER_ROOT,
    configFile: resolve(VIEWER_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    plugins: Object.entries(mounts).map(([prefix, dir]) => mount(prefix, dir)),
    server: { host: '127.0.0.1', port: await freePort(), strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (url === undefined) {
    await server.close();
    throw new Error('the viewer dev server did not report its URL');
  }
  return { url, server, close: () => server.close() };
}
