import { md5 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Hasher, HashState } from '../ports/Hasher.js';

/** A `Hasher` in plain JavaScript (`@noble/hashes`), usable on every platform. */
export class MemoryHasher implements Hasher {
  create(algorithm: 'sha256' | 'md5'): HashState {
    const state = algorithm === 'sha256' ? sha256.create() : md5.create();
    return {
      update: (bytes) => {
        state.update(bytes);
      },
      digest: () => bytesToHex(state.digest()),
    };
  }
}
