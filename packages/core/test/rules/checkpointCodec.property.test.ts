import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { ByteRange, Checkpoint } from '../../src/model/checkpoint.js';
import { addRange, isValidRangeSet } from '../../src/rules/byteRanges.js';
import { decodeCheckpoint, encodeCheckpoint, withBytes } from '../../src/rules/checkpointCodec.js';

const str = fc.oneof(fc.constant(null), fc.string());
const checkpoint: fc.Arbitrary<Checkpoint> = fc
  .record({
    url: fc.webUrl(),
    source: fc.option(fc.webUrl(), { nil: undefined }),
    validators: fc.record({ etag: str, lastModified: str, date: str }),
    totalLength: fc.oneof(fc.constant(null), fc.nat({ max: 1_000_000 })),
    adds: fc.array(fc.tuple(fc.nat({ max: 1_000_000 }), fc.nat({ max: 1_000_000 })), { maxLength: 8 }),
  })
  .map(({ url, source, validators, totalLength, adds }) => {
    const cap = totalLength ?? 1_000_000;
    const ranges = adds.reduce<ByteRange[]>(
      (set, [a, b]) => addRange(set, [Math.min(a, b, cap), Math.min(Math.max(a, b), cap)]),
      [],
    );
    return {
      version: 1 as const,
      url,
      ...(source === undefined ? {} : { source }),
      validators,
      totalLength,
      ranges,
    };
  });

describe('checkpoint codec (properties)', () => {
  it('R22: decode(encode(c)) is c for every valid checkpoint', () => {
    fc.assert(
      fc.property(checkpoint, (c) => {
        expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(E.right(c));
      }),
    );
  });

  it('R22: any text decodes to Left or to a checkpoint whose ranges are valid; never throws', () => {
    const mutated = fc.tuple(checkpoint, fc.nat(), fc.string({ maxLength: 3 })).map(([c, at, insert]) => {
      const t = encodeCheckpoint(c);
      const i = at % (t.length + 1);
      return t.slice(0, i) + insert + t.slice(i + insert.length);
    });
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), mutated), (t) => {
        const decoded = decodeCheckpoint(t);
        if (E.isRight(decoded)) {
          const c = decoded.right;
          expect(c.version).toBe(1);
          expect(isValidRangeSet(c.ranges, c.totalLength)).toBe(true);
          expect(c.totalLength === null || Number.isSafeInteger(c.totalLength)).toBe(true);
        }
      }),
    );
  });

  it('R20: a checkpoint grown with withBytes always decodes', () => {
    fc.assert(
      fc.property(checkpoint, fc.nat({ max: 2_000_000 }), fc.nat({ max: 2_000_000 }), (c, a, b) => {
        const grown = withBytes(c, [Math.min(a, b), Math.max(a, b)]);
        expect(E.isRight(decodeCheckpoint(encodeCheckpoint(grown)))).toBe(true);
      }),
    );
  });
});
