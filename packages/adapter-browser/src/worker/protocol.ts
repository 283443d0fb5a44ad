import type { DownloadEvent, DownloadFailure, DownloadOptions, DownloadResult } from '@rdl/core';

/** A `DownloadEvent` as it crosses `postMessage`: an `Error` loses its class there, so errors travel as data. */
export type WireEvent =
  | Exclude<DownloadEvent, { type: 'error' }>
  | { readonly type: 'error'; readonly failure: DownloadFailure };

/** The commands of `Download`, sent by the page. */
export type DownloadCommand = 'start' | 'pause' | 'resume' | 'cancel' | 'online' | 'offline';

/** Page → worker. */
export type ToWorker =
  | { readonly type: 'open'; readonly options: DownloadOptions; readonly refreshable: boolean }
  | { readonly type: 'command'; readonly command: DownloadCommand }
  /** A new rate limit (R44), already checked by the page. */
  | { readonly type: 'rate'; readonly bytesPerSecond: number | null }
  | { readonly type: 'refreshed'; readonly id: number; readonly outcome: RefreshOutcome };

/**
 * What the page's `refreshUrl` hook did (R18), as plain data: the URLs it answered (`null` for none: the URL
 * expired), or the first line of what it threw or rejected with, which the worker's core reports as Node's does.
 */
export type RefreshOutcome =
  | { readonly ok: true; readonly urls: { url: string; headUrl?: string } | null }
  | { readonly ok: false; readonly message: string };

/** Worker → page. */
export type FromWorker =
  /** The worker lives, holding the Web Lock `lock` until it ends (`null`: no Web Locks there); see `workerLife.ts`. */
  | { readonly type: 'alive'; readonly lock: string | null }
  | { readonly type: 'event'; readonly event: WireEvent }
  /** A checkpoint was saved counting `bytes` from byte 0 (R20): what a reload would resume from. */
  | { readonly type: 'checkpoint'; readonly bytes: number }
  | { readonly type: 'refreshUrl'; readonly id: number; readonly failed: { url: string; status: number } }
  | {
      readonly type: 'settled';
      readonly outcome: { ok: true; result: DownloadResult } | { ok: false; failure: DownloadFailure };
    };
