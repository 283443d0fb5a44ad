/** An incremental hash in progress. */
export interface HashState {
  /** Adds `bytes`; done with them when it returns (the caller may reuse them). */
  update(bytes: Uint8Array): void;
  /** The lower-case hex digest. The state must not be used afterwards. */
  digest(): string;
}

/**
 * Hash functions for integrity checks (R27). Node gives its `crypto`; browsers a JS implementation, since
 * WebCrypto has no incremental digest.
 */
export interface Hasher {
  create(algorithm: 'sha256' | 'md5'): HashState;
}
