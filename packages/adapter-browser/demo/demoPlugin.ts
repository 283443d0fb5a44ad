import type { Plugin } from 'vite';
import { type FaultServer, patternBytes } from './faultServer.js';

/** The file the demo offers by default: 48 MiB, throttled so that pausing and reloading can be seen. */
export const DEMO_FILE = 'sample.bin';
export const DEMO_SIZE = 48 * 1048576;

/**
 * Serves `/__rdl/config` (where the file server is) and `/__rdl/change?name=` (puts a new version of a file, R11)
 * beside the page, and proxies `/files/*` to the file server so the same file can be fetched same-origin too.
 */
export const demoPlugin = (files: FaultServer): Plugin => {
  let seed = 1;
  return {
    name: 'rdl-demo',
    config: () => ({
      server: {
        proxy: {
          '/files': {
            target: files.origin,
            changeOrigin: false,
            // A cut upstream must cut the page's response too, or the browser waits for the stall timeout.
            configure: (proxy) => {
              proxy.on('proxyRes', (upstream, _req, res) => {
                upstream.on('close', () => {
                  if (!upstream.complete) res.destroy();
                });
              });
            },
          },
        },
      },
    }),
    configureServer: (server) => {
      server.middlewares.use('/__rdl/config', (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ filesOrigin: files.origin, defaultFile: DEMO_FILE }));
      });
      server.middlewares.use('/__rdl/change', (req, res) => {
        const name = new URL(req.url ?? '', 'http://127.0.0.1').searchParams.get('name') ?? DEMO_FILE;
        seed += 1;
        res.end(files.setFile(name, patternBytes(files.sizeOf(name) ?? DEMO_SIZE, seed)));
      });
    },
  };
};
