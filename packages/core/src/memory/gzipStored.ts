const crcTable = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

const crc32 = (bytes: Uint8Array): number => {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
};

const MAX_STORED = 0xffff;

/**
 * A valid gzip member (RFC 1952) holding `bytes` in stored (uncompressed) deflate blocks: a real
 * `Content-Encoding: gzip` body any client can decode, without a compressor in core (R5 tests).
 */
export const gzipStored = (bytes: Uint8Array): Uint8Array => {
  const blocks = Math.max(1, Math.ceil(bytes.length / MAX_STORED));
  const out = new Uint8Array(10 + blocks * 5 + bytes.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let at = 10;
  for (let block = 0; block < blocks; block += 1) {
    const chunk = bytes.subarray(block * MAX_STORED, (block + 1) * MAX_STORED);
    const length = chunk.length;
    out.set(
      [block === blocks - 1 ? 1 : 0, length & 0xff, length >>> 8, ~length & 0xff, (~length >>> 8) & 0xff],
      at,
    );
    out.set(chunk, at + 5);
    at += 5 + length;
  }
  const view = new DataView(out.buffer);
  view.setUint32(at, crc32(bytes), true);
  view.setUint32(at + 4, bytes.length >>> 0, true);
  return out;
};
