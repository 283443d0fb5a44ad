import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests run on core's sources, so no build step is needed between a change in core and a test here.
const coreSource = (path: string): string => fileURLToPath(new URL(`../core/src/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      // `@rdl/core/<entry>` is `src/<entry>/index.ts`, as core's exports map says for its dist.
      { find: /^@rdl\/core\/(\w+)$/, replacement: coreSource('$1/index.ts') },
      { find: /^@rdl\/core$/, replacement: coreSource('index.ts') },
    ],
  },
  test: {
    reporters: ['default', ['json', { outputFile: '../../.test-results/adapter-node.json' }]],
    include: ['test/**/*.test.ts'],
    // Most files wait on sockets, child processes and paced transfers, not on the CPU: two at a time on two cores
    // (vitest's default is one fewer than the cores) take 40 s where one at a time took 70.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
