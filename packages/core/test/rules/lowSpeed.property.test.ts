import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkSpeed, heldBack, speedWindowAt } from '../../src/rules/lowSpeed.js';

describe('checkSpeed (property)', () => {
  it('R25: below the limit on average over the whole window is TooSlow; at or above it a new window begins', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.nat(100_000_000),
        fc.nat(100_000_000),
        (limit, timeMs, extra, start, bytes) => {
          const window = speedWindowAt(1_000, start);
          const now = 1_000 + timeMs + extra;
          const verdict = checkSpeed(window, now, start + bytes, { limit, timeMs });
          const average = (bytes * 1000) / (timeMs + extra);
          if (average < limit) expect(verdict).toEqual({ _tag: 'TooSlow', bytesPerSecond: average });
          else expect(verdict).toEqual({ _tag: 'Fast', window: speedWindowAt(now, start + bytes) });
        },
      ),
    );
  });

  it('R25: nothing is decided before the window is full, nor when the rule is off', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 60_000 }), fc.nat(), (timeMs, bytes) => {
        const window = speedWindowAt(0, 0);
        expect(checkSpeed(window, timeMs - 1, bytes, { limit: 1e9, timeMs })).toEqual({
          _tag: 'Fast',
          window,
        });
        expect(checkSpeed(window, timeMs * 10, 0, { limit: 0, timeMs })).toEqual({ _tag: 'Fast', window });
      }),
    );
  });

  it('R25, R44: time held back by the reader is taken out of the window: the server is judged on its own time alone', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e6 }),
        fc.integer({ min: 1, max: 1e5 }),
        fc.integer({ min: 0, max: 1e5 }),
        fc.integer({ min: 1, max: 1e6 }),
        (start, served, held, bytes) => {
          const limit = 1_000;
          const window = heldBack(speedWindowAt(start, 0), held);
          const verdict = checkSpeed(window, start + held + served, bytes, { limit, timeMs: 1 });
          // Exactly as a window that never held back, judged over the server's own time.
          expect(verdict._tag).toBe(
            checkSpeed(speedWindowAt(start, 0), start + served, bytes, { limit, timeMs: 1 })._tag,
          );
        },
      ),
    );
  });
});
