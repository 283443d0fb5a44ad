/** Deterministic pseudo-random bytes (xorshift32): the servers and the tests make the same file from a seed. */
export const patternBytes = (length: number, seed: number): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
};
