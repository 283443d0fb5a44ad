import { md5 } from '@noble/hashes/legacy.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { Crc64 } from '../hashing/crc64.js';
import type { HashAlgorithm, Hasher, HashState } from '../ports/Hasher.js';

/** A `Hasher` in plain JavaScript (`@noble/hashes`, and core's CRC-64), usable on every platform. */
export class MemoryHasher implements Hasher {
  create(algorithm: HashAlgorithm): HashState {
    if (algorithm === 'crc64ecma') return new Crc64();
    const state = { sha256, sha512, md5 }[algorithm].create();
    return {
      update: (bytes) => {
        state.update(bytes);
      },
      digest: () => bytesToHex(state.digest()),
    };
  }
}
