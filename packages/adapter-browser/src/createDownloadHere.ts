import {
  type CheckpointStore,
  createDownload as createCoreDownload,
  type Download,
  type DownloadOptions,
  type DownloadPorts,
  type QueueBindings,
} from '@rdl/core';
import { MemoryHasher } from '@rdl/core/memory';
import { browserClock } from './browserClock.js';
import { FetchHttp, isCrossOrigin } from './FetchHttp.js';
import { hasSyncAccessHandles } from './fileSystemAccess.js';
import { IdbCheckpointStore } from './IdbCheckpointStore.js';
import { OpfsStorage } from './OpfsStorage.js';
import { withQuotaCheck } from './quota.js';
import { WritableStorage } from './WritableStorage.js';

/**
 * The browser ports for this realm: `fetch` (refusing an answer reached from https over http unless
 * `allowHttpsDowngrade`, R37), OPFS through sync access handles where they exist (a dedicated worker), else through
 * writable streams, IndexedDB checkpoints, the realm's clock and a JavaScript hasher.
 */
export const browserPorts = (
  options: Pick<DownloadOptions, 'allowHttpsDowngrade' | 'conditionalRequests'> = {},
): DownloadPorts => ({
  http: new FetchHttp({
    allowHttpsDowngrade: options.allowHttpsDowngrade === true,
    // An explicit `conditionalRequests: true` is the caller saying its servers allow them in a preflight.
    crossOriginConditionals: options.conditionalRequests === true,
  }),
  storage: hasSyncAccessHandles() ? new OpfsStorage() : new WritableStorage(),
  checkpoints: new IdbCheckpointStore(),
  clock: browserClock,
  hasher: new MemoryHasher(),
});

/**
 * A cross-origin URL gets no conditional headers by default: `If-Range` is not CORS-safelisted and would cost a
 * preflight the server may refuse, while `Range: bytes=N-` alone is safelisted. Core then compares the validators
 * of each 206 itself before writing a byte (R6). An explicit `conditionalRequests` is kept. `FetchHttp` judges each
 * data request's own URL too (`conditionalsAllowed`: a same-origin link may redirect elsewhere); this is for an
 * `HttpPort` that does not.
 */
export const browserOptions = (options: DownloadOptions): DownloadOptions =>
  options.conditionalRequests === undefined && isCrossOrigin(options.url)
    ? { ...options, conditionalRequests: false }
    : options;

/** Extra hooks of a download run in this realm. */
export interface HereHooks {
  /** Called after each checkpoint save with the checkpoint's text. */
  readonly onCheckpointSaved?: (text: string) => void;
  /** What ties the download to the queue that runs it (core's `createQueue` gives them). Default: none. */
  readonly queue?: QueueBindings;
}

const observed = (store: CheckpointStore, onSaved: (text: string) => void): CheckpointStore => ({
  load: (target) => store.load(target),
  remove: (target) => store.remove(target),
  save: (target, text) => async () => {
    const saved = await store.save(target, text)();
    if (saved._tag === 'Right') onSaved(text);
    return saved;
  },
});

/**
 * Runs a download in this realm (page or worker) with the browser ports, `overrides` replacing any of them. Adds
 * what only a browser has: the quota check against `navigator.storage.estimate()` before each data request (R40),
 * and the realm's `online`/`offline` events passed to the download.
 */
export const createDownloadHere = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
  hooks: HereHooks = {},
): Download => {
  const ports = { ...browserPorts(options), ...overrides };
  const checkpoints =
    hooks.onCheckpointSaved === undefined
      ? ports.checkpoints
      : observed(ports.checkpoints, hooks.onCheckpointSaved);
  const download = createCoreDownload(
    browserOptions(options),
    {
      ...ports,
      storage: withQuotaCheck(ports.storage),
      checkpoints,
    },
    hooks.queue,
  );
  const online = () => download.online();
  const offline = () => download.offline();
  globalThis.addEventListener('online', online);
  globalThis.addEventListener('offline', offline);
  download.subscribe((event) => {
    if (event.type === 'state' && ['done', 'failed', 'cancelled'].includes(event.state)) {
      globalThis.removeEventListener('online', online);
      globalThis.removeEventListener('offline', offline);
    }
  });
  return download;
};
