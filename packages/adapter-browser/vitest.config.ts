import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

/** The Chromium from apt: `playwright install` is never run here. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--disable-sync',
];

const coreSrc = fileURLToPath(new URL('../core/src/', import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^@rdl\/core\/testing$/, replacement: `${coreSrc}testing/index.ts` },
      { find: /^@rdl\/core$/, replacement: `${coreSrc}index.ts` },
    ],
  },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({ launchOptions: { executablePath: chromiumPath, args: chromiumArgs } }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
