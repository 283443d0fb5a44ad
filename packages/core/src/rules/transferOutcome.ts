import type { Decision, TransferOutcome } from '../model/decision.js';
import type { DownloadFailure } from '../model/failure.js';
import { EXPIRED_STATUS } from './expiredSignature.js';

/** Why this side cut a request: the machine asked it to stop, no byte came for the stall timeout, or too few. */
export type CutCause = 'stop' | 'stall' | 'slow';

/** How a streamed answer ended, once what arrived was written, flushed and counted. */
export interface StreamEnd {
  /** Why this side aborted it, `null` when it did not. */
  readonly cut: CutCause | null;
  /** The body failed (a reset, a cut connection), `null` when it ended or was cut by this side. */
  readonly bodyFailure: DownloadFailure | null;
  /** The first byte the answer wrote, and the exclusive end it promised (`null`: until the body ends, R15). */
  readonly start: number;
  readonly end: number | null;
  /** The end of the bytes written, every byte before it included. */
  readonly written: number;
  readonly totalLength: number | null;
  /** What a cut by this side is reported as: a stall (R25), or a body below the minimum speed. */
  readonly stalled: DownloadFailure;
  readonly slow: DownloadFailure;
  readonly random: number;
}

const retry = (failure: DownloadFailure, random: number): TransferOutcome => ({
  _tag: 'Retry',
  failure,
  retryAfterMs: null,
  random,
});

/**
 * What a streamed answer's end means.
 *
 * - Every byte it promised was written: `Done` at the end of the resource (or of a stream of unknown length, R15),
 *   else `Continue` (ask again from there), whatever cut it after its last byte.
 * - Cut by this side before that: `Stopped` for a stop, a passing failure for a stall or a slow body (R25).
 * - A body that failed, or ended short of its promise, is a passing failure: the next request goes on from what was
 *   really written (R10, R26); one whose framing broke is final (R36).
 */
export const streamOutcome = (s: StreamEnd): TransferOutcome => {
  const whole = s.end !== null && s.written >= s.end;
  if (s.cut !== null && !whole) {
    if (s.cut === 'stop') return { _tag: 'Stopped' };
    return retry(s.cut === 'stall' ? s.stalled : s.slow, s.random);
  }
  if (s.bodyFailure?._tag === 'BadResponse' && !whole) return { _tag: 'Fail', failure: s.bodyFailure };
  if (s.bodyFailure !== null && !whole) return retry(s.bodyFailure, s.random);
  if (s.end === null) return { _tag: 'Done' };
  if (!whole) {
    return retry(
      {
        _tag: 'NetworkError',
        message: `the body ended after ${s.written - s.start} of ${s.end - s.start} bytes`,
      },
      s.random,
    );
  }
  return s.totalLength !== null && s.end >= s.totalLength ? { _tag: 'Done' } : { _tag: 'Continue' };
};

/**
 * What an answer that is not appended means for the request (see `classifyResponse`): an expired signature asks
 * the hook (R18), a restart or a passing failure carries the jitter of the wait that may follow.
 */
export const decisionOutcome = (
  decision: Exclude<Decision, { _tag: 'Append' }>,
  random: number,
): TransferOutcome => {
  switch (decision._tag) {
    case 'Retry':
      return { _tag: 'Retry', failure: decision.failure, retryAfterMs: decision.retryAfterMs, random };
    case 'Restart':
      return { _tag: 'Restart', reason: decision.reason, random };
    case 'Complete':
      return decision;
    case 'Fail':
      return decision.failure._tag === 'UrlExpired'
        ? { _tag: 'Expired', url: decision.failure.url, status: EXPIRED_STATUS }
        : decision;
  }
};

/**
 * What a request that got no answer means: a stop, a stall (R25), or the failure itself, a passing one (a final
 * failure, a refused redirect or certificate, never gets here).
 */
export const unansweredOutcome = (
  cut: CutCause | null,
  failure: DownloadFailure,
  stalled: DownloadFailure,
  random: number,
): TransferOutcome => {
  if (cut === 'stop') return { _tag: 'Stopped' };
  return retry(cut === 'stall' ? stalled : failure, random);
};
