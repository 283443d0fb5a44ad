/** An opaque timer id returned by `Clock.setTimeout`. */
export type TimerId = unknown;

/**
 * Time and randomness. Core never reads the platform clock, its timers or `Math.random`: they come through here,
 * so tests drive time by hand (`ManualClock`) and jitter is reproducible.
 *
 * The `setTimeout`/`clearTimeout` pair has the shape XState's `Clock` expects, so the same object is given to the
 * actor system.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch (`Date.now()` on a real platform). Used for speed, and `Retry-After` dates. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  /** A uniformly distributed number in [0, 1), for backoff jitter. */
  random(): number;
}
