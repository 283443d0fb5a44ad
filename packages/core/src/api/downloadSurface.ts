import type { Download, DownloadEvent, DownloadResult, DownloadState, Progress } from '../model/download.js';
import type { Listeners } from './listeners.js';

/** What a `Download` is made of: its commands, its listeners, its snapshot and its result. */
export interface DownloadParts {
  readonly send: (command: 'start' | 'pause' | 'resume' | 'cancel' | 'online' | 'offline') => void;
  readonly listeners: Listeners;
  readonly snapshot: () => { readonly state: DownloadState; readonly progress: Progress };
  readonly result: Promise<DownloadResult>;
  /** The new rate limit (R44); absent: a download that runs nothing (a refused one) ignores it. */
  readonly setRateLimit?: (bytesPerSecond: number | null) => void;
}

/**
 * The `Download` surface over its parts, the same for core's downloads, refused ones and the adapters' (a worker's
 * mirror in the browser): `start()` returns `result`, `on(type, listener)` hears one kind of event.
 */
export const downloadSurface = ({
  send,
  listeners,
  snapshot,
  result,
  setRateLimit,
}: DownloadParts): Download => ({
  start: () => {
    send('start');
    return result;
  },
  pause: () => send('pause'),
  resume: () => send('resume'),
  cancel: () => send('cancel'),
  setRateLimit: (bytesPerSecond) => setRateLimit?.(bytesPerSecond),
  online: () => send('online'),
  offline: () => send('offline'),
  subscribe: (listener) => listeners.add(listener),
  on: (type, listener) =>
    listeners.add((event) => {
      if (event.type === type) listener(event as Extract<DownloadEvent, { type: typeof type }>);
    }),
  getSnapshot: snapshot,
  result,
});
