import {
  createQueue as createCoreQueue,
  DownloadError,
  type DownloadOptions,
  type Queue,
  type QueueEvent,
  type QueueItem,
  type QueueOptions,
  type QueueSummary,
} from '@rdl/core';
import { Listeners, readOptions } from '@rdl/core/adapter';
import { MemoryQueueStore } from '@rdl/core/memory';
import { rateLimit } from '@rdl/core/rules';
import { browserClock } from './browserClock.js';
import { postRefusal } from './worker/postRefusal.js';
import {
  type FromQueueWorker,
  fromWireQueueEvent,
  type QueueCall,
  type ToQueueWorker,
} from './worker/queueProtocol.js';
import { watchWorkerLife } from './worker/workerLife.js';

/** Connections a browser opens to one origin over HTTP/1.1 (Chromium's and Firefox's cap), the queue's default. */
const BROWSER_CONNECTIONS_PER_ORIGIN = 6;

/** Options of the browser queue. */
export interface BrowserQueueOptions extends Omit<QueueOptions, 'restore'> {
  /**
   * The IndexedDB database the queue is kept in (R45, `IdbQueueStore`): a queue created again over it after a reload
   * goes on with the same items. Default `'rdl-queue'`. One page at a time runs a queue over one database (a Web Lock
   * held by its worker): another one says so by a `QUEUE_BUSY` notice and waits, its `ready` and calls with it, until
   * the first is closed (a tab closed, a page reloaded).
   */
  readonly databaseName?: string;
  /** Makes the worker. Default: this package's `worker/queueWorker.js` as a module worker. */
  readonly worker?: () => Worker;
}

/**
 * Core's `Queue` as the page sees it: the queue runs in a worker, so `add` resolves the new item's id once the worker
 * has it, and there is no per-item `Download` (`get`); `items()` and `summary()` are the page's mirror of the worker's
 * queue, current as of the last event.
 */
export interface BrowserQueue extends Omit<Queue, 'add' | 'get' | 'close'> {
  /**
   * Adds a download at the end; resolves its id. What cannot cross to the worker is refused, `ERR_INVALID_INPUT`:
   * `refreshUrl`, `signal`, and any value structured clone cannot copy (a function, a `Headers`, a `Proxy`, a throwing
   * getter), naming the field.
   */
  add(options: DownloadOptions): Promise<string>;
  /** Ends the worker: every running download stops where it is, to go on from its checkpoint on the next queue. */
  close(): void;
}

const defaultWorker = (): Worker =>
  new Worker(new URL('./worker/queueWorker.js', import.meta.url), { type: 'module', name: 'rdl-queue' });

/** What an event does to the item it names, in the page's mirror. */
const applied = (item: QueueItem, event: QueueEvent): QueueItem => {
  switch (event.type) {
    case 'started':
      return { ...item, state: 'running', failure: null };
    case 'progress':
      return { ...item, progress: event.progress };
    case 'paused':
      return { ...item, state: 'paused' };
    case 'done':
      return { ...item, state: 'done', bytes: event.result.bytes, failure: null };
    case 'failed':
      return { ...item, state: 'failed', failure: { code: event.error.code, message: event.error.message } };
    case 'cancelled':
      return { ...item, state: 'cancelled' };
    default:
      return item;
  }
};

/**
 * A queue of downloads into OPFS (core's `createQueue`, R45) run in one dedicated worker, kept in IndexedDB: after a
 * reload, a queue created again over the same database lists the same items, resumes the unfinished ones from their
 * checkpoints, and fetches no finished one again. Each item runs in the worker as `createDownload` runs one (fetch,
 * OPFS sync access handles, the machine), under the queue's rate limit and its per-origin connection share;
 * `maxConnectionsPerOrigin` defaults to 6, the browser's own cap. Bad options throw a `DownloadError`
 * (`ERR_INVALID_INPUT`), checked here by core itself.
 *
 * Stored items keep no secrets (R37): an item whose `Authorization` header or URL password was not stored runs
 * without it after a reload (core's `restore` hook is a function, which cannot reach the worker).
 */
export const createQueue = (options: BrowserQueueOptions = {}): BrowserQueue => {
  const { databaseName, makeWorker, given } = readOptions(
    options,
    ({ databaseName = 'rdl-queue', worker: makeWorker = defaultWorker, ...given }) => ({
      databaseName,
      makeWorker,
      given,
    }),
  );
  const queueOptions = {
    ...given,
    maxConnectionsPerOrigin: given.maxConnectionsPerOrigin ?? BROWSER_CONNECTIONS_PER_ORIGIN,
  };
  // Core checks the options (and throws its own DownloadError) before a worker exists.
  createCoreQueue(
    { ...queueOptions, paused: true },
    { clock: browserClock, store: new MemoryQueueStore(), createDownload: () => never() },
  );
  return new WorkerQueue(makeWorker(), queueOptions, databaseName);
};

const never = (): never => {
  throw new Error('a paused queue starts no download');
};

const counts = (items: Iterable<QueueItem>): QueueSummary => {
  const summary = { total: 0, queued: 0, running: 0, paused: 0, done: 0, failed: 0, cancelled: 0 };
  for (const item of items) {
    summary.total += 1;
    summary[item.state] += 1;
  }
  return summary;
};

class WorkerQueue implements BrowserQueue {
  readonly ready: Promise<void>;
  readonly #worker: Worker;
  readonly #listeners = new Listeners<QueueEvent>();
  /** The worker's items, in order, as of its last message. */
  #items = new Map<string, QueueItem>();
  #nextCall = 1;
  readonly #pending = new Map<
    number,
    { ok: (value: unknown) => void; fail: (error: DownloadError) => void }
  >();
  /** Why the worker is gone, once it is. */
  #ended: string | null = null;
  /** Whether it went because the page closed the queue (`close()`), not by a fault. */
  #closed = false;
  /** Rejects `ready` (nothing once it has resolved). */
  #notReady: (error: DownloadError) => void = () => {};

  constructor(worker: Worker, options: Omit<QueueOptions, 'restore'>, databaseName: string) {
    this.#worker = worker;
    let ready: () => void = () => {};
    this.ready = new Promise((ok, fail) => {
      ready = ok;
      this.#notReady = fail;
    });
    this.ready.catch(() => undefined);
    worker.addEventListener('message', ({ data: message }: MessageEvent<FromQueueWorker>) => {
      switch (message.type) {
        case 'alive':
          if (message.lock !== null) {
            watchWorkerLife(message.lock, () => this.#end('the queue worker ended'));
          }
          return;
        case 'busy':
          this.#listeners.publish({
            type: 'notice',
            code: 'QUEUE_BUSY',
            message: `another page runs the queue ${databaseName}: this one waits until it closes`,
          });
          return;
        case 'ready':
          this.#mirror(message.items);
          ready();
          return;
        case 'event':
          this.#heard(fromWireQueueEvent(message.event));
          return;
        case 'answer': {
          this.#mirror(message.items);
          const pending = this.#pending.get(message.id);
          this.#pending.delete(message.id);
          if (message.outcome.ok) pending?.ok(message.outcome.value);
          else pending?.fail(ioError(message.outcome.message));
          return;
        }
      }
    });
    worker.addEventListener('error', (event) => this.#end(`the queue worker failed: ${event.message}`));
    this.#post({ type: 'open', options, databaseName });
  }

  #post(message: ToQueueWorker): void {
    this.#worker.postMessage(message);
  }

  #call<A>(call: QueueCall): Promise<A> {
    if (this.#ended !== null) return Promise.reject(this.#endedError());
    const id = this.#nextCall++;
    const answered = new Promise<A>((ok, fail) => {
      this.#pending.set(id, { ok: ok as (value: unknown) => void, fail });
    });
    try {
      this.#post({ type: 'call', id, call });
    } catch (error) {
      this.#pending.delete(id);
      throw error;
    }
    return answered;
  }

  /** Fire and forget: a command's effect shows in events and the next mirror; a gone worker is said by a notice. */
  #command(call: QueueCall): void {
    this.#call(call).catch(() => undefined);
  }

  /** What a call once the worker is gone gets: after `close()`, core's refusal of an `add` after it. */
  #endedError(): DownloadError {
    return this.#closed
      ? new DownloadError({
          _tag: 'InvalidInput',
          field: 'queue',
          message: 'closed: a call after close() does nothing',
        })
      : ioError(this.#ended ?? 'the queue worker ended');
  }

  /**
   * The worker is gone: every call waiting for it, and `ready` if it has not resolved (a `close()` before the worker
   * said it was alive), reject, never a hang; after `close()` as `ERR_ABORTED` (nothing failed), else `ERR_IO`.
   */
  #end(why: string, closed = false): void {
    if (this.#ended !== null) return;
    this.#ended = why;
    this.#closed = closed;
    const error = closed ? new DownloadError({ _tag: 'Aborted' }) : ioError(why);
    for (const { fail } of this.#pending.values()) fail(error);
    this.#notReady(error);
    this.#pending.clear();
    this.#listeners.publish({ type: 'notice', code: 'QUEUE_WORKER_ENDED', message: why });
  }

  #mirror(items: readonly QueueItem[]): void {
    this.#items = new Map(items.map((item) => [item.id, item]));
  }

  #heard(event: QueueEvent): void {
    if (event.type === 'added') {
      this.#items.set(event.id, {
        id: event.id,
        url: event.url,
        target: event.target,
        state: 'queued',
        progress: null,
        failure: null,
        bytes: null,
      });
    } else if (event.type === 'removed') {
      this.#items.delete(event.id);
    } else if ('id' in event) {
      const item = this.#items.get(event.id);
      if (item !== undefined) this.#items.set(event.id, applied(item, event));
    }
    this.#listeners.publish(event);
  }

  add(options: DownloadOptions): Promise<string> {
    const refused = (field: string, why: string) =>
      Promise.reject<string>(
        new DownloadError({ _tag: 'InvalidInput', field, message: `cannot reach the queue worker${why}` }),
      );
    try {
      // Options that are no object cross as they are: the worker's queue fails that item, as core's does.
      if (typeof options === 'object' && options !== null) {
        if (options.refreshUrl !== undefined) return refused('refreshUrl', '');
        if (options.signal !== undefined) return refused('signal', '');
      }
      return this.#call<string>({ op: 'add', options });
    } catch (error) {
      // A getter that throws, or a value structured clone cannot copy (a function, a Proxy): nothing was sent.
      return Promise.reject<string>(new DownloadError(postRefusal(options, error, 'queue')));
    }
  }

  move(id: string, position: number): void {
    this.#command({ op: 'move', id, position });
  }

  reorder(ids: readonly string[]): void {
    this.#command({ op: 'reorder', ids: [...ids] });
  }

  pause(id: string): void {
    this.#command({ op: 'pause', id });
  }

  resume(id: string): void {
    this.#command({ op: 'resume', id });
  }

  cancel(id: string): void {
    this.#command({ op: 'cancel', id });
  }

  remove(id: string): void {
    this.#command({ op: 'remove', id });
  }

  forget(ids: string | readonly string[]): void {
    this.#command({ op: 'forget', ids: typeof ids === 'string' ? ids : [...ids] });
  }

  pauseAll(): void {
    this.#command({ op: 'pauseAll' });
  }

  resumeAll(): void {
    this.#command({ op: 'resumeAll' });
  }

  setRateLimit(bytesPerSecond: number | null): void {
    const checked = rateLimit(bytesPerSecond, 0);
    if (checked._tag === 'Left') throw new DownloadError(checked.left);
    this.#command({ op: 'rate', bytesPerSecond: checked.right });
  }

  items(): readonly QueueItem[] {
    return [...this.#items.values()];
  }

  summary(): QueueSummary {
    return counts(this.#items.values());
  }

  idle(): Promise<QueueSummary> {
    return this.#call<QueueSummary>({ op: 'idle' });
  }

  flushed(): Promise<void> {
    return this.#call<void>({ op: 'flushed' });
  }

  subscribe(listener: (event: QueueEvent) => void): () => void {
    return this.#listeners.add(listener);
  }

  on<T extends QueueEvent['type']>(
    type: T,
    listener: (event: Extract<QueueEvent, { type: T }>) => void,
  ): () => void {
    return this.#listeners.add((event) => {
      if (event.type === type) listener(event as Extract<QueueEvent, { type: T }>);
    });
  }

  close(): void {
    this.#worker.terminate();
    this.#end('the queue was closed', true);
  }
}

const ioError = (message: string): DownloadError => new DownloadError({ _tag: 'IoError', message });
