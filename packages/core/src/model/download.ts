import type { CheckpointStore } from '../ports/CheckpointStore.js';
import type { Clock } from '../ports/Clock.js';
import type { Hasher } from '../ports/Hasher.js';
import type { HttpPort } from '../ports/HttpPort.js';
import type { StoragePort } from '../ports/StoragePort.js';
import type { Validators } from './checkpoint.js';
import type { ChecksumCheck } from './checksum.js';
import type { DownloadError } from './DownloadError.js';
import type { RestartReason } from './decision.js';
import type { DownloadFailure } from './failure.js';

/** The platform a download runs on: every effect core needs, injected by an adapter. */
export interface DownloadPorts {
  readonly http: HttpPort;
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly clock: Clock;
  readonly hasher: Hasher;
}

/**
 * Where the download is, as callers see it. `pausing`: a pause was asked, the checkpoint is being saved and the file
 * closed (R24); `paused` follows. `failed`, `cancelled` and `done` are final, and come only once the file is closed.
 */
export type DownloadState =
  | 'idle'
  | 'preparing'
  | 'heading'
  | 'downloading'
  | 'waiting'
  | 'verifying'
  | 'pausing'
  | 'paused'
  | 'cancelling'
  | 'cancelled'
  | 'failed'
  | 'done';

/** A progress report (R28). */
export interface Progress {
  /** Bytes of the file on storage, counting those not yet checkpointed. */
  readonly bytes: number;
  /** The total, `null` when unknown (R15). */
  readonly total: number | null;
  /** `bytes / total` in [0, 1], `null` when the total is unknown. */
  readonly fraction: number | null;
  /** Recent speed, bytes a second. */
  readonly bytesPerSecond: number;
  /** Seconds left at the recent speed, `null` when unknown. */
  readonly etaSeconds: number | null;
  /** Connections fetching now: 1 for a single stream, more for a segmented run (R43). */
  readonly connections: number;
}

/** What happened, in order. Subscribe with `download.subscribe`. */
export type DownloadEvent =
  | { readonly type: 'state'; readonly state: DownloadState }
  | { readonly type: 'start'; readonly resumedFrom: number; readonly total: number | null }
  | { readonly type: 'progress'; readonly progress: Progress }
  | { readonly type: 'restart'; readonly reason: RestartReason }
  | {
      readonly type: 'retry';
      readonly attempt: number;
      readonly delayMs: number;
      readonly failure: DownloadFailure;
    }
  /** Something was wrong but handled: a checkpoint that could not be decoded (R22), a part file trimmed (R21). */
  | { readonly type: 'notice'; readonly code: string; readonly message: string }
  | { readonly type: 'done'; readonly result: DownloadResult }
  | { readonly type: 'error'; readonly error: DownloadError };

export interface DownloadResult {
  readonly target: string;
  readonly bytes: number;
  /** Hex SHA-256 of the file when it was computed (`expectedSha256` or `computeSha256`). */
  readonly sha256: string | null;
  /** The checksums the file was checked against and matched (R27): the caller's, and those the server gave. */
  readonly checks: readonly ChecksumCheck[];
  readonly validators: Validators;
}

/** A listener of one kind of event. */
export type EventListener<T extends DownloadEvent['type']> = (
  event: Extract<DownloadEvent, { type: T }>,
) => void;

/**
 * One download. Create it with `createDownload(options, ports)`; nothing happens before `start()`.
 * Every method is safe to call in any state: a call that makes no sense there is ignored.
 */
export interface Download {
  /** Begins, or goes on from the checkpoint on storage. Returns `result`. */
  start(): Promise<DownloadResult>;
  /**
   * Stops the network, flushes, saves the checkpoint and closes the file (R24). A save that fails then makes the
   * download `failed` with that error, never `paused`.
   */
  pause(): void;
  /** Goes on after `pause()`, or at once out of a retry wait. */
  resume(): void;
  /** Stops and deletes the part file and the checkpoint (R24). `result` rejects with `ERR_CANCELLED`. */
  cancel(): void;
  /**
   * A new rate limit from now on (R44), in bytes a second over all its connections; `null` lifts it. A value that is
   * not a positive number, or is under `lowSpeedLimit`, throws a `DownloadError` (`ERR_INVALID_INPUT`) and changes
   * nothing. Takes effect at the next read of each connection.
   */
  setRateLimit(bytesPerSecond: number | null): void;
  /** Network hints: `online()` cuts a retry wait short; `offline()` pauses retries until `online()`. */
  online(): void;
  offline(): void;
  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: DownloadEvent) => void): () => void;
  /** Calls `listener` for every event of `type` from now on; returns the unsubscribe function. */
  on<T extends DownloadEvent['type']>(type: T, listener: EventListener<T>): () => void;
  /** The current state and the latest progress. */
  getSnapshot(): { readonly state: DownloadState; readonly progress: Progress };
  /** Resolves when the file is complete and verified; rejects with a `DownloadError` on failure or cancel. */
  readonly result: Promise<DownloadResult>;
}
