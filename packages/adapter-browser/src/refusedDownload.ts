import {
  type Download,
  DownloadError,
  type DownloadEvent,
  type DownloadFailure,
  type DownloadResult,
  type Progress,
} from '@rdl/core';

const noProgress: Progress = { bytes: 0, total: null, fraction: null, bytesPerSecond: 0, etaSeconds: null };

/**
 * A download refused before it began (R30): `start()` reports `failure` as an `error` event and rejects `result`,
 * as a download failing at once would; nothing is requested, nothing is written.
 */
export const refusedDownload = (failure: DownloadFailure): Download => {
  const listeners = new Set<(event: DownloadEvent) => void>();
  let state: 'idle' | 'failed' = 'idle';
  let reject: (error: DownloadError) => void = () => {};
  const result = new Promise<DownloadResult>((_resolve, rejectResult) => {
    reject = rejectResult;
  });
  // Unobserved until someone awaits it: no unhandled-rejection noise for a caller who only listens to events.
  result.catch(() => {});
  const emit = (event: DownloadEvent) => {
    for (const listener of [...listeners]) listener(event);
  };
  const ignore = () => {};
  return {
    start: () => {
      if (state !== 'idle') return;
      state = 'failed';
      const error = new DownloadError(failure);
      emit({ type: 'state', state: 'failed' });
      emit({ type: 'error', error });
      reject(error);
    },
    pause: ignore,
    resume: ignore,
    cancel: ignore,
    online: ignore,
    offline: ignore,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => ({ state, progress: noProgress }),
    result,
  };
};

/** Why `target` cannot name a file in OPFS, or `null` when it can (R30). */
export const targetProblem = (target: string): DownloadFailure | null => {
  const segments = target.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return {
      _tag: 'InvalidInput',
      field: 'target',
      message: `not a file name in OPFS: ${JSON.stringify(target)} (plain names, folders split by "/")`,
    };
  }
  return null;
};
