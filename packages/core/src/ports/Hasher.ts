/** An incremental hash in progress. */
export interface HashState {
  /** Adds `bytes`; done with them when it returns (the caller may reuse them). */
  update(bytes: Uint8Array): void;
  /** The lower-case hex digest. The state must not be used afterwards. */
  digest(): string;
  /**
   * Optional: `true` when the state missed bytes given to `update` (the worker thread that held it died), so that
   * `digest` would throw rather than give a wrong value; the caller then hashes the bytes again in a fresh state.
   * It may wait, boundedly, for the bytes already given to be hashed. Absent: the state is never lost.
   */
  lost?(): boolean;
}

/**
 * The digests an integrity check may need (R27): the caller's `expectedSha256` / `expectedMd5`, and what servers
 * send: `Repr-Digest` (sha-256, sha-512), `Content-MD5`, and OSS's `x-oss-hash-crc64ecma` (CRC-64/XZ, whose digest
 * is its 16 hex digits; core's `Crc64` computes it).
 */
export type HashAlgorithm = 'sha256' | 'sha512' | 'md5' | 'crc64ecma';

/**
 * Hash functions for integrity checks (R27). Node gives its `crypto`; browsers a JS implementation, since
 * WebCrypto has no incremental digest. Every algorithm of `HashAlgorithm` must be supported.
 */
export interface Hasher {
  create(algorithm: HashAlgorithm): HashState;
}
