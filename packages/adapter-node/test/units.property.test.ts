import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatPercent } from '../src/cli/render/units.js';

describe('formatPercent (property)', () => {
  it('R28: 100.0 % only once every byte is there; below that the percent is rounded down, never past what is done', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (total, fraction) => {
          const bytes = Math.min(total, Math.floor(total * fraction));
          const shown = formatPercent(bytes, total);
          expect(shown).toMatch(/^\d{1,3}\.\d %$/);
          expect(shown === '100.0 %').toBe(bytes === total);
          const value = Number.parseFloat(shown);
          expect(value).toBeLessThanOrEqual((bytes / total) * 100 + 1e-9);
          expect(value).toBeGreaterThan((bytes / total) * 100 - 0.1 - 1e-9);
        },
      ),
    );
  });

  it('R28: 99.96 % of a file reads 99.9 %, and the last byte missing of a large one does too', () => {
    expect(formatPercent(9996, 10_000)).toBe('99.9 %');
    expect(formatPercent(2 ** 40 - 1, 2 ** 40)).toBe('99.9 %');
    expect(formatPercent(10_000, 10_000)).toBe('100.0 %');
    expect(formatPercent(473, 1000)).toBe('47.3 %');
    expect(formatPercent(1, null)).toBe('');
  });
});
