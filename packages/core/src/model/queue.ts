import type { QueueBindings } from '../api/createDownload.js';
import type { Clock } from '../ports/Clock.js';
import type { QueueStore } from '../ports/QueueStore.js';
import type { QueueItemState, SavedOptions } from '../rules/queueRecord.js';
import type { DownloadError } from './DownloadError.js';
import type { Download, DownloadResult, Progress } from './download.js';
import type { DownloadOptions } from './options.js';

export type { QueueItemState, SavedOptions };

/** Options of `createQueue`. */
export interface QueueOptions {
  /** Downloads running at once. Default 4 (the command's `-j`). */
  readonly concurrency?: number;
  /**
   * Connections open to one origin at a time over all the queue's downloads, shared between those running on it
   * (a segmented download alone takes them all, R43). Default 16, NodeHttp's. Give the transport's own cap.
   */
  readonly maxConnectionsPerOrigin?: number;
  /** Bytes a second over every download of the queue (R44); each may have its own below it. Default none. */
  readonly maxBytesPerSecond?: number | null;
  /**
   * Gives back, for an item read from the store after a restart, what was not stored (R37): a password in its URL,
   * headers that may be secrets (`Authorization`, `Cookie`, …), `refreshUrl`, `signal`. Default: the saved options.
   */
  readonly restore?: (options: SavedOptions, id: string) => DownloadOptions;
  /** Starts nothing until `resumeAll()`. Default false: items start as soon as they are added or restored. */
  readonly paused?: boolean;
}

/** Makes the download of one item: an adapter's `createDownload`, bound to the queue (`QueueBindings`). */
export type DownloadFactory = (options: DownloadOptions, bindings: QueueBindings) => Download;

/** What a queue runs on. */
export interface QueuePorts {
  readonly clock: Clock;
  /** Where the queue is kept (R45). Default: in memory, for this queue only. */
  readonly store?: QueueStore;
  readonly createDownload: DownloadFactory;
}

/** An item as the queue shows it. */
export interface QueueItem {
  readonly id: string;
  readonly url: string;
  readonly target: string;
  readonly state: QueueItemState;
  /** The latest progress while it runs or ran in this process; `null` before. */
  readonly progress: Progress | null;
  /** Why it failed (`failed` only): the code and the one line. */
  readonly failure: { readonly code: string; readonly message: string } | null;
  /** The size of its file (`done` only). */
  readonly bytes: number | null;
}

/** The queue's counts: every item is in one of them. */
export interface QueueSummary {
  readonly total: number;
  readonly queued: number;
  readonly running: number;
  readonly paused: number;
  readonly done: number;
  readonly failed: number;
  readonly cancelled: number;
}

/** What happened in the queue, in order. Every event of an item carries its id. */
export type QueueEvent =
  | { readonly type: 'added'; readonly id: string; readonly url: string; readonly target: string }
  | { readonly type: 'started'; readonly id: string }
  | { readonly type: 'progress'; readonly id: string; readonly progress: Progress }
  | { readonly type: 'paused'; readonly id: string }
  | { readonly type: 'retrying'; readonly id: string; readonly attempt: number; readonly delayMs: number }
  | { readonly type: 'done'; readonly id: string; readonly result: DownloadResult }
  | { readonly type: 'failed'; readonly id: string; readonly error: DownloadError }
  | { readonly type: 'cancelled'; readonly id: string }
  | { readonly type: 'removed'; readonly id: string }
  /** Handled trouble: a stored item that could not be read back (dropped), a store that failed to save. */
  | { readonly type: 'notice'; readonly code: string; readonly message: string }
  /** Nothing is queued or running any more. */
  | { readonly type: 'idle'; readonly summary: QueueSummary };

/** The `Download` of one item: the usual surface, and its id in the queue. */
export interface QueuedDownload extends Download {
  readonly id: string;
}

/** Many downloads, run a few at a time in order, kept across restarts (R45). */
export interface Queue {
  /**
   * Resolves once the items kept in the store are back (they start as they load, unless `paused`). They keep their
   * ids: one added before whose id a stored item has gets one past every stored id then (its `Download`'s `id`).
   */
  readonly ready: Promise<void>;
  /**
   * Adds a download at the end; it starts when its turn comes. Its options are checked when it starts (R30): a bad
   * one fails that item (`failed`, `ERR_INVALID_INPUT`), never the queue; so do options that are no object or cannot
   * be read (`add` reads their own fields once, and never throws). Once `close()` is asked nothing is added nor
   * stored: the `Download` returned is refused (`ERR_INVALID_INPUT`, field `queue`), its `id` empty.
   */
  add(options: DownloadOptions): QueuedDownload;
  /** The `Download` of an item (also of one restored from the store), `undefined` for an unknown id. */
  get(id: string): QueuedDownload | undefined;
  /** Moves an item to `position` (0 is the first; past the end is the last), as aria2's `changePosition`. */
  move(id: string, position: number): void;
  /**
   * Puts the items of `ids` first, in that order, the others after them as they were (an unknown id, or one named
   * again, is passed over): a whole list put in place in one pass, where a `move` an item would shift the order
   * once for each. Only the items whose order had to change are written.
   */
  reorder(ids: readonly string[]): void;
  /** Pauses one item: a running one stops and keeps its checkpoint (R24); a queued one waits until `resume`. */
  pause(id: string): void;
  /** Queues again a paused, failed or cancelled item (a failed or cancelled one starts afresh or from its bytes). */
  resume(id: string): void;
  /** Stops an item and deletes its part file and checkpoint (R24); it stays listed as `cancelled`. */
  cancel(id: string): void;
  /** Cancels an unfinished item and forgets it; a finished one is forgotten, its file kept. */
  remove(id: string): void;
  /**
   * Forgets an item that is not running, leaving whatever it has on storage as it is (its file, or its part file and
   * checkpoint, which a later download of the same target resumes from). A running item is not forgotten. Given
   * several ids, forgets them all in one pass over the order, in time linear in the queue's length however many
   * they are (one id at a time, each forget shifts the order).
   */
  forget(ids: string | readonly string[]): void;
  /** Pauses every item, and starts nothing until `resumeAll`. */
  pauseAll(): void;
  /** Undoes `pauseAll`, and queues again every paused item. */
  resumeAll(): void;
  /** The rate limit over all downloads of the queue from now on (R44); `null` lifts it. Throws on a bad value. */
  setRateLimit(bytesPerSecond: number | null): void;
  /** Every item, in order. */
  items(): readonly QueueItem[];
  summary(): QueueSummary;
  /** Resolves once nothing is queued or running (paused, failed, cancelled and done items may remain). */
  idle(): Promise<QueueSummary>;
  /** Resolves once every change so far is in the store. */
  flushed(): Promise<void>;
  /**
   * Stops the queue, as a kill would but tidily: every running download pauses where it is (its checkpoint saved),
   * nothing starts or resumes after, every change is stored and the store is closed (`QueueStore.close`). Items keep
   * the states they are stored with (a running one as queued), so a queue made again over the store goes on with
   * them. A pause, cancel or removal under way ends first. `idle()` then resolves, and the `result` of every item
   * left queued or paused rejects with `ERR_ABORTED` (its bytes kept, as an aborted download's).
   */
  close(): Promise<void>;
  subscribe(listener: (event: QueueEvent) => void): () => void;
  on<T extends QueueEvent['type']>(
    type: T,
    listener: (event: Extract<QueueEvent, { type: T }>) => void,
  ): () => void;
}
