// A consumer of the browser adapter, compiled with lib DOM and no Node types (see test/node/consumerTypes.test.ts).

import { createDownload, download, getDownloadedFile } from '@rdl/adapter-browser';
import { hasSyncAccessHandles, lockName } from '@rdl/adapter-browser/parts';
import type { DownloadResult } from '@rdl/core';

export const run = async (): Promise<DownloadResult> => {
  const file = createDownload({ url: 'https://example.com/a.bin', target: 'a.bin' });
  file.on('progress', (event) => event.progress.bytes);
  await file.start();
  await getDownloadedFile('a.bin');
  if (hasSyncAccessHandles()) lockName('a.bin');
  return download({ url: 'https://example.com/b.bin', target: 'b.bin' });
};
