import type { Checkpoint } from '../model/checkpoint.js';
import type { RestartReason } from '../model/decision.js';
import type { DownloadFailure } from '../model/failure.js';

/** What the caller sends: the methods of `Download`, one event each. */
export type ControlEvent =
  | { readonly type: 'START' }
  | { readonly type: 'PAUSE' }
  | { readonly type: 'RESUME' }
  | { readonly type: 'CANCEL' }
  | { readonly type: 'ONLINE' }
  | { readonly type: 'OFFLINE' };

/**
 * A passing failure and what the wait before the next attempt is computed from (R25): the server's `Retry-After`,
 * if any, and `random`, the jitter, drawn from the Clock port so that the machine stays pure.
 */
export interface BackoffInputs {
  readonly failure: DownloadFailure;
  readonly retryAfterMs: number | null;
  readonly random: number;
}

/**
 * How one data request ended, as the transfer actor reports it. Every outcome is reported only after the bytes
 * written were flushed and the checkpoint counting them was saved (R20), so the machine can go on from it.
 */
export type TransferOutcome =
  /** Every byte of the resource is on storage (or the stream of unknown length ended, R15). */
  | { readonly _tag: 'Done' }
  /** The server said every byte is already there (416 `*\/L`, R12). */
  | { readonly _tag: 'Complete' }
  /** The answer ended where it said it would, before the end of the resource: ask again from there. */
  | { readonly _tag: 'Continue' }
  /** Throw away every byte and begin again at 0 (R7, R11, R13). */
  | { readonly _tag: 'Restart'; readonly reason: RestartReason }
  /** A passing failure (R25). `progressed`: bytes arrived in this request, which resets the attempt counter. */
  | ({ readonly _tag: 'Retry'; readonly progressed: boolean } & BackoffInputs)
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure }
  /** The machine asked it to stop (pause, cancel). */
  | { readonly _tag: 'Stopped' };

/** What the transfer actor sends its parent. The machine never sees body chunks, only durable steps. */
export type TransferEvent =
  /** A checkpoint was saved after the bytes it counts were flushed (R20). */
  | { readonly type: 'CHECKPOINTED'; readonly checkpoint: Checkpoint }
  /** The request is over; `checkpoint` is the last one saved, `partSize` the size of the part file now. */
  | {
      readonly type: 'TRANSFER_END';
      readonly outcome: TransferOutcome;
      readonly checkpoint: Checkpoint;
      readonly partSize: number;
    };

/** What the machine sends the transfer actor. */
export type TransferCommand = { readonly type: 'STOP' };

export type DownloadMachineEvent = ControlEvent | TransferEvent;
