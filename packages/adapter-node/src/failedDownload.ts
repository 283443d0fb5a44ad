import {
  type Download,
  DownloadError,
  type DownloadFailure,
  type DownloadResult,
  type Progress,
} from '@rdl/core';

const noProgress: Progress = { bytes: 0, total: null, fraction: null, bytesPerSecond: 0, etaSeconds: null };

/**
 * A download refused before it began (R30), as core's `createDownload` gives for refused options: every method is
 * a no-op, the state is `failed`, and `result` has already rejected with the `ERR_INVALID_INPUT` error. Nothing is
 * requested and nothing is written.
 */
export const failedDownload = (failure: DownloadFailure): Download => {
  const result = Promise.reject<DownloadResult>(new DownloadError(failure));
  // The caller may never await `result` (a CLI that only subscribes); that is not an unhandled rejection.
  result.catch(() => undefined);
  const ignore = (): void => undefined;
  return {
    start: ignore,
    pause: ignore,
    resume: ignore,
    cancel: ignore,
    online: ignore,
    offline: ignore,
    subscribe: () => ignore,
    getSnapshot: () => ({ state: 'failed', progress: noProgress }),
    result,
  };
};
