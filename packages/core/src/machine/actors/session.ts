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

/** Adds `bytes`, which follow the first `hash.upTo`, to every digest of the running hash. */
const feed = (hash: RunningHash, bytes: Uint8Array): void => {
  hash.sha256?.update(bytes);
  hash.md5?.update(bytes);
  hash.upTo += bytes.length;
};

/**
 * What one download holds outside the machine's JSON context: the open part file, the running hash, and the work
 * in flight. The actors of one download share it; the machine never sees it.
 *
 * The part file has one owner at a time: `prepare` puts it here once opened (`hold`); the transfer and
 * verification use it (`part`); whoever closes, commits or deletes it takes it out first (`take`), so that no other
 * actor can use a handle that is going away.
 */
export class DownloadSession {
  #part: PartFile | null = null;
  #hash: RunningHash | null = null;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #hasher: Hasher;
  readonly #algorithms: { readonly sha256: boolean; readonly md5: boolean };

  constructor(hasher: Hasher, algorithms: { readonly sha256: boolean; readonly md5: boolean }) {
    this.#hasher = hasher;
    this.#algorithms = algorithms;
  }

  /** Keeps the part file `prepare` opened (and locked) until someone takes it. */
  hold(part: PartFile): void {
    if (this.#part !== null) throw new Error('a part file is already held: it would leak its lock');
    this.#part = part;
  }

  /** The open part file. Only the steps that come after `prepare` use it: its absence is a broken invariant. */
  get part(): PartFile {
    if (this.#part === null) throw new Error('the part file is not open: only steps after prepare use it');
    return this.#part;
  }

  /** Takes the part file out, to close, commit or delete it; `null` when none is held. */
  take(): PartFile | null {
    const part = this.#part;
    this.#part = null;
    return part;
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
    const read = await this.#readInto(
      part,
      hash,
      () => length,
      () => false,
    );
    if (read !== 'short') return read;
    return { _tag: 'IoError', message: `the part file ends before byte ${length}` };
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
    await this.#readInto(part, hash, frontier, halted);
  }

  /** Counts bytes just written at `offset` when they extend the hash; other writes leave it for verification. */
  hashWritten(offset: number, bytes: Uint8Array): void {
    const hash = this.#hash;
    if (hash !== null && hash.upTo === offset) feed(hash, bytes);
  }

  /** Hands the running hash of a file of `length` bytes over to verification (it digests it) and forgets it. */
  takeHash(length: number): RunningHash | null {
    if (!this.hashing) return null;
    const kept = this.#hash;
    const hash = kept !== null && kept.upTo <= length ? kept : this.#freshHash();
    this.#hash = null;
    return hash;
  }

  /**
   * Reads the part file into the hash until it reaches `end()` or `halted()`: `null` when it did, `'short'` when the
   * file ended first, the failure of a read that failed.
   */
  async #readInto(
    part: PartFile,
    hash: RunningHash,
    end: () => number,
    halted: () => boolean,
  ): Promise<StorageFailure | 'short' | null> {
    while (!halted() && hash.upTo < end()) {
      const read = await part.read(hash.upTo, Math.min(READ_CHUNK_BYTES, end() - hash.upTo))();
      if (E.isLeft(read)) return read.left;
      if (read.right.length === 0) return 'short';
      feed(hash, read.right);
    }
    return null;
  }

  #freshHash(): RunningHash {
    return {
      sha256: this.#algorithms.sha256 ? this.#hasher.create('sha256') : null,
      md5: this.#algorithms.md5 ? this.#hasher.create('md5') : null,
      upTo: 0,
    };
  }
}
