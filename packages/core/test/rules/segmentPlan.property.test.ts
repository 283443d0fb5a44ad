import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteRange } from '../../src/model/checkpoint.js';
import { addRange, coveredBytes, missingRanges } from '../../src/rules/byteRanges.js';
import {
  applyAssignment,
  type Lane,
  MIN_SPLIT_SECONDS,
  nextAssignment,
  PIECE_FLOOR,
  PIECE_SECONDS,
  pieceEnd,
  SPLIT_RTTS,
  splitWorthSeconds,
} from '../../src/rules/segmentPlan.js';

/** A resource of `total` bytes cut at sorted points into pieces, each held, fetched by a lane, or free. */
const world = fc
  .record({
    total: fc.integer({ min: 1, max: 5_000 }),
    cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 }),
    kinds: fc.array(fc.constantFrom('held', 'lane', 'free'), { minLength: 13, maxLength: 13 }),
    progress: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 13, maxLength: 13 }),
    speeds: fc.array(fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null }), {
      minLength: 13,
      maxLength: 13,
    }),
    minSplitBytes: fc.integer({ min: 1, max: 800 }),
  })
  .map(({ total, cuts, kinds, progress, speeds, minSplitBytes }) => {
    const points = [...new Set(cuts.map((c) => Math.floor(c * total)))]
      .filter((p) => p > 0 && p < total)
      .sort((a, b) => a - b);
    const bounds = [0, ...points, total];
    let held: ByteRange[] = [];
    const lanes: Lane[] = [];
    for (let i = 0; i + 1 < bounds.length; i += 1) {
      const start = bounds[i] as number;
      const end = bounds[i + 1] as number;
      const kind = kinds[i];
      if (kind === 'held') held = addRange(held, [start, end]);
      if (kind === 'lane') {
        const next = start + Math.floor((progress[i] ?? 0) * (end - start));
        lanes.push({ id: i, start, next, end, bytesPerSecond: speeds[i] ?? null });
      }
    }
    return { total, held, lanes, minSplitBytes };
  });

/** Every byte held or claimed by a lane. */
const claimedBy = (held: readonly ByteRange[], lanes: readonly Lane[]): ByteRange[] =>
  lanes.reduce<ByteRange[]>((all, lane) => addRange(all, [lane.start, lane.end]), [...held]);

const overlaps = (a: ByteRange, b: ByteRange): boolean => a[0] < b[1] && b[0] < a[1];

describe('segmentPlan (property)', () => {
  it('R42: after any assignment, lanes never overlap each other, the held bytes, or leave the resource', () => {
    fc.assert(
      fc.property(world, (w) => {
        const applied = applyAssignment(w.lanes, nextAssignment(w), 1_000);
        const lanes = applied?.lanes ?? w.lanes;
        const ranges = lanes.map((l) => [l.start, l.end] as ByteRange).filter((r) => r[1] > r[0]);
        for (const [i, a] of ranges.entries()) {
          expect(a[0]).toBeGreaterThanOrEqual(0);
          expect(a[1]).toBeLessThanOrEqual(w.total);
          for (const b of ranges.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
          for (const h of w.held) expect(overlaps(a, h)).toBe(false);
        }
      }),
    );
  });

  it('R42: a steal never loses bytes: what was held or claimed still is, and committed bytes are never assigned', () => {
    fc.assert(
      fc.property(world, (w) => {
        const before = claimedBy(w.held, w.lanes);
        const applied = applyAssignment(w.lanes, nextAssignment(w), 1_000);
        if (applied === null) return;
        const after = claimedBy(w.held, applied.lanes);
        expect(
          missingRanges(after, w.total).every((gap) =>
            missingRanges(before, w.total).some((g) => g[0] <= gap[0] && gap[1] <= g[1]),
          ),
        ).toBe(true);
        // The lanes keep what they had received: a split never moves an end before a lane's `next`.
        for (const lane of applied.lanes) expect(lane.end).toBeGreaterThanOrEqual(lane.next);
        for (const h of w.held) expect(overlaps([applied.lane.start, applied.lane.end], h)).toBe(false);
      }),
    );
  });

  it('R42: free bytes are assigned first, the widest range whole', () => {
    fc.assert(
      fc.property(world, (w) => {
        const free = missingRanges(claimedBy(w.held, w.lanes), w.total);
        const assignment = nextAssignment(w);
        if (free.length === 0) {
          expect(assignment._tag).not.toBe('Gap');
          return;
        }
        const widest = Math.max(...free.map((r) => r[1] - r[0]));
        expect(assignment._tag).toBe('Gap');
        if (assignment._tag === 'Gap') expect(assignment.end - assignment.start).toBe(widest);
      }),
    );
  });

  it('R42: a split of a lane that is not slow leaves both halves at least minSplitBytes', () => {
    fc.assert(
      fc.property(world, (w) => {
        const assignment = nextAssignment(w);
        if (assignment._tag !== 'Split') return;
        const owner = w.lanes.find((l) => l.id === assignment.lane);
        if (owner === undefined) throw new Error('split of no lane');
        const tail = assignment.at === owner.next;
        if (tail) return;
        expect(assignment.at - owner.next).toBeGreaterThanOrEqual(w.minSplitBytes);
        expect(owner.end - assignment.at).toBeGreaterThanOrEqual(w.minSplitBytes);
      }),
    );
  });

  it('R42: a lane that is not slow is split only if it would need splitWorthSeconds (MIN_SPLIT_SECONDS, SPLIT_RTTS round trips) or more for its rest, one with no speed only past two first pieces', () => {
    fc.assert(
      fc.property(world, fc.option(fc.integer({ min: 0, max: 500 }), { nil: null }), (plain, rttMs) => {
        const w = { ...plain, rttMs };
        const worth = splitWorthSeconds(rttMs);
        expect(worth).toBeGreaterThanOrEqual(MIN_SPLIT_SECONDS);
        expect(worth).toBeGreaterThanOrEqual((SPLIT_RTTS * (rttMs ?? 0)) / 1000);
        const assignment = nextAssignment(w);
        if (assignment._tag === 'Split') {
          const owner = w.lanes.find((l) => l.id === assignment.lane);
          if (owner === undefined) throw new Error('split of no lane');
          if (assignment.at !== owner.next && owner.bytesPerSecond !== null)
            expect(owner.end - owner.next).toBeGreaterThanOrEqual(worth * owner.bytesPerSecond);
          // A lane with no speed yet: each half a whole first piece.
          if (owner.bytesPerSecond === null)
            expect(owner.end - owner.next).toBeGreaterThanOrEqual(2 * PIECE_FLOOR * w.minSplitBytes);
        }
        // The same lanes, each twice too fast for its rest to be worth a split: only a slow tail is ever split.
        const fast = w.lanes.map((lane) => ({
          ...lane,
          bytesPerSecond: ((lane.end - lane.next + 1) / worth) * 2,
        }));
        const quick = nextAssignment({ ...w, lanes: fast });
        if (quick._tag === 'Split') expect(quick.at).toBe(fast.find((l) => l.id === quick.lane)?.next);
      }),
    );
  });

  it('R42: connections that go on taking assignments and fetching them get every byte, each once', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        (total, connections, minSplitBytes, steps) => {
          let held: ByteRange[] = [];
          let lanes: Lane[] = [];
          let id = 0;
          let fetched = 0;
          for (let round = 0; round < 10_000 && coveredBytes(held) < total; round += 1) {
            // Idle connections take assignments.
            while (lanes.length < connections) {
              const applied = applyAssignment(
                lanes,
                nextAssignment({ total, held, lanes, minSplitBytes }),
                id++,
              );
              if (applied === null) break;
              lanes = applied.lanes;
            }
            if (lanes.length === 0) break;
            // Each lane fetches some bytes; a lane whose range is done writes it and goes idle.
            const step = steps[round % steps.length] as number;
            lanes = lanes.flatMap((lane, i) => {
              const next = Math.min(lane.end, lane.next + step * (i + 1));
              fetched += next - lane.next;
              if (next < lane.end) return [{ ...lane, next, bytesPerSecond: step * (i + 1) }];
              held = addRange(held, [lane.start, lane.end]);
              return [];
            });
          }
          expect(held).toEqual([[0, total]]);
          expect(fetched).toBe(total);
        },
      ),
    );
  });

  it('R42: a request of a lane stays inside its range, asks for something, and for about PIECE_SECONDS of its speed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e12 }),
        fc.integer({ min: 1, max: 1e12 }),
        fc.option(fc.double({ min: 0, max: 1e10, noNaN: true }), { nil: null }),
        fc.integer({ min: 1, max: 1e8 }),
        (next, length, speed, minSplitBytes) => {
          const end = next + length;
          const at = pieceEnd(next, end, speed, minSplitBytes);
          expect(at).toBeGreaterThan(next);
          expect(at).toBeLessThanOrEqual(end);
          // Never less than the floor nor than PIECE_SECONDS at its speed (unless the range ends first)…
          expect(at).toBeGreaterThanOrEqual(Math.min(end, next + PIECE_FLOOR * minSplitBytes));
          expect(at).toBeGreaterThanOrEqual(Math.min(end, next + Math.floor((speed ?? 0) * PIECE_SECONDS)));
          // …and a faster lane never asks for less.
          expect(pieceEnd(next, end, (speed ?? 0) * 2 + 1, minSplitBytes)).toBeGreaterThanOrEqual(at);
        },
      ),
    );
  });
});
