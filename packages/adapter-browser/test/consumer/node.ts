// A consumer of the Node adapter, compiled with @types/node and no DOM (see test/node/consumerTypes.test.ts).

import { createDownload, download, NodeHttp, nodePorts } from '@rdl/adapter-node';
import { checkpointPathOf, isStreamTarget } from '@rdl/adapter-node/files';
import type { DownloadResult } from '@rdl/core';

export const run = async (): Promise<DownloadResult> => {
  const file = createDownload(
    { url: 'https://example.com/a.bin', target: '/tmp/a.bin' },
    { http: new NodeHttp() },
  );
  file.on('done', (event) => event.result.bytes);
  await file.start();
  nodePorts();
  if (isStreamTarget('/tmp/a.bin')) checkpointPathOf('/tmp/a.bin');
  return download({ url: 'https://example.com/b.bin', target: '/tmp/b.bin' });
};
