import { describe, expect, it } from 'vitest';
import type { Validators } from '../../src/model/checkpoint.js';
import {
  compareVersions,
  extractValidators,
  hasStrongValidator,
  isWeakEtag,
  parseHttpDate,
  strongEtag,
  strongLastModified,
} from '../../src/rules/validators.js';

const v = (
  etag: string | null,
  lastModified: string | null = null,
  date: string | null = null,
): Validators => ({
  etag,
  lastModified,
  date,
});
const OLD = 'Sun, 06 Nov 1994 08:49:37 GMT';
const OLD_PLUS_59 = 'Sun, 06 Nov 1994 08:50:36 GMT';
const OLD_PLUS_60 = 'Sun, 06 Nov 1994 08:50:37 GMT';
const LATER = 'Mon, 07 Nov 1994 08:49:37 GMT';

describe('extractValidators', () => {
  it('R1: keeps ETag, Last-Modified and Date verbatim, null when absent', () => {
    expect(extractValidators({ etag: 'W/"a b"', 'last-modified': OLD, date: LATER, other: 'x' })).toEqual(
      v('W/"a b"', OLD, LATER),
    );
    expect(extractValidators({})).toEqual(v(null));
  });
});

describe('ETags', () => {
  it('R2: a weak ETag is recognised, W/ and w/ alike', () => {
    expect(isWeakEtag('W/"x"')).toBe(true);
    expect(isWeakEtag('w/"x"')).toBe(true);
    expect(isWeakEtag('"W/x"')).toBe(false);
    expect(isWeakEtag('"x"')).toBe(false);
  });

  it('R2: only a well-formed strong ETag is usable for resume', () => {
    expect(strongEtag(v('"abc"'))).toBe('"abc"');
    expect(strongEtag(v('""'))).toBe('""');
    expect(strongEtag(v('W/"abc"'))).toBeNull();
    expect(strongEtag(v('abc'))).toBeNull();
    expect(strongEtag(v('"a", "b"'))).toBeNull();
    expect(strongEtag(v('"a"b"'))).toBeNull();
    expect(strongEtag(v(null))).toBeNull();
  });
});

describe('Last-Modified', () => {
  it('R3: a date counts as strong only 60 s or more before the Date of the answer', () => {
    expect(strongLastModified(v(null, OLD, OLD_PLUS_60))).toBe(OLD);
    expect(strongLastModified(v(null, OLD, OLD_PLUS_59))).toBeNull();
    expect(strongLastModified(v(null, OLD, OLD))).toBeNull();
    expect(strongLastModified(v(null, OLD, null))).toBeNull();
    expect(strongLastModified(v(null, null, OLD))).toBeNull();
    expect(strongLastModified(v(null, 'yesterday', OLD))).toBeNull();
  });

  it('R3: reads the three HTTP-date forms and refuses other text', () => {
    const ms = Date.UTC(1994, 10, 6, 8, 49, 37);
    expect(parseHttpDate(OLD)).toBe(ms);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(ms);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(ms);
    expect(parseHttpDate('1994-11-06T08:49:37Z')).toBeNull();
    expect(parseHttpDate('-5')).toBeNull();
    expect(parseHttpDate(null)).toBeNull();
    expect(parseHttpDate(undefined)).toBeNull();
    expect(parseHttpDate('Sun, 99 Nov 1994 08:49:37 GMT')).toBeNull();
  });

  it('R4: a weak date alone, or a weak ETag alone, is not a strong validator', () => {
    expect(hasStrongValidator(v('W/"x"', OLD, OLD_PLUS_59))).toBe(false);
    expect(hasStrongValidator(v(null))).toBe(false);
    expect(hasStrongValidator(v('"x"'))).toBe(true);
    expect(hasStrongValidator(v(null, OLD, LATER))).toBe(true);
  });
});

describe('compareVersions', () => {
  it('R2: strong ETags compare by their exact string', () => {
    expect(compareVersions(v('"a"'), v('"a"'))).toBe('same');
    expect(compareVersions(v('"a"'), v('"A"'))).toBe('different');
  });

  it('R2: a weak ETag never proves the same version', () => {
    expect(compareVersions(v('W/"a"'), v('W/"a"'))).toBe('unknown');
    expect(compareVersions(v('"a"'), v('W/"a"'))).toBe('unknown');
    expect(compareVersions(v('W/"a"'), v('"a"'))).toBe('unknown');
  });

  it('R13: a weak ETag with another opaque tag proves a change', () => {
    expect(compareVersions(v('"a"'), v('W/"b"'))).toBe('different');
  });

  it('R3: dates decide when ETags do not, and only a strong saved date proves the same version', () => {
    expect(compareVersions(v(null, OLD, LATER), v(null, OLD))).toBe('same');
    expect(compareVersions(v(null, OLD, OLD_PLUS_59), v(null, OLD))).toBe('unknown');
    expect(compareVersions(v(null, OLD, LATER), v(null, LATER))).toBe('different');
    expect(compareVersions(v(null, OLD, OLD), v(null, LATER))).toBe('different');
    expect(compareVersions(v('"a"', OLD, LATER), v(null, OLD))).toBe('same');
  });

  it('R13: equal strong ETags win over a date that varies between servers', () => {
    expect(compareVersions(v('"a"', OLD, LATER), v('"a"', LATER, LATER))).toBe('same');
  });

  it('R4: nothing to compare is unknown', () => {
    expect(compareVersions(v(null), v(null))).toBe('unknown');
    expect(compareVersions(v('"a"'), v(null))).toBe('unknown');
    expect(compareVersions(v(null), v('"a"'))).toBe('unknown');
  });
});
