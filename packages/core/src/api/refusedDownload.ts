import { DownloadError } from '../model/DownloadError.js';
import type { Download, DownloadResult, Progress } from '../model/download.js';
import type { DownloadFailure } from '../model/failure.js';
import { downloadSurface } from './downloadSurface.js';
import { Listeners } from './listeners.js';

/** The progress of a download that has received nothing. */
export const noProgress: Progress = {
  bytes: 0,
  total: null,
  fraction: null,
  bytesPerSecond: 0,
  etaSeconds: null,
  connections: 0,
};

/**
 * A download refused before it began (R30): bad options, or a target an adapter cannot use. Nothing is requested
 * and nothing is written. Its state is `failed` from the start and `result` has already rejected with the
 * `DownloadError`; `start()` also reports it to subscribers (a `failed` state event, then an `error` event), once,
 * so that a caller who only listens to events learns of it as of any failure. Every other method does nothing.
 * Core's `createDownload` and every adapter's give this same object, so the surfaces behave alike.
 */
export const refusedDownload = (failure: DownloadFailure): Download => {
  const error = new DownloadError(failure);
  const result = Promise.reject<DownloadResult>(error);
  // The caller may never await `result` (a CLI that only subscribes); that is not an unhandled rejection.
  result.catch(() => undefined);
  const listeners = new Listeners();
  let reported = false;
  return downloadSurface({
    send: (command) => {
      if (command !== 'start' || reported) return;
      reported = true;
      listeners.publish({ type: 'state', state: 'failed' });
      listeners.publish({ type: 'error', error });
    },
    listeners,
    snapshot: () => ({ state: 'failed', progress: noProgress }),
    result,
  });
};

/**
 * `make()`, or, when reading the caller's options throws (`null` for options, a getter or a `Proxy` that throws),
 * a download refused with `ERR_INVALID_INPUT` (R30): bad options never throw out of `createDownload`.
 */
export const guardedDownload = (make: () => Download): Download => {
  try {
    return make();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return refusedDownload({ _tag: 'InvalidInput', field: 'options', message: `cannot be read: ${message}` });
  }
};
