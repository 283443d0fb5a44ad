import type { Clock, TimerId } from '@rdl/core';

/** The platform's clock: `Date.now`, the global timers and `Math.random`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id: TimerId) => clearTimeout(id as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};
