/**
 * CRC-64/XZ, the "CRC-64/ECMA-182" that Alibaba Cloud OSS sends as `x-oss-hash-crc64ecma` with every object (and
 * Go's `hash/crc64` with the ECMA table computes): the ECMA-182 polynomial, reflected, initial value and final XOR
 * all ones. Check value of `123456789`: 0x995dc9bbdf1939fa.
 *
 * Written here, in plain JavaScript on 32-bit halves (no BigInt in the loop), because the npm packages for it
 * either hash strings only or are Node-only asm.js that copies every chunk; core needs one that runs on every
 * platform at disk speed. Slicing by 8: eight tables, eight bytes a step.
 */

/** The reflected ECMA-182 polynomial 0xc96c5795d7870f42, as two 32-bit halves. */
const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;

/** Eight tables of 256 entries, each entry two halves: `[k * 512 + i * 2]` is the low half, `+ 1` the high one. */
const TABLES = (() => {
  const t = new Uint32Array(8 * 256 * 2);
  for (let i = 0; i < 256; i += 1) {
    let lo = i;
    let hi = 0;
    for (let bit = 0; bit < 8; bit += 1) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | (hi << 31)) >>> 0;
      hi >>>= 1;
      if (carry !== 0) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    t[i * 2] = lo;
    t[i * 2 + 1] = hi;
  }
  for (let k = 1; k < 8; k += 1) {
    for (let i = 0; i < 256; i += 1) {
      const prevLo = t[(k - 1) * 512 + i * 2] as number;
      const prevHi = t[(k - 1) * 512 + i * 2 + 1] as number;
      const index = (prevLo & 0xff) * 2;
      t[k * 512 + i * 2] = (((prevLo >>> 8) | (prevHi << 24)) ^ (t[index] as number)) >>> 0;
      t[k * 512 + i * 2 + 1] = ((prevHi >>> 8) ^ (t[index + 1] as number)) >>> 0;
    }
  }
  return t;
})();

/** A CRC-64/XZ in progress. */
export class Crc64 {
  /** The register, complemented (the initial value is all ones). */
  #lo = 0xffffffff;
  #hi = 0xffffffff;

  update(bytes: Uint8Array): void {
    const t = TABLES;
    let lo = this.#lo;
    let hi = this.#hi;
    let i = 0;
    const whole = bytes.length - (bytes.length % 8);
    for (; i < whole; i += 8) {
      lo ^=
        (bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24);
      hi ^=
        (bytes[i + 4] as number) |
        ((bytes[i + 5] as number) << 8) |
        ((bytes[i + 6] as number) << 16) |
        ((bytes[i + 7] as number) << 24);
      const a = 7 * 512 + (lo & 0xff) * 2;
      const b = 6 * 512 + ((lo >>> 8) & 0xff) * 2;
      const c = 5 * 512 + ((lo >>> 16) & 0xff) * 2;
      const d = 4 * 512 + (lo >>> 24) * 2;
      const e = 3 * 512 + (hi & 0xff) * 2;
      const f = 2 * 512 + ((hi >>> 8) & 0xff) * 2;
      const g = 512 + ((hi >>> 16) & 0xff) * 2;
      const h = (hi >>> 24) * 2;
      lo =
        (t[a] as number) ^
        (t[b] as number) ^
        (t[c] as number) ^
        (t[d] as number) ^
        (t[e] as number) ^
        (t[f] as number) ^
        (t[g] as number) ^
        (t[h] as number);
      hi =
        (t[a + 1] as number) ^
        (t[b + 1] as number) ^
        (t[c + 1] as number) ^
        (t[d + 1] as number) ^
        (t[e + 1] as number) ^
        (t[f + 1] as number) ^
        (t[g + 1] as number) ^
        (t[h + 1] as number);
    }
    for (; i < bytes.length; i += 1) {
      const index = ((lo ^ (bytes[i] as number)) & 0xff) * 2;
      lo = ((lo >>> 8) | (hi << 24)) ^ (t[index] as number);
      hi = (hi >>> 8) ^ (t[index + 1] as number);
    }
    this.#lo = lo >>> 0;
    this.#hi = hi >>> 0;
  }

  /** The CRC as 16 lower-case hex digits. */
  digest(): string {
    const hex = (n: number): string => (~n >>> 0).toString(16).padStart(8, '0');
    return hex(this.#hi) + hex(this.#lo);
  }
}
