import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Crc64 } from '../../src/hashing/crc64.js';

/** CRC-64/XZ bit by bit, as its definition says: the reference the table-driven code must equal. */
const reference = (bytes: Uint8Array): string => {
  const poly = 0xc96c5795d7870f42n;
  let crc = 0xffffffffffffffffn;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ 0xffffffffffffffffn).toString(16).padStart(16, '0');
};

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('Crc64 (CRC-64/XZ, OSS x-oss-hash-crc64ecma)', () => {
  it('R27: gives the published check value of the polynomial for "123456789"', () => {
    const crc = new Crc64();
    crc.update(ascii('123456789'));
    expect(crc.digest()).toBe('995dc9bbdf1939fa');
    expect(new Crc64().digest()).toBe('0000000000000000');
  });

  it('R27: equals the bit-by-bit definition for any bytes, however they are split into updates', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(300), { maxLength: 6 }),
        (bytes, cuts) => {
          const crc = new Crc64();
          let from = 0;
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            const to = Math.min(cut, bytes.length);
            crc.update(bytes.subarray(from, Math.max(from, to)));
            from = Math.max(from, to);
          }
          crc.update(bytes.subarray(from));
          expect(crc.digest()).toBe(reference(bytes));
        },
      ),
    );
  });
});
