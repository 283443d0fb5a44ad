import type { RestartReason } from '../model/decision.js';
import type { DownloadFailure } from '../model/failure.js';
import type { RetryOptions } from '../model/options.js';
import { retryDelay } from './backoff.js';
import { storedUrl } from './checkpointUrl.js';

/**
 * What counts toward giving up, kept in the machine's context (R25). Progress is measured against `highWater`, not
 * against where a request began: bytes fetched again after a restart, below what the run already held, are not
 * progress, so a server that cuts every body and ignores Range cannot reset the count for ever.
 */
export interface AttemptCount {
  /** Passing failures in a row that brought no byte past `highWater`. */
  readonly attempt: number;
  /** The most bytes this run has held durably of the version it downloads. */
  readonly highWater: number;
  /** Restarts from byte 0 in this run: their own bound, `retry.maxRestarts`. */
  readonly restarts: number;
}

export const noAttempts: AttemptCount = { attempt: 0, highWater: 0, restarts: 0 };

/** The wait before the next attempt, or the end. */
export type AttemptVerdict =
  | { readonly _tag: 'Again'; readonly count: AttemptCount; readonly delayMs: number }
  | { readonly _tag: 'GiveUp'; readonly failure: DownloadFailure };

/** The server's `Retry-After` and the jitter drawn from the Clock port, so that the rule stays pure. */
export interface BackoffDraw {
  readonly retryAfterMs: number | null;
  readonly random: number;
}

/**
 * The count once `heldBytes` are held: more than ever before is progress, which resets the attempts; `slow` bytes
 * (a body cut for being under the minimum speed) never are, or a server sending a little at a time would be kept
 * for ever by the rule meant to leave it.
 */
const counted = (
  count: AttemptCount,
  heldBytes: number,
  slow = false,
): { attempt: number; highWater: number } =>
  heldBytes > count.highWater && !slow
    ? { attempt: 1, highWater: heldBytes }
    : { attempt: count.attempt + 1, highWater: Math.max(count.highWater, heldBytes) };

/**
 * After a passing failure (R25): the attempt after `retry.retries` in a row without progress (a `TooSlow` body is
 * never progress) gives up with
 * `RetriesExhausted`; otherwise wait `retryDelay` (exponential, full jitter, `Retry-After` as a floor, capped).
 */
export const afterFailure = (
  count: AttemptCount,
  input: {
    readonly failure: DownloadFailure;
    readonly heldBytes: number;
    readonly draw: BackoffDraw;
    readonly retry: Required<RetryOptions>;
  },
): AttemptVerdict => {
  const { attempt, highWater } = counted(count, input.heldBytes, input.failure._tag === 'TooSlow');
  if (attempt > input.retry.retries) {
    return { _tag: 'GiveUp', failure: { _tag: 'RetriesExhausted', attempts: attempt, last: input.failure } };
  }
  return {
    _tag: 'Again',
    count: { ...count, attempt, highWater },
    delayMs: retryDelay(attempt, input.retry, input.draw.random, input.draw.retryAfterMs),
  };
};

/**
 * After an expired signature (R18): the `refreshUrl` hook is asked, at most `retry.retries` times in a row without
 * progress; then `UrlExpired`.
 */
export const afterExpiry = (
  count: AttemptCount,
  input: { readonly url: string; readonly heldBytes: number; readonly retry: Required<RetryOptions> },
): AttemptVerdict => {
  const { attempt, highWater } = counted(count, input.heldBytes);
  if (attempt > input.retry.retries)
    return { _tag: 'GiveUp', failure: { _tag: 'UrlExpired', url: storedUrl(input.url) } };
  return { _tag: 'Again', count: { ...count, attempt, highWater }, delayMs: 0 };
};

/**
 * After a restart from byte 0 (R7, R11, R13): at most `retry.maxRestarts` in one run, then `TooManyRestarts`. The
 * first goes at once; the next ones wait with the backoff of their number, so a server that changes its answer at
 * every request is not asked several times a second. A new version (`RESOURCE_CHANGED`) starts a new high-water
 * mark; any other reason keeps it: the same bytes fetched again are not progress.
 */
export const afterRestart = (
  count: AttemptCount,
  input: { readonly reason: RestartReason; readonly random: number; readonly retry: Required<RetryOptions> },
): AttemptVerdict => {
  const restarts = count.restarts + 1;
  if (restarts > input.retry.maxRestarts) {
    return { _tag: 'GiveUp', failure: { _tag: 'TooManyRestarts', restarts, reason: input.reason } };
  }
  return {
    _tag: 'Again',
    count: {
      attempt: count.attempt,
      restarts,
      highWater: input.reason === 'RESOURCE_CHANGED' ? 0 : count.highWater,
    },
    delayMs: restarts === 1 ? 0 : retryDelay(restarts - 1, input.retry, input.random, null),
  };
};

/** A run that goes on from the bytes it holds at its start: those are not progress of its first request. */
export const atRunStart = (count: AttemptCount, heldBytes: number): AttemptCount => ({
  ...count,
  highWater: Math.max(count.highWater, heldBytes),
});
