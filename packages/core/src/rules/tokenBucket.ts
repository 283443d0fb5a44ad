/**
 * A rate limit as a token bucket (R44): tokens are bytes, they come at `rate` bytes a second up to a burst of
 * `BURST_SECONDS` of it, a read spends what it brought (the count may go below zero: a read's size is the
 * transport's, not ours), and the next read waits until the count is back to zero. Over any window the bytes read
 * are then at most `rate × window`, plus the burst, plus one read: R44's bound for a window of 10 s. Times are ms of
 * the Clock port; `rate` is `null` for no limit.
 */
export interface TokenBucket {
  /** Bytes a second; `null`: no limit. */
  readonly rate: number | null;
  /** Bytes that may be read now without waiting; below zero after a read larger than what was there. */
  readonly tokens: number;
  /** When `tokens` was last brought up to date. */
  readonly at: number;
}

/** The most a bucket holds, in seconds of its rate: what a reader that paused may read at once when it goes on. */
export const BURST_SECONDS = 0.25;

const capacity = (rate: number): number => rate * BURST_SECONDS;

/** A bucket of `rate` at `now`, full: a transfer that begins may read a burst at once. */
export const bucketAt = (rate: number | null, now: number): TokenBucket => ({
  rate,
  tokens: rate === null ? 0 : capacity(rate),
  at: now,
});

/** The bucket at `now`: the tokens that came since `at`, up to the burst. A clock that went back adds none. */
export const refill = (bucket: TokenBucket, now: number): TokenBucket => {
  if (bucket.rate === null) return { ...bucket, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return {
    rate: bucket.rate,
    tokens: Math.min(capacity(bucket.rate), bucket.tokens + (bucket.rate * elapsed) / 1000),
    at: Math.max(bucket.at, now),
  };
};

/** The bucket after a read of `bytes` at `now`. */
export const spend = (bucket: TokenBucket, now: number, bytes: number): TokenBucket => {
  const current = refill(bucket, now);
  return current.rate === null ? current : { ...current, tokens: current.tokens - bytes };
};

/** How long, in ms from `now`, the next read must wait: 0 when the bucket holds tokens (or has no limit). */
export const waitMs = (bucket: TokenBucket, now: number): number => {
  const current = refill(bucket, now);
  if (current.rate === null || current.tokens >= 0) return 0;
  return Math.ceil((-current.tokens * 1000) / current.rate);
};

/**
 * The bucket with a new `rate` from `now` on: what came until now came at the old rate; what was saved is kept up
 * to the new burst, and a debt stays a debt, so lowering the limit takes effect at the next read.
 */
export const withRate = (bucket: TokenBucket, now: number, rate: number | null): TokenBucket => {
  const current = refill(bucket, now);
  if (rate === null) return { rate: null, tokens: 0, at: current.at };
  if (current.rate === null) return bucketAt(rate, current.at);
  return { rate, tokens: Math.min(capacity(rate), current.tokens), at: current.at };
};
