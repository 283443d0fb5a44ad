import {
  type Download,
  DownloadError,
  type DownloadEvent,
  type DownloadOptions,
  type DownloadPorts,
  type DownloadResult,
  type DownloadState,
} from '@rdl/core';
import { Listeners, noProgress, refusedDownload } from '@rdl/core/adapter';
import { createDownloadHere } from './createDownloadHere.js';
import { hasSyncAccessHandles } from './fileSystemAccess.js';
import { targetProblem } from './targetProblem.js';
import type { DownloadCommand, FromWorker, ToWorker } from './worker/protocol.js';
import { watchWorkerLife } from './worker/workerLife.js';

/** How `createWorkerDownload` runs its worker. */
export interface WorkerDownloadSettings {
  /** Makes the worker. Default: this package's `worker/downloadWorker.js` as a module worker. */
  readonly worker?: () => Worker;
  /** Asked for new URLs when a presigned URL expired (R18); runs in the page, the worker asks it by message. */
  readonly refreshUrl?: DownloadPorts['refreshUrl'];
  /** Called each time a checkpoint is saved, with the bytes it counts from 0: what a reload would resume from. */
  readonly onCheckpoint?: (bytes: number) => void;
}

const defaultWorker = (): Worker =>
  new Worker(new URL('./worker/downloadWorker.js', import.meta.url), {
    type: 'module',
    name: 'rdl-download',
  });

const terminal: readonly DownloadState[] = ['done', 'failed', 'cancelled'];

/**
 * A `Download` whose fetch, OPFS writes and machine run in a dedicated worker (where sync access handles exist),
 * mirrored here from the worker's messages: `subscribe`, `getSnapshot` and `result` behave as core's. The worker
 * ends once the download is done, failed or cancelled. A worker that fails or ends first (terminated, crashed:
 * see `worker/workerLife.ts`) fails the download with `ERR_IO`.
 */
export const createWorkerDownload = (
  options: DownloadOptions,
  settings: WorkerDownloadSettings = {},
): Download => {
  const worker = (settings.worker ?? defaultWorker)();
  const listeners = new Listeners();
  let state: DownloadState = 'idle';
  let progress = noProgress;
  let settled = false;
  let resolve: (result: DownloadResult) => void = () => {};
  let reject: (error: DownloadError) => void = () => {};
  const result = new Promise<DownloadResult>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  result.catch(() => {});
  const post = (message: ToWorker) => worker.postMessage(message);
  // The worker hears its own `online`/`offline` events; the page's are passed on too (core ignores repeats).
  const online = () => post({ type: 'command', command: 'online' });
  const offline = () => post({ type: 'command', command: 'offline' });
  globalThis.addEventListener('online', online);
  globalThis.addEventListener('offline', offline);
  const endIfFinished = () => {
    if (!settled || !terminal.includes(state)) return;
    globalThis.removeEventListener('online', online);
    globalThis.removeEventListener('offline', offline);
    worker.terminate();
  };
  const emit = (event: DownloadEvent) => {
    if (event.type === 'state') state = event.state;
    if (event.type === 'progress') progress = event.progress;
    listeners.publish(event);
  };
  /** The worker is gone before the download settled: a typed failure, never a `result` left pending. */
  const workerFailed = (message: string) => {
    if (settled) return;
    settled = true;
    const error = new DownloadError({ _tag: 'IoError', message });
    emit({ type: 'state', state: 'failed' });
    emit({ type: 'error', error });
    reject(error);
    globalThis.removeEventListener('online', online);
    globalThis.removeEventListener('offline', offline);
    worker.terminate();
  };
  worker.addEventListener('message', ({ data }: MessageEvent<FromWorker>) => {
    switch (data.type) {
      case 'alive':
        if (data.lock !== null) watchWorkerLife(data.lock, () => workerFailed('the download worker ended'));
        return;
      case 'event':
        emit(
          data.event.type === 'error'
            ? { type: 'error', error: new DownloadError(data.event.failure) }
            : data.event,
        );
        endIfFinished();
        return;
      case 'checkpoint':
        settings.onCheckpoint?.(data.bytes);
        return;
      case 'refreshUrl': {
        const hook = settings.refreshUrl;
        const answer = (urls: { url: string; headUrl?: string } | null) =>
          post({ type: 'refreshed', id: data.id, urls });
        if (hook === undefined) answer(null);
        else hook(data.failed).then(answer, () => answer(null));
        return;
      }
      case 'settled':
        settled = true;
        if (data.outcome.ok) resolve(data.outcome.result);
        else reject(new DownloadError(data.outcome.failure));
        endIfFinished();
        return;
    }
  });
  worker.addEventListener('error', (event) => workerFailed(`the download worker failed: ${event.message}`));
  post({ type: 'open', options, refreshable: settings.refreshUrl !== undefined });
  const command = (name: DownloadCommand) => () => {
    if (!settled) post({ type: 'command', command: name });
  };
  return {
    start: command('start'),
    pause: command('pause'),
    resume: command('resume'),
    cancel: command('cancel'),
    online: command('online'),
    offline: command('offline'),
    subscribe: (listener) => listeners.add(listener),
    getSnapshot: () => ({ state, progress }),
    result,
  };
};

/**
 * Downloads `options.url` into the Origin Private File System as `options.target` (a file name, folders split by
 * `/`), resumably across lost networks and page reloads: the same surface as core's and the Node adapter's
 * `createDownload`. Get the finished file with `getDownloadedFile(target)`.
 *
 * In a page the download runs in a dedicated worker (OPFS sync access handles, no jank on the page), and only
 * `overrides.refreshUrl` can reach it there (the worker asks the page). Other port overrides are objects of this
 * realm that cannot cross to the worker, and running the download here instead would change its storage
 * (`WritableStorage`, a pass over the whole file at each flush) behind the caller's back: they are refused with
 * `ERR_INVALID_INPUT` naming them, before any request. To run a download in the page with your own ports, call
 * `createDownloadHere(options, ports)`. In a dedicated worker, or where there are no workers, the download runs in
 * this realm and every override applies.
 */
export const createDownload = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Download => {
  const problem = targetProblem(options.target);
  if (problem !== null) return refusedDownload(problem);
  if (hasSyncAccessHandles() || typeof Worker === 'undefined') return createDownloadHere(options, overrides);
  const { refreshUrl, ...ports } = overrides;
  const stranded = Object.keys(ports);
  if (stranded.length > 0) {
    return refusedDownload({
      _tag: 'InvalidInput',
      field: 'overrides',
      message: `${stranded.join(', ')} cannot reach the download worker: createDownloadHere(options, ports) runs the download in this page with them`,
    });
  }
  return createWorkerDownload(options, refreshUrl === undefined ? {} : { refreshUrl });
};
