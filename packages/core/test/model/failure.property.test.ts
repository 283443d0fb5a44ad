import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/model/failure.js';

/** The speed a TooSlow message shows, as text. */
const shownRate = (bytesPerSecond: number, limit: number): string => {
  const line = describeFailure({ _tag: 'TooSlow', bytesPerSecond, limit, forMs: 5_000 });
  return /^the body came at (\S+) B\/s for 5 s, below the minimum of (\d+) B\/s$/.exec(line)?.[1] ?? line;
};

describe('describeFailure: TooSlow', () => {
  it('R25, R29: the speed a body came at is shown under the minimum, never equal to it (0.6 B/s, not 1, beside 1 B/s)', () => {
    expect(describeFailure({ _tag: 'TooSlow', bytesPerSecond: 0.6, limit: 1, forMs: 5_000 })).toBe(
      'the body came at 0.6 B/s for 5 s, below the minimum of 1 B/s',
    );
    expect(shownRate(999.7, 1000)).toBe('999.7');
    expect(shownRate(0.9999, 1)).toBe('0.999');
    expect(shownRate(412.3, 1000)).toBe('412');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1e9 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (limit, share) => {
          const rate = limit * share;
          const shown = shownRate(rate, limit);
          expect(shown).toMatch(/^\d+(\.\d{1,3})?$/);
          expect(Number(shown)).toBeLessThan(limit);
          expect(Math.abs(Number(shown) - rate)).toBeLessThan(1);
        },
      ),
    );
  });
});
