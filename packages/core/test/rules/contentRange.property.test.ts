import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { parseContentRange } from '../../src/rules/contentRange.js';

const n = fc.nat({ max: Number.MAX_SAFE_INTEGER });

describe('parseContentRange (properties)', () => {
  it('R8: every well-formed bytes a-b/total with a <= b < total round-trips', () => {
    fc.assert(
      fc.property(n, n, n, (x, y, z) => {
        const [first, last, total] = [x, y, z].sort((a, b) => a - b) as [number, number, number];
        fc.pre(last < total);
        expect(parseContentRange(`bytes ${first}-${last}/${total}`)).toEqual(
          E.right({ _tag: 'Satisfied', first, last, total }),
        );
        expect(parseContentRange(`bytes ${first}-${last}/*`)).toEqual(
          E.right({ _tag: 'Satisfied', first, last, total: null }),
        );
      }),
    );
  });

  it('R8: a Right is always a range with first <= last < total', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc
            .tuple(fc.integer(), fc.integer(), fc.oneof(fc.integer(), fc.constant('*')))
            .map(([a, b, t]) => `bytes ${a}-${b}/${t}`),
        ),
        (value) => {
          const parsed = parseContentRange(value);
          if (E.isRight(parsed) && parsed.right._tag === 'Satisfied') {
            const { first, last, total } = parsed.right;
            expect(first).toBeLessThanOrEqual(last);
            if (total !== null) expect(last).toBeLessThan(total);
            expect(Number.isSafeInteger(first) && Number.isSafeInteger(last)).toBe(true);
          }
        },
      ),
    );
  });

  it('R8: never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        expect(() => parseContentRange(value)).not.toThrow();
      }),
    );
  });
});
