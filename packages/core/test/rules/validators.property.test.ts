import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Validators } from '../../src/model/checkpoint.js';
import { compareVersions, strongEtag } from '../../src/rules/validators.js';

const opaque = fc.stringMatching(/^[a-zA-Z0-9]{0,6}$/);
const etag = fc.oneof(
  fc.constant(null),
  opaque.map((o) => `"${o}"`),
  opaque.map((o) => `W/"${o}"`),
  opaque,
);
const date = fc.oneof(
  fc.constant(null),
  fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000).toUTCString()),
);
const validators: fc.Arbitrary<Validators> = fc.record({ etag, lastModified: date, date });

describe('compareVersions (properties)', () => {
  it('R2: a weak ETag never goes out as a strong one', () => {
    fc.assert(
      fc.property(validators, (a) => {
        const strong = strongEtag(a);
        if (strong !== null) expect(strong.startsWith('"')).toBe(true);
      }),
    );
  });

  it('R13: same and different are symmetric-safe: two different strong ETags are never the same version', () => {
    fc.assert(
      fc.property(validators, validators, (a, b) => {
        const result = compareVersions(a, b);
        const sa = strongEtag(a);
        const sb = strongEtag(b);
        if (sa !== null && sb !== null) expect(result).toBe(sa === sb ? 'same' : 'different');
        if (result === 'same') expect(sa !== null || a.lastModified !== null).toBe(true);
      }),
    );
  });

  it('R4: without a strong validator saved, nothing is ever the same version', () => {
    fc.assert(
      fc.property(validators, validators, (a, b) => {
        const weakSaved: Validators = { ...a, etag: a.etag === null ? null : `W/"${a.etag}"`, date: null };
        expect(compareVersions(weakSaved, b)).not.toBe('same');
      }),
    );
  });
});
