import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  formatRange,
  formatSuffixRange,
  parseContentLength,
  parseContentRange,
} from '../../src/rules/contentRange.js';

describe('formatRange', () => {
  it('R6: a resume asks for bytes=N- and a segment for bytes=N-M', () => {
    expect(formatRange(400, null)).toBe('bytes=400-');
    expect(formatRange(0, 99)).toBe('bytes=0-99');
    expect(formatSuffixRange(500)).toBe('bytes=-500');
  });
});

describe('parseContentRange', () => {
  it('reads a satisfied range with a total or *', () => {
    expect(parseContentRange('bytes 0-499/1234')).toEqual(
      E.right({ _tag: 'Satisfied', first: 0, last: 499, total: 1234 }),
    );
    expect(parseContentRange('bytes 10-19/*')).toEqual(
      E.right({ _tag: 'Satisfied', first: 10, last: 19, total: null }),
    );
    expect(parseContentRange('  Bytes 1-1/2 ')).toEqual(
      E.right({ _tag: 'Satisfied', first: 1, last: 1, total: 2 }),
    );
  });

  it('R12: reads an unsatisfied range bytes */L', () => {
    expect(parseContentRange('bytes */1234')).toEqual(E.right({ _tag: 'Unsatisfied', total: 1234 }));
    expect(parseContentRange('bytes */0')).toEqual(E.right({ _tag: 'Unsatisfied', total: 0 }));
  });

  it('R8: a missing Content-Range is Left', () => {
    expect(parseContentRange(undefined)).toEqual(E.left('missing Content-Range'));
  });

  it.each([
    [''],
    ['bytes'],
    ['bytes 0-499'],
    ['bytes=0-499/1234'],
    ['items 0-1/2'],
    ['bytes -1-5/10'],
    ['bytes 0-1/2, bytes 3-4/10'],
    ['bytes 0x1-2/3'],
    ['bytes 1.5-2/3'],
    ['bytes */*'],
    ['bytes 0-/10'],
  ])('R8: a malformed Content-Range %j is Left', (value) => {
    expect(E.isLeft(parseContentRange(value))).toBe(true);
  });

  it('R8: last before first, or last at or past the total, is Left', () => {
    expect(E.isLeft(parseContentRange('bytes 5-4/10'))).toBe(true);
    expect(E.isLeft(parseContentRange('bytes 0-10/10'))).toBe(true);
    expect(E.isLeft(parseContentRange('bytes 0-0/0'))).toBe(true);
  });

  it('R8: numbers past 2^53 are Left, never rounded', () => {
    expect(E.isLeft(parseContentRange('bytes 0-1/99999999999999999999'))).toBe(true);
    expect(E.isLeft(parseContentRange('bytes 99999999999999999998-99999999999999999999/*'))).toBe(true);
    expect(E.isLeft(parseContentRange('bytes */99999999999999999999'))).toBe(true);
  });
});

describe('parseContentLength', () => {
  it('R15: reads digits, and anything else is unknown (null), never NaN', () => {
    expect(parseContentLength('42')).toBe(42);
    expect(parseContentLength(' 0 ')).toBe(0);
    expect(parseContentLength(undefined)).toBeNull();
    expect(parseContentLength('')).toBeNull();
    expect(parseContentLength('-1')).toBeNull();
    expect(parseContentLength('1e3')).toBeNull();
    expect(parseContentLength('12, 12')).toBeNull();
    expect(parseContentLength('99999999999999999999')).toBeNull();
  });
});
