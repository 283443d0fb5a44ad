/**
 * How many connections a segmented download uses (R43): a fixed number when the caller says so (`connections`),
 * else adaptive: it begins with one and, every `GROWTH_STEP_MS`, doubles the count while the last doubling added
 * speed (at least `GROWTH_GAIN` times the speed before it), up to `maxConnections`. A doubling that added too little
 * is taken back and the count settles, so a link that one connection fills keeps one. A server that refuses an extra
 * connection (429, 503, a refused or reset connect) settles it below what it refused.
 */
export interface Growth {
  /** The connections the download may use now. */
  readonly target: number;
  /** The count before the last doubling, which a doubling that adds too little goes back to. */
  readonly previousTarget: number;
  /** When the current count began, and the bytes received then. */
  readonly since: number;
  readonly bytesThen: number;
  /** The speed measured with `previousTarget`, `null` before the first step. */
  readonly previousSpeed: number | null;
  /** No more steps: fixed, capped, a doubling that did not pay, or a refusal. */
  readonly settled: boolean;
}

/** A step of the adaptive growth, in ms of the Clock. */
export const GROWTH_STEP_MS = 250;
/** What a doubling must bring to be kept: this many times the speed before it. */
export const GROWTH_GAIN = 1.25;

export const startGrowth = (
  now: number,
  bytes: number,
  policy: { readonly fixed: number | null; readonly max: number },
): Growth => {
  const target = Math.max(1, policy.fixed ?? 1);
  return {
    target,
    previousTarget: target,
    since: now,
    bytesThen: bytes,
    previousSpeed: null,
    settled: policy.fixed !== null || target >= policy.max,
  };
};

/** The growth once `bytes` have been received at `now` (nothing changes between steps, or once settled). */
export const growAt = (growth: Growth, now: number, bytes: number, max: number): Growth => {
  const elapsed = now - growth.since;
  if (growth.settled || elapsed < GROWTH_STEP_MS) return growth;
  const speed = ((bytes - growth.bytesThen) * 1000) / elapsed;
  if (growth.previousSpeed !== null && speed < growth.previousSpeed * GROWTH_GAIN) {
    return { ...growth, target: growth.previousTarget, settled: true };
  }
  const target = Math.min(max, growth.target * 2);
  return {
    target,
    previousTarget: growth.target,
    since: now,
    bytesThen: bytes,
    previousSpeed: speed,
    settled: target >= max && target === growth.target,
  };
};

/** The server refused an extra connection while `alive` were running: the count settles at those (at least one). */
export const refusedAt = (growth: Growth, alive: number): Growth => ({
  ...growth,
  target: Math.max(1, Math.min(growth.target, alive)),
  settled: true,
});
