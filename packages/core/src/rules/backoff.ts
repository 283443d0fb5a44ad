import type { RetryOptions } from '../model/options.js';
import { parseHttpDate } from './validators.js';

/** Whether an answer status is a passing failure worth retrying (R25): 5xx, 408 and 429. Other 4xx are not. */
export const isRetryableStatus = (status: number): boolean =>
  (status >= 500 && status <= 599) || status === 408 || status === 429;

/**
 * The wait a `Retry-After` header asks for, in ms (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date relative to
 * `nowMs` (a date in the past is 0). `null` when missing or malformed.
 */
export const parseRetryAfter = (value: string | undefined, nowMs: number): number | null => {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isSafeInteger(ms) ? ms : Number.MAX_SAFE_INTEGER;
  }
  const date = parseHttpDate(text);
  return date === null ? null : Math.max(0, date - nowMs);
};

/**
 * How long to wait before retry number `attempt` (1 for the first retry), in whole ms.
 *
 * Exponential with full jitter: a uniform pick in `[0, min(maxDelayMs, minDelayMs × factor^(attempt-1)))`, using
 * `random` in [0, 1) from the `Clock`, so many clients failing at once spread out. A `Retry-After` wait is honoured
 * as a floor, and everything is capped by `maxDelayMs`, so a server asking for an hour is asked again sooner.
 */
export const retryDelay = (
  attempt: number,
  retry: Pick<Required<RetryOptions>, 'minDelayMs' | 'maxDelayMs' | 'factor'>,
  random: number,
  retryAfterMs: number | null,
): number => {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(retry.maxDelayMs, retry.minDelayMs * retry.factor ** exponent);
  const unit = Math.min(Math.max(Number.isFinite(random) ? random : 0, 0), 1);
  const jittered = Math.floor(unit * (Number.isFinite(ceiling) ? ceiling : retry.maxDelayMs));
  const wanted = retryAfterMs === null ? jittered : Math.max(jittered, retryAfterMs);
  return Math.max(0, Math.min(retry.maxDelayMs, wanted));
};
