import type { HashAlgorithm, Hasher, HashState } from '@rdl/core';
import { Crc64 } from '@rdl/core/adapter';
import { lazyBuiltin } from './lazyBuiltin.js';
import { type SpawnHashWorker, ThreadHashState } from './threadHash.js';

const crypto = lazyBuiltin<typeof import('node:crypto')>('node:crypto');
const workerThreads = lazyBuiltin<typeof import('node:worker_threads')>('node:worker_threads');

/** Options of `NodeHasher`. */
export interface NodeHasherOptions {
  /**
   * Hash on a worker thread, so that the download's thread only copies the bytes (SHA-256 costs 0.4 to 1 s a GiB of
   * that thread otherwise). Default true; false hashes inline.
   */
  readonly offThread?: boolean;
  /**
   * The longest the download's thread waits on a worker that makes no progress before it gives the worker up
   * (see `update` and `digest` of the hash state). Default 3000 ms: a live worker hashes a 256 KiB slot in well
   * under a millisecond, so only a dead or frozen one gets there.
   */
  readonly workerStallMs?: number;
}

const spawnWorker: SpawnHashWorker = (source, options) => new (workerThreads().Worker)(source, options);

/**
 * `Hasher` over node:crypto (OpenSSL): incremental SHA-256, SHA-512 and MD5 at native speed, by default off the main
 * thread. CRC-64 (OSS's `x-oss-hash-crc64ecma`), which OpenSSL lacks, is core's `Crc64`, inline. A worker that dies or stops answering never blocks the thread for longer than `workerStallMs`: a hash it had not
 * begun goes on inline, exactly; one it had begun is lost, and its `digest()` throws a `DownloadError` (`ERR_IO`)
 * rather than return a wrong value.
 */
export class NodeHasher implements Hasher {
  private readonly offThread: boolean;
  private readonly stallMs: number;

  /** `spawn` makes the worker; tests pass one that lets them kill it. */
  constructor(
    options: NodeHasherOptions = {},
    private readonly spawn: SpawnHashWorker = spawnWorker,
  ) {
    this.offThread = options.offThread ?? true;
    this.stallMs = options.workerStallMs ?? 3_000;
  }

  create(algorithm: HashAlgorithm): HashState {
    if (algorithm === 'crc64ecma') return new Crc64();
    if (this.offThread) {
      try {
        return new ThreadHashState(algorithm, this.stallMs, this.spawn);
      } catch {
        // No worker threads here: hash inline.
      }
    }
    const hash = crypto().createHash(algorithm);
    return {
      update: (bytes) => {
        hash.update(bytes);
      },
      digest: () => hash.digest('hex'),
    };
  }
}
