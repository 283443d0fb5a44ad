import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on core's sources, so no build step is needed between a change in core and a test here.
const coreSource = (path: string): string => fileURLToPath(new URL(`../core/src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@rdl\/core\/testing$/, replacement: coreSource('testing/index.ts') },
      { find: /^@rdl\/core$/, replacement: coreSource('index.ts') },
    ],
  },
  test: {
    reporters: ['default', ['json', { outputFile: '../../.test-results/adapter-node.json' }]],
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
