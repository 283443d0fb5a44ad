import { expect, it } from 'vitest';

it('runs in a real Chromium with OPFS', async () => {
  const root = await navigator.storage.getDirectory();
  const handle = await root.getFileHandle('smoke.txt', { create: true });
  const writable = await handle.createWritable();
  await writable.write('hello');
  await writable.close();
  expect(await (await handle.getFile()).text()).toBe('hello');
  await root.removeEntry('smoke.txt');
  expect(navigator.userAgent).toContain('Chrome');
});
