import type { ByteRange, Checkpoint, Validators } from './checkpoint.js';
import type { DownloadFailure } from './failure.js';

/**
 * Why a download began again from byte 0. Reported to the caller (R4, R28) and printed by the CLI as
 * `{"event":"restart","reason":"<code>"}`.
 */
export type RestartReason =
  /** A 200 answered a ranged request (R7). */
  | 'RANGE_IGNORED'
  /**
   * A 206 whose `Content-Range` the platform hides (a browser's CORS answer from a server whose
   * `Access-Control-Expose-Headers` does not name it): no ranged answer can be placed, so the bytes held are of no use
   * and the download begins again on one plain GET (R4, R8).
   */
  | 'RANGE_HIDDEN'
  /** The validators, total or a 412/416 said the resource is another version (R9, R11, R12, R13). */
  | 'RESOURCE_CHANGED'
  /** The checkpoint has no strong validator, so the bytes on disk cannot be trusted (R3, R4). */
  | 'NO_STRONG_VALIDATOR'
  /** The server encodes the body (gzip…), so byte offsets do not address the resource (R5). */
  | 'CONTENT_ENCODED'
  /** The server cannot give ranges, or a total (R15). */
  | 'NOT_RANGEABLE'
  /** The checkpoint could not be decoded (R22). */
  | 'CHECKPOINT_INVALID'
  /**
   * The checkpoint is of another URL (scheme, host, port or path), or of one that differs in its query with no
   * strong ETag to prove the same object (R2, R22).
   */
  | 'URL_CHANGED'
  /**
   * The bytes on disk came from another URL than this run's data requests go to (a redirect that now leads
   * elsewhere, a URL a refresh gave), with no strong ETag on both sides to prove the same object (R11).
   */
  | 'SOURCE_CHANGED'
  /** The part file is missing or shorter than nothing usable (R21). */
  | 'PART_FILE_MISSING'
  /** The finished bytes failed the integrity check and were discarded (R27). */
  | 'INTEGRITY_MISMATCH';

/** What a probe (HEAD, or GET `bytes=0-0` when HEAD is refused, R16) learnt of the resource. */
export interface ProbeResult {
  readonly method: 'HEAD' | 'GET';
  readonly status: number;
  /** The URL that answered after redirects: the data requests of this run go there when the probe went to `url` (R16, R17). */
  readonly finalUrl: string;
  /** Whether the probe's redirects went to another origin on the way (`HttpResponse.leftOrigin`); `null`: unknown. */
  readonly leftOrigin: boolean | null;
  readonly validators: Validators;
  /** The full length, from Content-Length (HEAD) or Content-Range (ranged GET); `null` when unknown. */
  readonly totalLength: number | null;
  /** `Accept-Ranges: bytes` was sent, or the ranged probe answered 206. */
  readonly acceptsRanges: boolean;
  /** The Content-Encoding, lower-cased, `null` for none or identity. */
  readonly contentEncoding: string | null;
}

/** How the run begins, decided from the checkpoint, the part file and the probe. */
export type StartPlan =
  /** Go on at `offset` (the bytes before it are verified by the checkpoint and present on storage). */
  | { readonly _tag: 'Resume'; readonly offset: number; readonly checkpoint: Checkpoint }
  /** Begin at 0 with a fresh checkpoint; `reason` is set when bytes were thrown away. */
  | {
      readonly _tag: 'Fresh';
      readonly reason: RestartReason | null;
      readonly checkpoint: Checkpoint;
    }
  /** Nothing to fetch: a zero-length resource (R14), or every byte already present. Go to verification. */
  | { readonly _tag: 'Complete'; readonly checkpoint: Checkpoint }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

/** The ranged request as it was sent, which is what an answer is judged against. */
export interface RangeRequest {
  /** The first byte asked for. 0 with `ranged: false` is a plain GET. */
  readonly offset: number;
  /** The last byte asked for, inclusive (a segment: `bytes=N-M`), or `null` for `bytes=N-`. */
  readonly lastByte: number | null;
  /** Whether a `Range` header was sent. */
  readonly ranged: boolean;
  /** The conditional header sent with it (R6). */
  readonly condition: 'if-range' | 'if-match' | 'none';
}

/** The status and headers of an answer, without its body. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The URL that answered, after redirects (a link that redirects to a presigned URL); absent: the checkpoint's. */
  readonly url?: string;
  /** The request was redirected: another URL than the one asked answered. */
  readonly redirected?: boolean;
  /** The platform may hide headers the server sent (`HttpResponse.headersFiltered`); absent: it hides none. */
  readonly headersFiltered?: boolean;
}

/** What to do with an answer to a data request. */
export type Decision =
  /**
   * Write the body at `start`. `end` is the exclusive end of the bytes this answer may write (`null`: until the body
   * ends, for a stream of unknown length). Bytes past `end` are never written (R10).
   */
  | {
      readonly _tag: 'Append';
      readonly start: number;
      readonly end: number | null;
      readonly totalLength: number | null;
      readonly validators: Validators;
    }
  /** Throw away every byte and begin again at 0 (never append this body) (R7, R11, R13). */
  | { readonly _tag: 'Restart'; readonly reason: RestartReason }
  /** Every byte is already there (R12). */
  | { readonly _tag: 'Complete' }
  /** A passing failure: wait, then ask again from the bytes written (R25, R26). */
  | { readonly _tag: 'Retry'; readonly failure: DownloadFailure; readonly retryAfterMs: number | null }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure };

/**
 * How one data request ended, as the transfer actor reports it (see `transferOutcome`). Every outcome is reported
 * only after the bytes written were flushed and the checkpoint counting them was saved (R20), so the machine can go
 * on from it. `random` is the jitter of the wait that may follow, drawn from the Clock port.
 */
export type TransferOutcome =
  /** Every byte of the resource is on storage (or the stream of unknown length ended, R15). */
  | { readonly _tag: 'Done' }
  /** The server said every byte is already there (416 `*\/L`, R12). */
  | { readonly _tag: 'Complete' }
  /** The answer ended where it said it would, before the end of the resource: ask again from there. */
  | { readonly _tag: 'Continue' }
  /** Throw away every byte and begin again at 0 (R7, R11, R13). */
  | { readonly _tag: 'Restart'; readonly reason: RestartReason; readonly random: number }
  /** A passing failure (R25): wait, then ask again from the bytes written (R26). */
  | {
      readonly _tag: 'Retry';
      readonly failure: DownloadFailure;
      readonly retryAfterMs: number | null;
      readonly random: number;
    }
  /** The presigned URL expired (R18): ask the caller's hook for new URLs. */
  | { readonly _tag: 'Expired'; readonly url: string; readonly status: number }
  | { readonly _tag: 'Fail'; readonly failure: DownloadFailure }
  /** The machine asked it to stop (pause, cancel). */
  | { readonly _tag: 'Stopped' };

export type { ByteRange };
