import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToHex, serverChecksums } from '../../src/rules/serverChecksums.js';

// sha-256 of "hello", and sha-512 of "hello", as RFC 9530 examples write them (base64 between colons).
const SHA256_HELLO = 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=';
const SHA256_HELLO_HEX = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
const SHA512_HELLO =
  'm3HSJL1i83hdltRq0+o9czGb+8KJDKra4t/3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw==';

describe('serverChecksums', () => {
  it('R27: OSS x-oss-hash-crc64ecma (an unsigned decimal) becomes its 16 hex digits', () => {
    expect(serverChecksums({ 'x-oss-hash-crc64ecma': '11051210869376104954' }, false)).toEqual({
      crc64ecma: { algorithm: 'crc64ecma', value: '995dc9bbdf1939fa', source: 'x-oss-hash-crc64ecma' },
    });
  });

  it('R27: Repr-Digest sha-256 and sha-512 are of the whole file, whatever range the answer holds', () => {
    const found = serverChecksums(
      { 'repr-digest': `sha-256=:${SHA256_HELLO}:, sha-512=:${SHA512_HELLO}:` },
      false,
    );
    expect(found.sha256).toEqual({ algorithm: 'sha256', value: SHA256_HELLO_HEX, source: 'repr-digest' });
    expect(found.sha512?.value).toHaveLength(128);
    expect(found.sha512?.value.startsWith('9b71d224bd62f378')).toBe(true);
  });

  it('R27: Content-MD5 counts only on a whole body (a HEAD, a 200), never on a 206 of a part', () => {
    const headers = { 'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==' };
    expect(serverChecksums(headers, true)).toEqual({
      md5: { algorithm: 'md5', value: '5d41402abc4b2a76b9719d911017c592', source: 'content-md5' },
    });
    expect(serverChecksums(headers, false)).toEqual({});
  });

  it.each([
    ['x-oss-hash-crc64ecma', '-1'],
    ['x-oss-hash-crc64ecma', '18446744073709551616'],
    ['x-oss-hash-crc64ecma', '0x995dc9bbdf1939fa'],
    ['content-md5', 'not base64!'],
    ['content-md5', 'AAAA'],
    ['repr-digest', 'sha-256=:AAAA:'],
    ['repr-digest', 'md5=:XUFAKrxLKna5cZ2REBfFkg==:'],
    ['repr-digest', `sha-256=${SHA256_HELLO}`],
  ])('R27: a %s of %j is not a checksum: ignored, never trusted', (name, value) => {
    expect(serverChecksums({ [name]: value }, true)).toEqual({});
  });

  it('R27: an algorithm Repr-Digest gives two values of is dropped, in any order of its members; one given twice alike is kept', () => {
    // A proxy's Repr-Digest joined to the origin's: a sha-256 of "hello" and one of other bytes.
    // 32 bytes of 7.
    const other = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=';
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          [`sha-256=:${SHA256_HELLO}:`, `sha-256=:${other}:`, `sha-512=:${SHA512_HELLO}:`, 'sha-256=:AAAA:'],
          { minLength: 4, maxLength: 4 },
        ),
        fc.boolean(),
        (members, spaced) => {
          const found = serverChecksums({ 'repr-digest': members.join(spaced ? ', ' : ',') }, false);
          expect(found.sha256).toBeUndefined();
          expect(found.sha512?.value.startsWith('9b71d224bd62f378')).toBe(true);
        },
      ),
    );
    const twice = serverChecksums(
      { 'repr-digest': `sha-256=:${SHA256_HELLO}:, SHA-256=:${SHA256_HELLO}:` },
      false,
    );
    expect(twice.sha256?.value).toBe(SHA256_HELLO_HEX);
  });

  it('decodes base64 with or without padding, and refuses what is not base64', () => {
    expect(base64ToHex('AAEC')).toBe('000102');
    expect(base64ToHex('/w==')).toBe('ff');
    expect(base64ToHex('/w')).toBe('ff');
    expect(base64ToHex('A')).toBeNull();
    expect(base64ToHex('')).toBeNull();
    // Padding is only at the end: a run of `=` before a letter is no base64, however long (one pass from the end).
    expect(base64ToHex(`${'='.repeat(64 * 1024)}A`)).toBeNull();
    expect(base64ToHex(`/w${'='.repeat(64 * 1024)}`)).toBe('ff');
    expect(base64ToHex(' /w== ')).toBe('ff');
    expect(base64ToHex('a*b=')).toBeNull();
  });
});
