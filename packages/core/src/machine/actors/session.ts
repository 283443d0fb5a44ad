import * as E from 'fp-ts/lib/Either.js';
import type { ServerChecksums } from '../../model/checksum.js';
import type { HashAlgorithm, Hasher, HashState } from '../../ports/Hasher.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';

/** Bytes read back at a time when the running hash missed some. */
const READ_CHUNK_BYTES = 1 << 20;

/** Digests of the part file's first `upTo` bytes, kept while they are written in order (R27 without a re-read). */
export interface RunningHash {
  readonly states: ReadonlyMap<HashAlgorithm, HashState>;
  upTo: number;
}

/** Adds `bytes`, which follow the first `hash.upTo`, to every digest of the running hash. */
const feed = (hash: RunningHash, bytes: Uint8Array): void => {
  for (const state of hash.states.values()) state.update(bytes);
  hash.upTo += bytes.length;
};

/**
 * Whether `hash` can still give every one of `algorithms`: it computes them all, and none of its states lost bytes
 * (a hashing thread that died, `HashState.lost`), which would make its digest fail rather than be right.
 */
const computes = (hash: RunningHash, algorithms: readonly HashAlgorithm[]): boolean =>
  algorithms.every((algorithm) => hash.states.has(algorithm)) &&
  [...hash.states.values()].every((state) => state.lost?.() !== true);

/** Whether a state of `hash` lost bytes since it was checked: it must be computed again from byte 0. */
export const lostAny = (hash: RunningHash): boolean =>
  [...hash.states.values()].some((state) => state.lost?.() === true);

/** The digests of a running hash that has read every byte it must: each state is digested, once. */
export const digestsOf = (hash: RunningHash): Partial<Record<HashAlgorithm, string>> =>
  Object.fromEntries([...hash.states].map(([algorithm, state]) => [algorithm, state.digest()]));

/**
 * What one download holds outside the machine's JSON context: the open part file, the running hash, the
 * checksums the server gave of the file (R27), and the work in flight. The actors of one download share it; the machine never sees it.
 *
 * The part file has one owner at a time: `prepare` puts it here once opened (`hold`); the transfer and
 * verification use it (`part`); whoever closes, commits or deletes it takes it out first (`take`), so that no other
 * actor can use a handle that is going away.
 */
export class DownloadSession {
  #part: PartFile | null = null;
  #hash: RunningHash | null = null;
  #serverChecksums: ServerChecksums = {};
  readonly #pending = new Set<Promise<unknown>>();
  readonly #hasher: Hasher;

  constructor(hasher: Hasher) {
    this.#hasher = hasher;
  }

  /** The checksums of the whole file the server gave for the version being downloaded (R27). */
  get serverChecksums(): ServerChecksums {
    return this.#serverChecksums;
  }

  /**
   * Keeps the checksums an answer carried: a probe's, or an answer that names another version, replace those
   * known (`replace`); a later answer of the same version adds its own.
   */
  learnChecksums(checksums: ServerChecksums, replace: boolean): void {
    this.#serverChecksums = replace ? checksums : { ...this.#serverChecksums, ...checksums };
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

  /**
   * The running hash of `algorithms` for a stream that begins writing at `offset`, `null` when none is wanted. A hash
   * that went past `offset` counts bytes that are about to be overwritten, and one that lacks an algorithm cannot
   * give it: either begins again at 0, and what it missed is read back.
   */
  hashFrom(offset: number, algorithms: readonly HashAlgorithm[]): RunningHash | null {
    if (algorithms.length === 0) return null;
    const kept = this.#hash;
    if (kept === null || kept.upTo > offset || !computes(kept, algorithms))
      this.#hash = this.#freshHash(algorithms);
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

  /**
   * Hands the running hash of `algorithms` over to verification of a file of `length` bytes (it catches it up and
   * digests it) and forgets it; `null` when none is wanted.
   */
  takeHash(length: number, algorithms: readonly HashAlgorithm[]): RunningHash | null {
    if (algorithms.length === 0) return null;
    const kept = this.#hash;
    this.#hash = null;
    return kept !== null && kept.upTo <= length && computes(kept, algorithms)
      ? kept
      : this.#freshHash(algorithms);
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
    // Every read of this read-back goes into one buffer (the hash is done with it when `update` returns), grown to
    // the largest read so far: reading 1 GiB back costs 1 MiB, not a fresh MiB a read left to the collector. It is
    // dropped when the read-back ends, so that a paused download holds none.
    let buffer = new Uint8Array(0);
    while (!halted() && hash.upTo < end()) {
      const length = Math.min(READ_CHUNK_BYTES, end() - hash.upTo);
      if (buffer.length < length) buffer = new Uint8Array(length);
      const read = await part.read(hash.upTo, length, buffer)();
      if (E.isLeft(read)) return read.left;
      if (read.right.length === 0) return 'short';
      feed(hash, read.right);
    }
    return null;
  }

  /** A hash of `algorithms` from byte 0, for one whose states were lost while it caught up (see `lostAny`). */
  freshHash(algorithms: readonly HashAlgorithm[]): RunningHash {
    return this.#freshHash(algorithms);
  }

  #freshHash(algorithms: readonly HashAlgorithm[]): RunningHash {
    return {
      states: new Map(algorithms.map((algorithm) => [algorithm, this.#hasher.create(algorithm)])),
      upTo: 0,
    };
  }
}
