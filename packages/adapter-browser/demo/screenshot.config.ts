import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

// `pnpm --filter @rdl/adapter-browser screenshot`: drives the demo page once and saves docs/browser-demo.png.
export default mergeConfig(
  { ...base, test: { ...base.test, projects: undefined, reporters: ['default'] } },
  defineConfig({ test: { include: ['demo/screenshot.test.ts'], environment: 'node', testTimeout: 120_000 } }),
);
