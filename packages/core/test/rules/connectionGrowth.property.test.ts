import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GROWTH_GAIN,
  GROWTH_STEP_MS,
  type Growth,
  growAt,
  MIN_STEP_MS,
  refusedAt,
  STEP_RTTS,
  startGrowth,
} from '../../src/rules/connectionGrowth.js';

/**
 * Runs the growth over a link whose speed, in bytes a second, is `speedOf(connections)` and whose connections are
 * paced when `pacedAt(connections)`, looked at every `MIN_STEP_MS` for `ms`, with a round trip of `rttMs`.
 */
const run = (
  max: number,
  speedOf: (connections: number) => number,
  ms: number,
  options: {
    readonly fixed?: number | null;
    readonly rttMs?: number | null;
    readonly pacedAt?: (connections: number) => boolean;
  } = {},
) => {
  const { fixed = null, rttMs = null, pacedAt = () => false } = options;
  let now = 0;
  let bytes = 0;
  let growth: Growth = startGrowth(now, bytes, { fixed, max });
  const targets = [growth.target];
  const steps: { at: number; lasted: number }[] = [];
  while (now < ms) {
    now += MIN_STEP_MS;
    bytes += (speedOf(growth.target) * MIN_STEP_MS) / 1000;
    const next = growAt(growth, { now, bytes, paced: pacedAt(growth.target), rttMs }, max);
    if (next.since !== growth.since) steps.push({ at: now, lasted: now - growth.since });
    growth = next;
    if (targets.at(-1) !== growth.target) targets.push(growth.target);
  }
  return { growth, targets, steps };
};

describe('connectionGrowth (property)', () => {
  it('R43: on a link where each connection adds its share, the count grows to the cap in few steps, then settles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1_000, max: 50_000_000 }),
        fc.option(fc.integer({ min: 0, max: 200 }), { nil: null }),
        (max, perConnection, rttMs) => {
          // Six steps, each as long as a judged step for this round trip.
          const stepMs = Math.max(GROWTH_STEP_MS, STEP_RTTS * (rttMs ?? 0)) + MIN_STEP_MS;
          const { growth, targets } = run(max, (n) => n * perConnection, 6 * stepMs, { rttMs });
          expect(growth.settled).toBe(true);
          // At the cap, unless the last step to it would add less than GROWTH_GAIN (8 → 9): then just below.
          expect(growth.target === max || max / growth.target <= GROWTH_GAIN + 1e-9).toBe(true);
          expect(Math.max(...targets)).toBe(max);
          // The first step doubles; then 8, 32, 64: the cap within four steps.
          if (targets.length > 1) expect(targets[1]).toBe(Math.min(max, 2));
          expect(targets.indexOf(max)).toBeLessThanOrEqual(4);
        },
      ),
    );
  });

  it('R43: on a link that one connection fills, it settles at one: a step that adds nothing is taken back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1_000, max: 2_000_000_000 }),
        (max, speed) => {
          const { growth, targets } = run(max, () => speed, 8 * GROWTH_STEP_MS);
          expect(growth).toMatchObject({ target: 1, settled: true });
          expect(Math.max(...targets)).toBeLessThanOrEqual(2);
        },
      ),
    );
  });

  it('R43: a start slower than the link (slow start, cold code) is not taken for one connection’s speed: a link one connection fills still settles at one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1_000, max: 2_000_000_000 }),
        fc.double({ min: 0.02, max: 0.8, noNaN: true }),
        fc.integer({ min: MIN_STEP_MS, max: GROWTH_STEP_MS }),
        (max, speed, startShare, startMs) => {
          let now = 0;
          let bytes = 0;
          let growth = startGrowth(now, bytes, { fixed: null, max });
          const targets = [growth.target];
          while (now < 10 * GROWTH_STEP_MS) {
            now += MIN_STEP_MS;
            bytes += ((now <= startMs ? speed * startShare : speed) * MIN_STEP_MS) / 1000;
            growth = growAt(growth, { now, bytes, paced: false, rttMs: null }, max);
            targets.push(growth.target);
          }
          expect(growth).toMatchObject({ target: 1, settled: true });
          expect(Math.max(...targets)).toBeLessThanOrEqual(2);
        },
      ),
    );
  });

  it('R43: connections that find their bytes already there (a busy host, BUSY_SHARE) never grow by speed; paced ones still do', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1_000, max: 2_000_000_000 }),
        (max, perConnection) => {
          let now = 0;
          let bytes = 0;
          let growth = startGrowth(now, bytes, { fixed: null, max });
          while (now < 10 * GROWTH_STEP_MS) {
            now += MIN_STEP_MS;
            // Speed that would scale with the count, were the host not the limit.
            bytes += (growth.target * perConnection * MIN_STEP_MS) / 1000;
            growth = growAt(growth, { now, bytes, paced: false, busy: true, rttMs: null }, max);
          }
          expect(growth).toMatchObject({ target: 1, settled: true });
          const paced = growAt(
            startGrowth(0, 0, { fixed: null, max }),
            { now: GROWTH_STEP_MS, bytes: perConnection, paced: true, busy: true, rttMs: null },
            max,
          );
          expect(paced.target).toBe(Math.min(max, 4));
        },
      ),
    );
  });

  it('R43: a link that stops scaling at k connections settles near k (k / 1.25 to 1.25 k), never above the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 64 }), (max, k) => {
        const { growth, targets } = run(max, (n) => Math.min(n, k) * 1_000_000, 16 * GROWTH_STEP_MS);
        const limit = Math.min(k, max);
        expect(growth.settled).toBe(true);
        expect(Math.max(...targets)).toBeLessThanOrEqual(max);
        expect(growth.target).toBeGreaterThanOrEqual(Math.floor(limit / GROWTH_GAIN));
        expect(growth.target).toBeLessThanOrEqual(Math.ceil(limit * GROWTH_GAIN));
      }),
    );
  });

  it('R43: paced connections (a server that limits each one) grow at once, by 4, until no longer paced, then settle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 30 }),
        (max, k, rttMs) => {
          // Each connection gets 1 MB/s from the server; the link carries k of them.
          const { growth, targets, steps } = run(max, (n) => Math.min(n, k) * 1_000_000, 4_000, {
            rttMs,
            pacedAt: (n) => n < k,
          });
          expect(growth.settled).toBe(true);
          expect(growth.target).toBeGreaterThanOrEqual(Math.min(k, max));
          expect(growth.target).toBeLessThanOrEqual(max);
          // Each paced step multiplies by 4 and lasts its shortest: MIN_STEP_MS and STEP_RTTS round trips.
          const paced = targets.filter((t) => t < Math.min(k, max));
          for (const [i, t] of paced.entries()) if (i > 0) expect(t).toBe(4 * (paced[i - 1] as number));
          const shortest = Math.max(MIN_STEP_MS, STEP_RTTS * rttMs);
          for (const { lasted } of steps.slice(0, paced.length))
            expect(lasted).toBeLessThan(shortest + MIN_STEP_MS);
        },
      ),
    );
  });

  it('R43: the first paced step from one connection is followed at once by the next once its connections all brought bytes; not before, not after a refusal, and only once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 0, max: 30 }), (max, rttMs) => {
        const shortest = Math.max(MIN_STEP_MS, STEP_RTTS * rttMs);
        const first = growAt(
          startGrowth(0, 0, { fixed: null, max }),
          { now: shortest, bytes: 1, paced: true, rttMs },
          max,
        );
        expect(first).toMatchObject({ target: Math.min(max, 4), paced: true });
        const soon = { now: shortest + 1, bytes: 2, paced: true, rttMs };
        // One of them still connecting, or waiting for its first bytes: nothing yet.
        expect(growAt(first, { ...soon, answered: false }, max)).toBe(first);
        expect(growAt(first, soon, max)).toBe(first);
        const next = growAt(first, { ...soon, answered: true }, max);
        expect(next.target).toBe(Math.min(max, 16));
        expect(next.settled).toBe(max <= 4);
        // The count the quick step reached waits out a step of its own before it grows again.
        expect(growAt(next, { now: shortest + 2, bytes: 3, paced: true, rttMs, answered: true }, max)).toBe(
          next,
        );
        // A server that refused one of them: the count settles where it was refused, and stays there.
        const refused = refusedAt(first, 2);
        expect(growAt(refused, { ...soon, answered: true }, max)).toBe(refused);
        expect(refused.target).toBe(2);
      }),
    );
  });

  it('R43: a judged step lasts GROWTH_STEP_MS, however fast the link', () => {
    const { steps } = run(16, (n) => n * 100_000_000, 2_000, { rttMs: 1 });
    expect(steps.length).toBeGreaterThan(0);
    for (const { lasted } of steps) expect(lasted).toBeGreaterThanOrEqual(GROWTH_STEP_MS);
  });

  it('R43: a fixed count never changes; a refused connection settles the count at those alive, at least one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 64 }), (fixed, alive) => {
        const { targets } = run(64, (n) => n * 1_000, 10 * GROWTH_STEP_MS, {
          fixed,
          pacedAt: () => true,
        });
        expect(new Set(targets)).toEqual(new Set([fixed]));
        const refused = refusedAt(startGrowth(0, 0, { fixed: null, max: 64 }), alive);
        expect(refused.settled).toBe(true);
        expect(refused.target).toBe(Math.max(1, Math.min(1, alive)));
      }),
    );
  });
});
