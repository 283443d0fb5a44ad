import type { Clock, TimerId } from '../ports/Clock.js';

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

export interface ManualClockOptions {
  /** The starting time, ms since the epoch. Default 1 704 067 200 000 (2024-01-01T00:00:00Z). */
  readonly now?: number;
  /** Seed of `random()`. Default 1. */
  readonly seed?: number;
}

/** mulberry32: a small seeded PRNG with a full 2^32 period, good enough for jitter and for tests that replay a seed. */
export const mulberry32 = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/**
 * A `Clock` whose time moves only when a test says so (`advance`, `runAll`). Timers fire in order of their due time,
 * then of creation, with `now()` set to each one's due time; `random()` is seeded, so jitter is reproducible.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: Timer[] = [];
  readonly #random: () => number;

  constructor(options: ManualClockOptions = {}) {
    this.#now = options.now ?? 1_704_067_200_000;
    this.#random = mulberry32(options.seed ?? 1);
    // Bound, so the clock still works when its methods are passed around detached (as timer libraries do).
    this.now = this.now.bind(this);
    this.setTimeout = this.setTimeout.bind(this);
    this.clearTimeout = this.clearTimeout.bind(this);
    this.random = this.random.bind(this);
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerId {
    const id = this.#nextId++;
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.#timers.push({ id, at: this.#now + delay, callback });
    return id;
  }

  clearTimeout(id: TimerId): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== id);
  }

  random(): number {
    return this.#random();
  }

  /** How many timers are waiting. */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the next timer is due, or `null`. */
  nextDue(): number | null {
    return this.#earliest()?.at ?? null;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (those they schedule too), in order. */
  advance(ms: number): void {
    const until = this.#now + Math.max(0, ms);
    for (let timer = this.#earliest(); timer !== undefined && timer.at <= until; timer = this.#earliest()) {
      this.#fire(timer);
    }
    this.#now = until;
  }

  /**
   * Fires timers in order until none is left, moving time to each. Throws after `limit` timers (default 10 000):
   * a loop that keeps scheduling is a broken test, not a state to wait out.
   */
  runAll(limit = 10_000): void {
    for (let fired = 0; ; fired += 1) {
      const timer = this.#earliest();
      if (timer === undefined) return;
      if (fired >= limit) throw new Error(`ManualClock.runAll: more than ${limit} timers fired`);
      this.#fire(timer);
    }
  }

  /**
   * Like `advance`, but lets promise callbacks run after each timer (and before the first), so asynchronous code
   * that a timer wakes can schedule the next one in time. `turns` microtask turns are given each time.
   */
  async advanceAsync(ms: number, turns = 50): Promise<void> {
    const until = this.#now + Math.max(0, ms);
    await settle(turns);
    for (let timer = this.#earliest(); timer !== undefined && timer.at <= until; timer = this.#earliest()) {
      this.#fire(timer);
      await settle(turns);
    }
    this.#now = until;
    await settle(turns);
  }

  #earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) if (best === undefined || timer.at < best.at) best = timer;
    return best;
  }

  #fire(timer: Timer): void {
    this.#timers = this.#timers.filter((t) => t !== timer);
    this.#now = Math.max(this.#now, timer.at);
    timer.callback();
  }
}

/** Lets `turns` rounds of queued promise callbacks run. */
export const settle = async (turns = 50): Promise<void> => {
  for (let i = 0; i < turns; i += 1) await Promise.resolve();
};
