import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '../../.test-results/core.json' }]],
    include: ['test/**/*.test.ts'],
    // Core holds no module state (its effects come through ports each test makes), so the files can share one
    // module graph: reloading xstate, fp-ts and fast-check for each of the ~60 files cost 20 of its 28 s.
    isolate: false,
    // A guard against hangs, not a speed test: property tests run thousands of cases on a shared 2-core host.
    testTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/index.ts', 'src/testing/**', 'src/**/*.d.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: { lines: 95 },
    },
  },
});
