import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import { sourceAliases } from './demo/sourceAliases.js';
import { chromiumArgs, chromiumPath } from './test/chromium.js';

// Two projects in the Chromium from apt (`playwright install` is never run): `chromium` runs the unit and contract
// tests inside the browser (vitest browser mode); `e2e` drives the demo page from Node with playwright-core (reloads,
// offline, two tabs: what a test inside the page cannot do to itself). `types` checks the surface's types, `node`
// compiles consumer projects against the built declarations.
export default defineConfig({
  resolve: { alias: sourceAliases },
  plugins: [
    {
      // `/__redirect/<url-encoded URL>` on the page's own origin: a 302 there, as a site's download link to a CDN.
      name: 'rdl-same-origin-redirect',
      configureServer(server) {
        server.middlewares.use((req, res, next) => {
          const match = /^\/__redirect\/([^?]+)$/.exec(req.url ?? '');
          if (match === null) {
            next();
            return;
          }
          res.statusCode = 302;
          res.setHeader('Location', decodeURIComponent(match[1] ?? ''));
          res.end();
        });
      },
    },
  ],
  // No dependency discovery: a dependency found mid-run makes vite reload the page under a running test. Every
  // dependency here is ESM and is served as it is.
  optimizeDeps: { noDiscovery: true },
  test: {
    reporters: ['default', ['json', { outputFile: '../../.test-results/adapter-browser.json' }]],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'chromium',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/browser/globalSetup.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['test/types/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          // One Chromium a file; files one after another keep the machine's load (and the timings) calm.
          fileParallelism: false,
        },
      },
    ],
  },
});
