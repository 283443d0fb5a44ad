import { createHash } from 'node:crypto';
import type { Hasher, HashState } from '@rdl/core';

/** `Hasher` over node:crypto (OpenSSL): incremental SHA-256 and MD5 at native speed. */
export class NodeHasher implements Hasher {
  create(algorithm: 'sha256' | 'md5'): HashState {
    const hash = createHash(algorithm);
    return {
      update: (bytes) => {
        hash.update(bytes);
      },
      digest: () => hash.digest('hex'),
    };
  }
}
