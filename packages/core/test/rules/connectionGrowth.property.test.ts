import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GROWTH_STEP_MS,
  type Growth,
  growAt,
  refusedAt,
  startGrowth,
} from '../../src/rules/connectionGrowth.js';

/** Runs the growth over a link whose speed, in bytes a second, is `speedOf(connections)`, for `steps` steps. */
const run = (
  max: number,
  speedOf: (connections: number) => number,
  steps: number,
  fixed: number | null = null,
) => {
  let now = 0;
  let bytes = 0;
  let growth: Growth = startGrowth(now, bytes, { fixed, max });
  const targets = [growth.target];
  for (let step = 0; step < steps; step += 1) {
    now += GROWTH_STEP_MS;
    bytes += (speedOf(growth.target) * GROWTH_STEP_MS) / 1000;
    growth = growAt(growth, now, bytes, max);
    targets.push(growth.target);
  }
  return { growth, targets };
};

describe('connectionGrowth (property)', () => {
  it('R43: on a link where each connection adds its share, the count doubles up to the cap, then settles', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1_000, max: 50_000_000 }),
        (max, perConnection) => {
          const { growth, targets } = run(max, (n) => n * perConnection, 12);
          expect(growth.settled).toBe(true);
          // Each step doubles (or takes the cap); the last step to the cap is kept when it adds a quarter or more.
          for (const [i, t] of targets.entries()) {
            const before = targets[i - 1];
            if (before !== undefined && t !== before)
              expect([Math.min(max, before * 2), targets[i - 2]]).toContain(t);
          }
          const lastDoubling = 2 ** Math.floor(Math.log2(max));
          expect(growth.target).toBe(max / lastDoubling >= 1.25 ? max : lastDoubling);
        },
      ),
    );
  });

  it('R43: on a link that one connection fills, it settles at one: a doubling that adds nothing is taken back', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 64 }),
        fc.integer({ min: 1_000, max: 2_000_000_000 }),
        (max, speed) => {
          const { growth, targets } = run(max, () => speed, 8);
          expect(growth).toMatchObject({ target: 1, settled: true });
          expect(Math.max(...targets)).toBeLessThanOrEqual(2);
        },
      ),
    );
  });

  it('R43: a link that stops scaling at k connections settles between k and 2k, never above the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.integer({ min: 1, max: 64 }), (max, k) => {
        const { growth, targets } = run(max, (n) => Math.min(n, k) * 1_000_000, 16);
        expect(growth.settled).toBe(true);
        expect(Math.max(...targets)).toBeLessThanOrEqual(max);
        expect(growth.target).toBeGreaterThanOrEqual(Math.min(k, max) / 2);
        expect(growth.target).toBeLessThanOrEqual(Math.min(2 * k, max));
      }),
    );
  });

  it('R43: a fixed count never changes; a refused connection settles the count at those alive, at least one', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 0, max: 64 }), (fixed, alive) => {
        const { targets } = run(64, (n) => n * 1_000, 10, fixed);
        expect(new Set(targets)).toEqual(new Set([fixed]));
        const refused = refusedAt(startGrowth(0, 0, { fixed: null, max: 64 }), alive);
        expect(refused.settled).toBe(true);
        expect(refused.target).toBe(Math.max(1, Math.min(1, alive)));
      }),
    );
  });
});
