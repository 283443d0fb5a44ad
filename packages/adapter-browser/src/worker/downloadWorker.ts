/**
 * The dedicated worker a browser download runs in: the fetch, the OPFS writes through a sync access handle and the
 * whole core machine live here, off the page's main thread. The page drives it with `ToWorker` messages and
 * mirrors it from `FromWorker` messages (`createDownload` in `../createDownload.ts`).
 */

import type { Download, RefreshedUrls, RefreshUrl } from '@rdl/core';
import { committedPrefix, decodeCheckpoint } from '@rdl/core/rules';
import { createDownloadHere } from '../createDownloadHere.js';
import type { FromWorker, RefreshOutcome, ToWorker } from './protocol.js';
import { holdWorkerLife } from './workerLife.js';

const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ToWorker>) => void): void;
};

let download: Download | null = null;
let nextRefresh = 1;
const refreshes = new Map<number, (outcome: RefreshOutcome) => void>();

const open = (message: Extract<ToWorker, { type: 'open' }>): Download => {
  const refreshUrl: RefreshUrl = (failed) =>
    new Promise((resolve, reject) => {
      const id = nextRefresh++;
      // `urls: null` is a hook that answered no URL: core takes it, as in one realm, for the URL expired.
      refreshes.set(id, (outcome) =>
        outcome.ok ? resolve(outcome.urls as RefreshedUrls) : reject(new Error(outcome.message)),
      );
      scope.postMessage({ type: 'refreshUrl', id, failed: { url: failed.url, status: failed.status } });
    });
  const created = createDownloadHere(
    message.refreshable ? { ...message.options, refreshUrl } : message.options,
    {},
    {
      onCheckpointSaved: (text) => {
        const decoded = decodeCheckpoint(text);
        if (decoded._tag === 'Right')
          scope.postMessage({ type: 'checkpoint', bytes: committedPrefix(decoded.right) });
      },
    },
  );
  created.subscribe((event) => {
    scope.postMessage({
      type: 'event',
      event: event.type === 'error' ? { type: 'error', failure: event.error.failure } : event,
    });
  });
  created.result.then(
    (result) => scope.postMessage({ type: 'settled', outcome: { ok: true, result } }),
    (error: { failure?: unknown }) =>
      scope.postMessage({
        type: 'settled',
        outcome: {
          ok: false,
          failure:
            error.failure !== undefined
              ? (error.failure as never)
              : { _tag: 'IoError', message: `unexpected: ${String(error)}` },
        },
      }),
  );
  return created;
};

holdWorkerLife((lock) => scope.postMessage({ type: 'alive', lock }));

scope.addEventListener('message', ({ data: message }) => {
  switch (message.type) {
    case 'open':
      download ??= open(message);
      return;
    case 'command':
      download?.[message.command]();
      return;
    case 'rate':
      download?.setRateLimit(message.bytesPerSecond);
      return;
    case 'refreshed':
      refreshes.get(message.id)?.(message.outcome);
      refreshes.delete(message.id);
      return;
  }
});
