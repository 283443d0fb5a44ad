import type { TaskEither } from 'fp-ts/lib/TaskEither.js';

/** Why a storage operation failed. `NoSpace` and `QuotaExceeded` are kept apart from other I/O failures (R29). */
export type StorageFailure =
  | { readonly _tag: 'TargetBusy'; readonly target: string }
  | { readonly _tag: 'NoSpace'; readonly message: string }
  | { readonly _tag: 'QuotaExceeded'; readonly message: string }
  | { readonly _tag: 'PermissionDenied'; readonly message: string }
  | { readonly _tag: 'IoError'; readonly message: string }
  /**
   * A file the storage must create or use is not safe to touch: a link, a file with several links, another user's
   * file, or not a regular file (R31, R33). It was left as it was.
   */
  | { readonly _tag: 'UnsafePath'; readonly path: string; readonly reason: string };

/**
 * The partial file `<target>.part` of one download, opened and locked.
 *
 * Contract:
 * - `write(offset, bytes)` writes every byte at that offset or fails; a failed write may have written a prefix,
 *   which is why only `flush`ed bytes counted by a saved checkpoint are trusted after a crash (R20).
 * - Writes past the end extend the file; the gap, if any, reads as zeros.
 * - Writes may run concurrently (core keeps two in flight behind the network), always at offsets that do not
 *   overlap; each must land whole at its own offset whatever the order they complete in.
 * - `flush` makes every completed write durable (fsync, `SyncAccessHandle.flush`). Core may call it while writes
 *   are in flight: their bytes are not counted by the checkpoint that follows the flush, so it need not wait.
 * - `commit` flushes, closes, and atomically moves the part file to the target name (the target, if any, is
 *   replaced), then makes the move durable (fsync of the folder where the platform has one). After `commit`,
 *   `<target>` is the whole file and no `.part` remains.
 * - `discard` closes and deletes the part file. `close` releases the handle and the lock, keeping the file.
 * - After `commit`, `discard` or `close`, every other call fails with `IoError`; calling `close` again succeeds.
 * - No call throws or rejects: failures are `Left`.
 */
export interface PartFile {
  /**
   * Optional: `true` for a part file that takes its bytes in order only (a stream: a device, a pipe, stdout, R32).
   * Core then fetches with one connection, never segments. Absent: writes may land at any offset.
   */
  readonly sequential?: boolean;
  /** The current size in bytes of the part file. */
  size(): TaskEither<StorageFailure, number>;
  write(offset: number, bytes: Uint8Array): TaskEither<StorageFailure, void>;
  /**
   * Reads up to `length` bytes at `offset`; fewer only at the end of the file. With `into` (at least `length` bytes
   * long), a storage may read into it and answer a view of it, so that a caller reading a whole file back reuses one
   * buffer; the answer is what counts, wherever its bytes are.
   */
  read(offset: number, length: number, into?: Uint8Array): TaskEither<StorageFailure, Uint8Array>;
  truncate(length: number): TaskEither<StorageFailure, void>;
  flush(): TaskEither<StorageFailure, void>;
  /**
   * Optional. Whether `bytes` more can be written: `Left(NoSpace)` or `Left(QuotaExceeded)` when the free space or
   * quota the platform reports is smaller (R40). Core asks before its data request, with the bytes still to come.
   * A platform that cannot tell answers `Right`; a few bytes (4 KiB) fit on any storage that works. After
   * `commit`, `discard` or `close` it fails with `IoError`, as every other call.
   */
  ensureRoom?(bytes: number): TaskEither<StorageFailure, void>;
  commit(): TaskEither<StorageFailure, void>;
  discard(): TaskEither<StorageFailure, void>;
  close(): TaskEither<StorageFailure, void>;
}

/**
 * Where downloads keep their bytes.
 *
 * Contract:
 * - `open(target)` opens `<target>.part`, creating an empty one when missing, and takes the download's lock: while
 *   a `PartFile` of that target is open (in this process or another), a second `open` fails with `TargetBusy` (R23).
 *   The lock is released by `commit`, `discard` or `close`, and by the death of the process that held it.
 * - `remove(target)` deletes `<target>.part` if it exists, without a handle (cancel of a paused download); it fails
 *   with `TargetBusy` while the part file is open.
 * - `targetSize(target)` and `readTarget(target, …)` look at the finished file `<target>` (what `commit` made), never
 *   at `<target>.part`. They take no lock, need none, create nothing and work whether or not a part file of the
 *   target is open. A start uses them to recognise a download killed after its commit but before its checkpoint
 *   was removed (R19, R21), and to hash that file for its integrity check (R27).
 */
export interface StoragePort {
  open(target: string): TaskEither<StorageFailure, PartFile>;
  remove(target: string): TaskEither<StorageFailure, void>;
  /**
   * The size in bytes of the finished file `<target>`, or `null` when there is none (nor its folder). Something
   * else by that name (a folder) is a `Left`.
   */
  targetSize(target: string): TaskEither<StorageFailure, number | null>;
  /**
   * Reads up to `length` bytes of the finished file `<target>` at `offset`; fewer only at its end (none at or past
   * it). A missing file is a `Left` (`IoError`).
   */
  readTarget(target: string, offset: number, length: number): TaskEither<StorageFailure, Uint8Array>;
}
