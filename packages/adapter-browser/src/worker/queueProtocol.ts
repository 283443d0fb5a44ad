import type { DownloadFailure, DownloadOptions, QueueEvent, QueueItem, QueueOptions } from '@rdl/core';
import { DownloadError } from '@rdl/core';

/** A `QueueEvent` as it crosses `postMessage`: an `Error` loses its class there, so a failure travels as data. */
export type WireQueueEvent =
  | Exclude<QueueEvent, { type: 'failed' }>
  | { readonly type: 'failed'; readonly id: string; readonly failure: DownloadFailure };

export const toWireQueueEvent = (event: QueueEvent): WireQueueEvent =>
  event.type === 'failed' ? { type: 'failed', id: event.id, failure: event.error.failure } : event;

export const fromWireQueueEvent = (event: WireQueueEvent): QueueEvent =>
  event.type === 'failed' ? { type: 'failed', id: event.id, error: new DownloadError(event.failure) } : event;

/** What the page asks of the worker's queue; each is answered once (`answer`), with the items after it. */
export type QueueCall =
  | { readonly op: 'add'; readonly options: DownloadOptions }
  | {
      readonly op: 'pause' | 'resume' | 'cancel' | 'remove';
      readonly id: string;
    }
  | { readonly op: 'forget'; readonly ids: string | readonly string[] }
  | { readonly op: 'move'; readonly id: string; readonly position: number }
  | { readonly op: 'reorder'; readonly ids: readonly string[] }
  | { readonly op: 'pauseAll' | 'resumeAll' | 'idle' | 'flushed' }
  /** A new rate limit over the queue (R44), already checked by the page. */
  | { readonly op: 'rate'; readonly bytesPerSecond: number | null };

/** Page → queue worker. */
export type ToQueueWorker =
  | {
      readonly type: 'open';
      /** The queue's options, checked by the page; no `restore` (a function cannot cross). */
      readonly options: Omit<QueueOptions, 'restore'>;
      readonly databaseName: string;
    }
  | { readonly type: 'call'; readonly id: number; readonly call: QueueCall };

/** Queue worker → page. */
export type FromQueueWorker =
  /** The worker lives, holding the Web Lock `lock` until it ends (`null`: no Web Locks there); see `workerLife.ts`. */
  | { readonly type: 'alive'; readonly lock: string | null }
  /** Another worker (another tab, a page being unloaded) runs a queue over the same database: this one waits. */
  | { readonly type: 'busy' }
  /** The stored items are back (R45): every item, in order. */
  | { readonly type: 'ready'; readonly items: readonly QueueItem[] }
  | { readonly type: 'event'; readonly event: WireQueueEvent }
  /**
   * The answer to call `id`: its value (an added item's id, an idle summary), or the one line of what it threw, and
   * every item after it.
   */
  | {
      readonly type: 'answer';
      readonly id: number;
      readonly outcome:
        | { readonly ok: true; readonly value: unknown }
        | { readonly ok: false; readonly message: string };
      readonly items: readonly QueueItem[];
    };
