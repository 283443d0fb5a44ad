import {
  type Download,
  DownloadError,
  type DownloadEvent,
  type DownloadFailure,
  type DownloadOptions,
  type DownloadPorts,
  type DownloadResult,
  type DownloadState,
  type QueueBindings,
} from '@rdl/core';
import { downloadSurface, guardedDownload, Listeners, noProgress, refusedDownload } from '@rdl/core/adapter';
import { rateLimit } from '@rdl/core/rules';
import { createDownloadHere } from './createDownloadHere.js';
import { hasSyncAccessHandles } from './fileSystemAccess.js';
import { targetProblem } from './targetProblem.js';
import { answerRefreshUrl } from './worker/pageRefresh.js';
import { errorLine, postRefusal } from './worker/postRefusal.js';
import type { FromWorker, ToWorker } from './worker/protocol.js';
import { watchWorkerLife } from './worker/workerLife.js';

/** How `createWorkerDownload` runs its worker. */
export interface WorkerDownloadSettings {
  /** Makes the worker. Default: this package's `worker/downloadWorker.js` as a module worker. */
  readonly worker?: () => Worker;
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
 * mirrored here from the worker's messages: `subscribe`, `getSnapshot` and `result` behave as core's. The
 * options' `refreshUrl` runs in the page (the worker asks it by message); their `signal` is heard here, and pauses
 * the worker's download before `result` rejects with `ERR_ABORTED`, as core's does. The worker ends once the
 * download is done, failed, cancelled or aborted. A worker that fails or ends first (terminated, crashed: see
 * `worker/workerLife.ts`) fails the download with `ERR_IO`. Options the worker cannot receive (a function such as
 * `onProgress`, a `Headers`: what structured clone cannot copy) or that cannot be read (a getter that throws) are
 * refused with `ERR_INVALID_INPUT` naming the field, as `createQueue().add` refuses them, and the worker ends.
 */
export const createWorkerDownload = (
  options: DownloadOptions,
  settings: WorkerDownloadSettings = {},
): Download => guardedDownload(() => workerDownload(options, settings));

const workerDownload = (options: DownloadOptions, settings: WorkerDownloadSettings): Download => {
  const { refreshUrl, signal, ...data } = options;
  let worker: Worker;
  try {
    worker = (settings.worker ?? defaultWorker)();
  } catch (error) {
    // A page whose policy forbids workers, a factory that throws: not options that cannot be read.
    return refusedDownload({
      _tag: 'IoError',
      message: `the download worker could not start: ${errorLine(error)}`,
    });
  }
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
  const end = () => {
    globalThis.removeEventListener('online', online);
    globalThis.removeEventListener('offline', offline);
    signal?.removeEventListener('abort', onAbort);
    worker.terminate();
  };
  const endIfFinished = () => {
    if (settled && terminal.includes(state)) end();
  };
  const emit = (event: DownloadEvent) => {
    if (event.type === 'state') state = event.state;
    if (event.type === 'progress') progress = event.progress;
    listeners.publish(event);
  };
  /** Settles here, before the worker would: a failure of the worker itself, or an abort of the caller's signal. */
  const failHere = (failure: DownloadFailure, cause?: unknown) => {
    if (settled) return;
    settled = true;
    const error = new DownloadError(failure, cause === undefined ? {} : { cause });
    if (failure._tag !== 'Aborted') emit({ type: 'state', state: 'failed' });
    emit({ type: 'error', error });
    reject(error);
    end();
  };
  const aborted = () => signal?.aborted === true;
  function onAbort(): void {
    if (state === 'idle' || state === 'paused') failHere({ _tag: 'Aborted' }, signal?.reason);
    else post({ type: 'command', command: 'pause' });
  }
  worker.addEventListener('message', ({ data: message }: MessageEvent<FromWorker>) => {
    switch (message.type) {
      case 'alive':
        // A worker that ends before the download settled (terminated, crashed) answers nothing more.
        if (message.lock !== null) {
          watchWorkerLife(message.lock, () =>
            failHere({ _tag: 'IoError', message: 'the download worker ended' }),
          );
        }
        return;
      case 'event':
        emit(
          message.event.type === 'error'
            ? { type: 'error', error: new DownloadError(message.event.failure) }
            : message.event,
        );
        if (message.event.type === 'state' && message.event.state === 'paused' && aborted()) {
          failHere({ _tag: 'Aborted' }, signal?.reason);
        }
        endIfFinished();
        return;
      case 'checkpoint':
        settings.onCheckpoint?.(message.bytes);
        return;
      case 'refreshUrl':
        answerRefreshUrl(refreshUrl, message, post);
        return;
      case 'settled':
        if (settled) return;
        settled = true;
        if (message.outcome.ok) resolve(message.outcome.result);
        else reject(new DownloadError(message.outcome.failure));
        endIfFinished();
        return;
    }
  });
  worker.addEventListener('error', (event) => {
    failHere({ _tag: 'IoError', message: `the download worker failed: ${event.message}` });
  });
  if (signal !== undefined && !signal.aborted) signal.addEventListener('abort', onAbort, { once: true });
  try {
    post({ type: 'open', options: data, refreshable: refreshUrl !== undefined });
  } catch (error) {
    // Options structured clone cannot copy (a function, a Headers): nothing was sent, and nothing is left running.
    end();
    return refusedDownload(postRefusal(data, error, 'download'));
  }
  return downloadSurface({
    send: (command) => {
      if (command === 'start' && aborted()) failHere({ _tag: 'Aborted' }, signal?.reason);
      else if (!settled) post({ type: 'command', command });
    },
    listeners,
    snapshot: () => ({ state, progress }),
    result,
    // Checked here, so that a bad value throws to the caller as core's own download would, not in the worker.
    setRateLimit: (bytesPerSecond) => {
      const checked = rateLimit(bytesPerSecond, options.lowSpeedLimit ?? 0);
      if (checked._tag === 'Left') throw new DownloadError(checked.left);
      if (!settled) post({ type: 'rate', bytesPerSecond: checked.right });
    },
  });
};

/**
 * Downloads `options.url` into the Origin Private File System as `options.target` (a file name, folders split by
 * `/`), resumably across lost networks and page reloads: the same surface as core's and the Node adapter's
 * `createDownload`. Get the finished file with `getDownloadedFile(target)`.
 *
 * In a page the download runs in a dedicated worker (OPFS sync access handles, no jank on the page), where
 * `options.refreshUrl` still works (the worker asks the page). Port overrides are objects of this realm that
 * cannot cross to the worker, and running the download here instead would change its storage (`WritableStorage`,
 * a pass over the whole file at each flush) behind the caller's back: they are refused with `ERR_INVALID_INPUT`
 * naming them, before any request. To run a download in the page with your own ports, call
 * `createDownloadHere(options, ports)`. In a dedicated worker, or where there are no workers, the download runs in
 * this realm and every override applies.
 */
export const createDownload = (options: DownloadOptions, overrides: Partial<DownloadPorts> = {}): Download =>
  guardedDownload(() => pageDownload(options, overrides));

const pageDownload = (options: DownloadOptions, overrides: Partial<DownloadPorts>): Download => {
  const problem = targetProblem(options.target);
  if (problem !== null) return refusedDownload(problem);
  if (hasSyncAccessHandles() || typeof Worker === 'undefined') return createDownloadHere(options, overrides);
  const stranded = Object.keys(overrides);
  if (stranded.length > 0) {
    return refusedDownload({
      _tag: 'InvalidInput',
      field: 'overrides',
      message: `${stranded.join(', ')} cannot reach the download worker: createDownloadHere(options, ports) runs the download in this page with them`,
    });
  }
  return createWorkerDownload(options);
};

/**
 * A download run in this realm with the browser ports, tied to a queue (`bindings`, which core's `createQueue`
 * gives): what the queue worker makes of each item. A target that is no OPFS file name is refused first, as
 * `createDownload` refuses it.
 */
export const createBoundDownload = (options: DownloadOptions, bindings: QueueBindings): Download => {
  const problem = targetProblem(options.target);
  if (problem !== null) return refusedDownload(problem);
  return createDownloadHere(options, {}, { queue: bindings });
};

/** One call: `createDownload(options, overrides).start()`. Resolves when the file is there, verified. */
export const download = (
  options: DownloadOptions,
  overrides: Partial<DownloadPorts> = {},
): Promise<DownloadResult> => createDownload(options, overrides).start();
