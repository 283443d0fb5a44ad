import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { type Demo, DemoTab, MiB, startDemo } from '../test/e2e/demoHarness.js';
import { DEMO_FILE, DEMO_SIZE } from './demoPlugin.js';
import { patternBytes } from './patternBytes.js';

const output = fileURLToPath(new URL('../../../docs/browser-demo.png', import.meta.url));

it('takes the screenshot of the demo page after a download that lost its connection once', async () => {
  const demo: Demo = await startDemo();
  try {
    demo.files.setFile(DEMO_FILE, patternBytes(DEMO_SIZE, 1));
    Object.assign(demo.files.faults, {
      bytesPerTick: 256 * 1024,
      tickMs: 5,
      cutTimes: 1,
      cutAfterBytes: 20 * MiB,
    });
    const context = await demo.browser.newContext({ viewport: { width: 960, height: 900 } });
    const tab = await DemoTab.open(demo, context, {});
    await tab.click('Start');
    await tab.waitFor('sha256', 'v.length === 64');
    await tab.page.screenshot({ path: output, fullPage: true });
    console.log(`saved ${output}`);
  } finally {
    await demo.close();
  }
});
