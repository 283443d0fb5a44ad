import type { Clock } from '@rdl/core';

/** The real clock of a page or worker: `Date.now`, the realm's timers and `Math.random` for jitter. */
export const browserClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id as number),
  random: () => Math.random(),
};
