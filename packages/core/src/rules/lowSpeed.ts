/**
 * The minimum-speed rule, as curl's `--speed-limit`/`--speed-time` and aria2's `--lowest-speed-limit`: a body that
 * brings fewer than `limit` bytes a second on average over `timeMs` is cut and retried (R25), so that a server
 * sending a byte now and then (which never trips the stall timer) cannot hold a download for ever. Off when `limit`
 * is 0.
 */
export interface SpeedWindow {
  /** When the window began, and the bytes received then. */
  readonly since: number;
  readonly bytesThen: number;
}

export type SpeedVerdict =
  | { readonly _tag: 'Fast'; readonly window: SpeedWindow }
  | { readonly _tag: 'TooSlow'; readonly bytesPerSecond: number };

export const speedWindowAt = (now: number, bytes: number): SpeedWindow => ({ since: now, bytesThen: bytes });

/**
 * Judges the window once `bytes` are received at `now`: while it is shorter than `timeMs` nothing is decided; once
 * it is that long, an average below `limit` is `TooSlow`, else a new window begins.
 */
export const checkSpeed = (
  window: SpeedWindow,
  now: number,
  bytes: number,
  rule: { readonly limit: number; readonly timeMs: number },
): SpeedVerdict => {
  const elapsed = now - window.since;
  if (rule.limit <= 0 || elapsed < rule.timeMs || elapsed <= 0) return { _tag: 'Fast', window };
  const bytesPerSecond = ((bytes - window.bytesThen) * 1000) / elapsed;
  return bytesPerSecond < rule.limit
    ? { _tag: 'TooSlow', bytesPerSecond }
    : { _tag: 'Fast', window: speedWindowAt(now, bytes) };
};

/**
 * The window with `ms` of the reader's own holding back taken out (a rate limit it waits for, R44): that time is no
 * slowness of the server's, so a limit shared by several bodies (a list's, a run's connections) never trips the
 * minimum speed of one of them.
 */
export const heldBack = (window: SpeedWindow, ms: number): SpeedWindow =>
  ms > 0 ? { since: window.since + ms, bytesThen: window.bytesThen } : window;
