import type { ExpectedChecksum, ServerChecksums } from '../model/checksum.js';
import type { HashAlgorithm } from '../ports/Hasher.js';
import type { HeaderMap } from '../ports/HttpPort.js';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The bytes of standard base64 text (padding optional) as lower-case hex, `null` when it is not base64. */
export const base64ToHex = (text: string): string | null => {
  const trimmed = text.trim();
  // Its padding, counted from the end: a pattern for it was tried from each `=` of a run (64 KiB of them before a
  // letter, from a hostile Digest header, took 3.4 s).
  let end = trimmed.length;
  while (end > 0 && trimmed[end - 1] === '=') end -= 1;
  const clean = trimmed.slice(0, end);
  if (clean === '' || clean.length % 4 === 1 || !/^[A-Za-z0-9+/]+$/.test(clean)) return null;
  let bits = 0;
  let value = 0;
  let hex = '';
  for (const char of clean) {
    value = (value << 6) | BASE64.indexOf(char);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      hex += ((value >> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return hex;
};

const MAX_UINT64 = (1n << 64n) - 1n;

/** OSS sends the CRC-64 as an unsigned decimal: as 16 hex digits, `null` when it is not one. */
const crc64FromDecimal = (text: string): string | null => {
  const trimmed = text.trim();
  if (!/^\d{1,20}$/.test(trimmed)) return null;
  const value = BigInt(trimmed);
  return value > MAX_UINT64 ? null : value.toString(16).padStart(16, '0');
};

/** Lengths in hex digits of the digests `Repr-Digest` may carry that rdl checks. */
const REPR_ALGORITHMS: Readonly<Record<string, { algorithm: HashAlgorithm; hexLength: number }>> = {
  'sha-256': { algorithm: 'sha256', hexLength: 64 },
  'sha-512': { algorithm: 'sha512', hexLength: 128 },
};

/**
 * The checksums of the whole file an answer carries (R27): OSS's `x-oss-hash-crc64ecma`, RFC 9530's `Repr-Digest`
 * (`sha-256`, `sha-512`: a digest of the whole representation, whatever range the answer holds), and `Content-MD5`
 * only when the answer's body is the whole file (`wholeBody`: a HEAD, or a 200), since on a 206 it is the part's.
 * A value that does not parse, or has the wrong length, is not a checksum: it is ignored, never trusted; nor is an
 * algorithm `Repr-Digest` gives two values of.
 */
export const serverChecksums = (headers: HeaderMap, wholeBody: boolean): ServerChecksums => {
  const found: Partial<Record<HashAlgorithm, ExpectedChecksum>> = {};
  const crc = headers['x-oss-hash-crc64ecma'];
  const crcHex = crc === undefined ? null : crc64FromDecimal(crc);
  if (crcHex !== null)
    found.crc64ecma = { algorithm: 'crc64ecma', value: crcHex, source: 'x-oss-hash-crc64ecma' };
  const md5 = headers['content-md5'];
  const md5Hex = md5 === undefined || !wholeBody ? null : base64ToHex(md5);
  if (md5Hex !== null && md5Hex.length === 32)
    found.md5 = { algorithm: 'md5', value: md5Hex, source: 'content-md5' };
  // One algorithm given twice with two values (two header lines joined, a proxy's added to the origin's) says
  // nothing the bytes can be checked against: that algorithm is dropped, whatever the order (never the last wins).
  const contradicted = new Set<HashAlgorithm>();
  for (const member of (headers['repr-digest'] ?? '').split(',')) {
    const match = /^\s*([a-z0-9-]+)\s*=\s*:([A-Za-z0-9+/=]*):\s*$/i.exec(member);
    const known = match === null ? undefined : REPR_ALGORITHMS[(match[1] ?? '').toLowerCase()];
    const hex = match === null ? null : base64ToHex(match[2] ?? '');
    if (known === undefined || hex === null || hex.length !== known.hexLength) continue;
    const before = found[known.algorithm];
    if (before !== undefined && before.value !== hex) contradicted.add(known.algorithm);
    found[known.algorithm] = { algorithm: known.algorithm, value: hex, source: 'repr-digest' };
  }
  for (const algorithm of contradicted) delete found[algorithm];
  return found;
};
