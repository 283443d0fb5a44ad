import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../src/machine/actors/rateLimit.js';
import { ManualClock } from '../../src/memory/ManualClock.js';
import { type AbortSignalLike, createAbortHandle } from '../../src/ports/abort.js';
import type { Clock } from '../../src/ports/Clock.js';

// Node's timers, which the real-timer test uses: core's own code is typed without a platform, so they are declared.
declare const setTimeout: (callback: () => void, ms: number) => unknown;
declare const clearTimeout: (id: unknown) => void;
declare const performance: { now(): number };

const KiB = 1024;
const never: AbortSignalLike = {
  aborted: false,
  addEventListener: () => undefined,
  removeEventListener: () => undefined,
};

/** Lets the microtasks of the readers run: each awaits `ready()`, then reads and spends at once. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
};

/**
 * One reader a limit of `limits` (the same one several times, or several under one parent), each reading
 * `readBytes` a time as soon as its limit lets it (a socket with its bytes already there), for `ms` of the manual
 * clock; then `lift` is lifted. How much each read.
 */
const race = async (
  limits: readonly RateLimit[],
  lift: RateLimit,
  clock: ManualClock,
  readBytes: number,
  ms: number,
): Promise<number[]> => {
  const read = limits.map(() => 0);
  let running = true;
  const loops = limits.map(async (limit, i) => {
    while (running) {
      await limit.ready(never);
      if (!running) return;
      limit.spend(readBytes);
      read[i] = (read[i] ?? 0) + readBytes;
      await settle();
    }
  });
  for (let t = 0; t < ms; t += 5) {
    clock.advance(5);
    await settle();
  }
  running = false;
  lift.set(null);
  await Promise.all(loops);
  return read;
};

/** Node's own timers: between two of them the microtasks run, as they do for downloads (a manual clock fires every
 * timer due before any microtask, which lets every waiter go at once and hides who wins a turn). */
const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (id) => clearTimeout(id),
  random: () => Math.random(),
};

/**
 * A limit of 64 KiB/s put in debt by a quarter of a second of reads past its burst, on a manual clock: `wait`
 * queues a reader that notes, in `order`, its name and when (ms from now) it was let go.
 */
const inDebt = () => {
  const clock = new ManualClock();
  const limit = new RateLimit(clock, 64 * KiB);
  limit.spend(32 * KiB);
  const start = clock.now();
  const order: string[] = [];
  const wait = (name: string, signal: AbortSignalLike = never) =>
    limit.ready(signal).then(() => order.push(`${name}@${clock.now() - start}`));
  return { clock, order, wait };
};

describe('RateLimit', () => {
  it('R44: on real timers, readers that share one limit read in turn (none under half its share of 1.5 MiB) and together within the limit', async () => {
    const rate = 1024 * KiB;
    const limit = new RateLimit(realClock, rate);
    const read = [0, 0, 0];
    const goal = 1536 * KiB;
    // Until they read 1.5 MiB together, not for a time: a busy machine only makes it take longer.
    let running = true;
    const started = realClock.now();
    let ended = started;
    const loops = read.map(async (_, i) => {
      while (running) {
        await limit.ready(never);
        if (!running) return;
        // A socket whose bytes are there: the read and its spend come at once, before any timer.
        limit.spend(16 * KiB);
        read[i] = (read[i] ?? 0) + 16 * KiB;
        if (read.reduce((a, b) => a + b, 0) >= goal) {
          running = false;
          ended = realClock.now();
          limit.set(null);
        }
      }
    });
    await Promise.all(loops);
    const total = read.reduce((a, b) => a + b, 0);
    // R44 from above, on the clock the limit reads: the rate over the time it took, plus the burst and one read.
    expect(total).toBeLessThanOrEqual((rate * 1.05 * (ended - started)) / 1_000 + rate * 0.25 + 16 * KiB);
    // Real timers let the microtasks run between two of them, where a manual clock lets every waiter go at once:
    // the turns hold there too, if less evenly than the manual clock's three quarters (below).
    for (const bytes of read) expect(bytes, JSON.stringify(read)).toBeGreaterThanOrEqual((0.5 * total) / 3);
  });

  it('R44: readers that share one limit read in turn: over 10 s none gets under three quarters of its share, and together they keep the limit', async () => {
    const clock = new ManualClock();
    const rate = 256 * KiB;
    const limit = new RateLimit(clock, rate);
    const read = await race([limit, limit, limit], limit, clock, 16 * KiB, 10_000);
    const total = read.reduce((a, b) => a + b, 0);
    // The burst, then the rate: within 1.05 × the limit plus one read (R44).
    expect(total).toBeLessThanOrEqual(rate * 10 * 1.05 + rate * 0.25 + 16 * KiB);
    expect(total).toBeGreaterThanOrEqual(rate * 10 * 0.95);
    for (const bytes of read) expect(bytes, JSON.stringify(read)).toBeGreaterThanOrEqual((0.75 * total) / 3);
  });

  it('R44: a limit over another (a queue over its downloads) lets the downloads read in turn too', async () => {
    const clock = new ManualClock();
    const queue = new RateLimit(clock, 128 * KiB);
    const downloads = [new RateLimit(clock, null, queue), new RateLimit(clock, null, queue)];
    const read = await race(downloads, queue, clock, 8 * KiB, 5_000);
    const total = (read[0] ?? 0) + (read[1] ?? 0);
    for (const bytes of read) expect(bytes, JSON.stringify(read)).toBeGreaterThanOrEqual(0.375 * total);
  });

  it('R44: a reader let go that never reads (its request ended) holds the line for TURN_MS at most', async () => {
    const { clock, order, wait } = inDebt();
    const both = [wait('first'), wait('second')];
    clock.advance(250);
    await settle();
    expect(order).toEqual(['first@250']);
    clock.advance(19);
    await settle();
    expect(order).toEqual(['first@250']);
    clock.advance(1);
    await settle();
    expect(order).toEqual(['first@250', 'second@270']);
    await Promise.all(both);
  });

  it('R44, R24: a reader stopped while in line leaves it at once and takes no turn', async () => {
    const { clock, order, wait } = inDebt();
    const stopped = createAbortHandle();
    const all = [wait('first', stopped.signal), wait('second')];
    clock.advance(100);
    stopped.abort();
    await settle();
    expect(order).toEqual(['first@100']);
    // The debt is paid at 250 ms: the second is first in line now.
    clock.advance(150);
    await settle();
    expect(order).toEqual(['first@100', 'second@250']);
    await Promise.all(all);
  });
});
