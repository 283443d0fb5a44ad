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
 * Hash functions for integrity checks (R27). Node gives its `crypto`; browsers a JS implementation, since
 * WebCrypto has no incremental digest.
 */
export interface Hasher {
  create(algorithm: 'sha256' | 'md5'): HashState;
}
