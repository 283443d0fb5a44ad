import * as E from 'fp-ts/lib/Either.js';
import type { Hasher, HashState } from '../../ports/Hasher.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';

/** Bytes read back at a time when the running hash missed some. */
const READ_CHUNK_BYTES = 1 << 20;

/** Digests of the part file's first `upTo` bytes, kept while they are written in order (R27 without a re-read). */
export interface RunningHash {
  readonly sha256: HashState | null;
  readonly md5: HashState | null;
  upTo: number;
}

/**
 * What one download holds outside the machine's JSON context: the open part file, the running hash, and the work
 * in flight. The actors of one download share it; the machine never sees it.
 */
export class DownloadSession {
  /** The open, locked part file, or `null` when closed. */
  part: PartFile | null = null;
  #hash: RunningHash | null = null;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #hasher: Hasher;
  readonly #algorithms: { readonly sha256: boolean; readonly md5: boolean };

  constructor(hasher: Hasher, algorithms: { readonly sha256: boolean; readonly md5: boolean }) {
    this.#hasher = hasher;
    this.#algorithms = algorithms;
  }

  /** Runs `work` as part of the download: `quiet()` waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#pending.add(work);
    const forget = () => {
      this.#pending.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /** Resolves once no tracked work is in flight (a stop waits here before it closes the file). */
  async quiet(): Promise<void> {
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
  }

  /** Whether the finished file is hashed at all. */
  get hashing(): boolean {
    return this.#algorithms.sha256 || this.#algorithms.md5;
  }

  /**
   * The running hash for a stream that begins writing at `offset`. A hash that went past `offset` counts bytes that
   * are about to be overwritten, so it begins again at 0 and verification reads back what it missed.
   */
  hashFrom(offset: number): RunningHash | null {
    if (!this.hashing) return null;
    if (this.#hash === null || this.#hash.upTo > offset) this.#hash = this.#freshHash();
    return this.#hash;
  }

  /**
   * Feeds the running hash the bytes `[upTo, length)` read back from the part file, so that it extends to `length`
   * (a resume, or bytes written out of order). `null` when it worked.
   */
  async catchUp(part: PartFile, hash: RunningHash, length: number): Promise<StorageFailure | null> {
    while (hash.upTo < length) {
      const read = await part.read(hash.upTo, Math.min(READ_CHUNK_BYTES, length - hash.upTo))();
      if (E.isLeft(read)) return read.left;
      if (read.right.length === 0)
        return { _tag: 'IoError', message: `the part file ends before byte ${length}` };
      hash.sha256?.update(read.right);
      hash.md5?.update(read.right);
      hash.upTo += read.right.length;
    }
    return null;
  }

  /**
   * `catchUp` to an end that moves: reads back and hashes the part file until the hash reaches `frontier()`, the end
   * of the bytes written so far, which grows while it reads. From there the writes extend the hash themselves
   * (`hashWritten`), so a resume need not read its prefix back before its request goes out. It stops once
   * `halted()`, and at a failed read: the hash then ends short, and verification reads back the rest (R27).
   */
  async chase(
    part: PartFile,
    hash: RunningHash,
    frontier: () => number,
    halted: () => boolean,
  ): Promise<void> {
    while (!halted() && hash.upTo < frontier()) {
      const read = await part.read(hash.upTo, Math.min(READ_CHUNK_BYTES, frontier() - hash.upTo))();
      if (E.isLeft(read) || read.right.length === 0) return;
      hash.sha256?.update(read.right);
      hash.md5?.update(read.right);
      hash.upTo += read.right.length;
    }
  }

  /** Counts bytes just written at `offset` when they extend the hash; other writes leave it for verification. */
  hashWritten(offset: number, bytes: Uint8Array): void {
    const hash = this.#hash;
    if (hash === null || hash.upTo !== offset) return;
    hash.sha256?.update(bytes);
    hash.md5?.update(bytes);
    hash.upTo += bytes.length;
  }

  /** Hands the running hash of a file of `length` bytes over to verification (it digests it) and forgets it. */
  takeHash(length: number): RunningHash | null {
    if (!this.hashing) return null;
    const kept = this.#hash;
    const hash = kept !== null && kept.upTo <= length ? kept : this.#freshHash();
    this.#hash = null;
    return hash;
  }

  #freshHash(): RunningHash {
    return {
      sha256: this.#algorithms.sha256 ? this.#hasher.create('sha256') : null,
      md5: this.#algorithms.md5 ? this.#hasher.create('md5') : null,
      upTo: 0,
    };
  }
}
