import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ByteRange } from '../../src/model/checkpoint.js';
import {
  addRange,
  clipRanges,
  coveredBytes,
  isValidRangeSet,
  missingRanges,
  prefixLength,
} from '../../src/rules/byteRanges.js';

const SIZE = 200;
const range: fc.Arbitrary<ByteRange> = fc
  .tuple(fc.nat({ max: SIZE }), fc.nat({ max: SIZE }))
  .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
const rangeList = fc.array(range, { maxLength: 12 });

/** The reference model: a set of byte indices. */
const bytesOf = (ranges: readonly ByteRange[]): Set<number> => {
  const set = new Set<number>();
  for (const [s, e] of ranges) for (let i = s; i < e; i++) set.add(i);
  return set;
};
const build = (list: readonly ByteRange[]): ByteRange[] => list.reduce<ByteRange[]>(addRange, []);
const isMerged = (ranges: readonly ByteRange[]): boolean =>
  ranges.every((r, i) => r[0] < r[1] && (i === 0 || ranges[i - 1]![1] < r[0]));

describe('byteRanges (properties)', () => {
  it('R26: addRange covers exactly the union of the bytes added, sorted, disjoint and merged', () => {
    fc.assert(
      fc.property(rangeList, (list) => {
        const set = build(list);
        expect(bytesOf(set)).toEqual(bytesOf(list));
        expect(isMerged(set)).toBe(true);
        expect(isValidRangeSet(set, SIZE)).toBe(true);
        expect(coveredBytes(set)).toBe(bytesOf(list).size);
      }),
    );
  });

  it('R26: adding bytes already there changes nothing (no duplicate counting)', () => {
    fc.assert(
      fc.property(rangeList, (list) => {
        const set = build(list);
        expect(build([...list, ...list])).toEqual(set);
        for (const r of set) expect(addRange(set, r)).toEqual(set);
      }),
    );
  });

  it('R21: clipRanges keeps exactly the bytes below the size', () => {
    fc.assert(
      fc.property(rangeList, fc.nat({ max: SIZE + 10 }), (list, size) => {
        const set = build(list);
        const clipped = clipRanges(set, size);
        expect(bytesOf(clipped)).toEqual(new Set([...bytesOf(set)].filter((i) => i < size)));
        expect(isMerged(clipped)).toBe(true);
      }),
    );
  });

  it('R21: prefixLength is the count of bytes present from 0 without a hole', () => {
    fc.assert(
      fc.property(rangeList, (list) => {
        const set = build(list);
        const bytes = bytesOf(set);
        let expected = 0;
        while (bytes.has(expected)) expected++;
        expect(prefixLength(set)).toBe(expected);
      }),
    );
  });

  it('missingRanges is the complement within the total', () => {
    fc.assert(
      fc.property(rangeList, fc.nat({ max: SIZE + 10 }), (list, total) => {
        const set = build(list);
        const missing = missingRanges(set, total);
        const have = bytesOf(set);
        const expected = new Set<number>();
        for (let i = 0; i < total; i++) if (!have.has(i)) expected.add(i);
        expect(bytesOf(missing)).toEqual(expected);
        expect(isMerged(missing)).toBe(true);
      }),
    );
  });
});

describe('byteRanges (examples)', () => {
  it('R22: isValidRangeSet refuses unsorted, overlapping, empty, fractional and out-of-total ranges', () => {
    expect(isValidRangeSet([], null)).toBe(true);
    expect(isValidRangeSet([[0, 10]], 10)).toBe(true);
    expect(
      isValidRangeSet(
        [
          [0, 5],
          [5, 10],
        ],
        10,
      ),
    ).toBe(true);
    expect(
      isValidRangeSet(
        [
          [5, 10],
          [0, 2],
        ],
        null,
      ),
    ).toBe(false);
    expect(
      isValidRangeSet(
        [
          [0, 6],
          [5, 10],
        ],
        null,
      ),
    ).toBe(false);
    expect(isValidRangeSet([[3, 3]], null)).toBe(false);
    expect(isValidRangeSet([[0, 1.5]], null)).toBe(false);
    expect(isValidRangeSet([[-1, 4]], null)).toBe(false);
    expect(isValidRangeSet([[0, 11]], 10)).toBe(false);
    expect(isValidRangeSet([[0, 2 ** 60]], null)).toBe(false);
    expect(isValidRangeSet([[0, 1, 2] as unknown as ByteRange], null)).toBe(false);
  });

  it('addRange ignores an empty range and merges adjacent ones', () => {
    expect(addRange([[0, 5]], [7, 7])).toEqual([[0, 5]]);
    expect(addRange([[0, 5]], [5, 9])).toEqual([[0, 9]]);
    expect(addRange([[10, 20]], [0, 5])).toEqual([
      [0, 5],
      [10, 20],
    ]);
    expect(prefixLength([])).toBe(0);
    expect(prefixLength([[3, 9]])).toBe(0);
  });
});
