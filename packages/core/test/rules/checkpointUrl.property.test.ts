import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCheckpointUrl, storedUrl } from '../../src/rules/checkpointUrl.js';

const part = fc.stringMatching(/^[a-z0-9]{1,6}$/);
const url = fc.record({
  scheme: fc.constantFrom('http', 'https'),
  host: fc.constantFrom('a.example', 'b.example', '127.0.0.1'),
  port: fc.constantFrom('', ':8080', ':9000'),
  path: fc.array(part, { minLength: 1, maxLength: 3 }).map((p) => `/${p.join('/')}`),
  query: fc.array(fc.tuple(fc.constantFrom('file', 'versionId', 'X-Amz-Date', 'Expires'), part), {
    maxLength: 3,
  }),
  signature: fc.option(fc.tuple(fc.constantFrom('X-Amz-Signature', 'Signature', 'sig'), part), { nil: null }),
  fragment: fc.option(part, { nil: null }),
});
type Parts = typeof url extends fc.Arbitrary<infer T> ? T : never;
const text = (u: Parts): string => {
  const params = [...u.query, ...(u.signature === null ? [] : [u.signature])];
  const query = params.length === 0 ? '' : `?${params.map(([n, v]) => `${n}=${v}`).join('&')}`;
  return `${u.scheme}://${u.host}${u.port}${u.path}${query}${u.fragment === null ? '' : `#${u.fragment}`}`;
};
const place = (u: Parts): string => `${u.scheme}://${u.host}${u.port}${u.path}`;
const plainQuery = (u: Parts): string => JSON.stringify(u.query);

describe('compareCheckpointUrl (properties)', () => {
  it('R22: another scheme, host, port or path is another URL; the same with another query is `query`; a signature or fragment alone changes nothing', () => {
    fc.assert(
      fc.property(url, url, (a, b) => {
        const relation = compareCheckpointUrl(text(a), text(b));
        const expected =
          place(a) !== place(b)
            ? 'other'
            : plainQuery(a) === plainQuery(b) &&
                (a.signature === null) === (b.signature === null) &&
                (a.signature === null || b.signature === null || a.signature[0] === b.signature[0])
              ? 'same'
              : 'query';
        expect(relation).toBe(expected);
        expect(compareCheckpointUrl(text(b), text(a))).toBe(relation);
      }),
    );
  });

  it('R22, R37: the URL a checkpoint stores is `same` as the URL it came from, and holds no signature', () => {
    fc.assert(
      fc.property(url, (a) => {
        const saved = storedUrl(text(a));
        expect(compareCheckpointUrl(saved, text(a))).toBe('same');
        if (a.signature !== null) expect(saved).not.toContain(`${a.signature[0]}=${a.signature[1]}`);
      }),
    );
  });

  it('R22, R37: a password in a URL is not stored, and a URL that does not parse is `same` only as the same text', () => {
    expect(storedUrl('https://u:p@h.example/f?X-Amz-Signature=s')).toBe(
      'https://h.example/f?X-Amz-Signature=REDACTED',
    );
    expect(compareCheckpointUrl('https://u:p@h.example/f', 'https://h.example/f')).toBe('same');
    expect(compareCheckpointUrl('HTTPS://H.EXAMPLE:443/f', 'https://h.example/f')).toBe('same');
    expect(compareCheckpointUrl('not a url', 'not a url')).toBe('same');
    expect(compareCheckpointUrl('not a url', 'https://h.example/f')).toBe('other');
    expect(compareCheckpointUrl('https://h.example/f?file=a', 'https://h.example/f?file=b')).toBe('query');
    expect(compareCheckpointUrl('https://h.example/f', 'https://h.example/F')).toBe('other');
  });
});
