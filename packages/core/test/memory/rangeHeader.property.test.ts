import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRangeHeader } from '../../src/memory/rangeHeader.js';

const length = fc.integer({ min: 0, max: 10_000 });

describe('parseRangeHeader', () => {
  it('is None without a header, with another unit, or with invalid syntax', () => {
    for (const value of [
      undefined,
      '',
      'bytes',
      'bytes=',
      'bytes=,',
      'items=0-1',
      'bytes=a-b',
      'bytes=1',
      'bytes=5-2',
      'bytes=0-1,x',
      'bytes=--1',
      'bytes=1-2-3',
      'bytes=+1-2',
    ]) {
      expect(parseRangeHeader(value, 100)).toEqual({ _tag: 'None' });
    }
  });

  it('reads N-, N-M and -N, clipping to the length', () => {
    expect(parseRangeHeader('bytes=10-', 100)).toEqual({ _tag: 'Single', first: 10, last: 99 });
    expect(parseRangeHeader('bytes=10-19', 100)).toEqual({ _tag: 'Single', first: 10, last: 19 });
    expect(parseRangeHeader('bytes=10-1000', 100)).toEqual({ _tag: 'Single', first: 10, last: 99 });
    expect(parseRangeHeader('bytes=-10', 100)).toEqual({ _tag: 'Single', first: 90, last: 99 });
    expect(parseRangeHeader('bytes=-1000', 100)).toEqual({ _tag: 'Single', first: 0, last: 99 });
    expect(parseRangeHeader('BYTES=0-0', 100)).toEqual({ _tag: 'Single', first: 0, last: 0 });
  });

  it('reads lists, skipping empty elements and unsatisfiable ranges', () => {
    expect(parseRangeHeader('bytes=0-1, 5-6', 100)).toEqual({
      _tag: 'Multiple',
      ranges: [
        { first: 0, last: 1 },
        { first: 5, last: 6 },
      ],
    });
    expect(parseRangeHeader('bytes=0-1,,200-300', 100)).toEqual({ _tag: 'Single', first: 0, last: 1 });
  });

  it('is Unsatisfiable when no range is, and on an empty representation (R14: bytes=0- on empty)', () => {
    expect(parseRangeHeader('bytes=100-', 100)).toEqual({ _tag: 'Unsatisfiable' });
    expect(parseRangeHeader('bytes=-0', 100)).toEqual({ _tag: 'Unsatisfiable' });
    expect(parseRangeHeader('bytes=0-', 0)).toEqual({ _tag: 'Unsatisfiable' });
    expect(parseRangeHeader('bytes=-5', 0)).toEqual({ _tag: 'Unsatisfiable' });
  });

  it('every range it returns lies inside the representation', () => {
    const spec = fc.oneof(
      fc
        .tuple(fc.nat(20_000), fc.option(fc.nat(20_000), { nil: undefined }))
        .map(([a, b]) => (b === undefined ? `${a}-` : `${Math.min(a, b)}-${Math.max(a, b)}`)),
      fc.nat(20_000).map((n) => `-${n}`),
    );
    fc.assert(
      fc.property(length, fc.array(spec, { minLength: 1, maxLength: 4 }), (total, specs) => {
        const result = parseRangeHeader(`bytes=${specs.join(', ')}`, total);
        expect(result._tag).not.toBe('None');
        const ranges = result._tag === 'Single' ? [result] : result._tag === 'Multiple' ? result.ranges : [];
        for (const r of ranges) {
          expect(r.first).toBeGreaterThanOrEqual(0);
          expect(r.first).toBeLessThanOrEqual(r.last);
          expect(r.last).toBeLessThan(total);
        }
        if (result._tag === 'Multiple') expect(result.ranges.length).toBeGreaterThan(1);
      }),
    );
  });

  it('a single N-M with N <= M < length is exactly itself', () => {
    fc.assert(
      fc.property(
        length.filter((n) => n > 0).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1), fc.nat(n - 1))),
        ([total, a, b]) => {
          const [first, last] = a <= b ? [a, b] : [b, a];
          expect(parseRangeHeader(`bytes=${first}-${last}`, total)).toEqual({ _tag: 'Single', first, last });
        },
      ),
    );
  });

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), length, (text, total) => {
        parseRangeHeader(text, total);
        parseRangeHeader(`bytes=${text}`, total);
      }),
    );
  });
});
