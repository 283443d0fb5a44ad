import { constants } from 'node:fs';
import { type FileHandle, unlink } from 'node:fs/promises';
import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { FsPartFile } from './FsPartFile.js';
import { acquireLock, lockState, releaseLock } from './fileLock.js';
import { finishedFileSize, readFinishedFile } from './finishedFile.js';
import { attempt, errnoOf, UnsafeFileError } from './fsFailure.js';
import { createOwnFile, lstatOrNull, openOwnFile, unsafeReason } from './ownFile.js';
import { checkpointPathOf, lockPathOf, partPathOf } from './sidecarPaths.js';
import { sweepStaleTemps } from './staleTemps.js';

export { lockPathOf, partPathOf } from './sidecarPaths.js';

/** Deletes `path` if it is a file this process may use (R31); a missing one is already gone. */
const unlinkOwnFile = async (path: string): Promise<void> => {
  const info = await lstatOrNull(path);
  if (info === null) return;
  const reason = unsafeReason(info);
  if (reason !== null) throw new UnsafeFileError(path, reason);
  await unlink(path).catch((error: unknown) => {
    if (errnoOf(error) !== 'ENOENT') throw error;
  });
};

/**
 * Opens the part file for positional reads and writes (R31): a new one created exclusively with mode 0600 (`created`:
 * it is empty), else the existing one only if it is a regular file of this user with one link. A race with another
 * creator is tried again; anything else at the name is refused and left as it is. Creating first costs a fresh
 * download one call, not two (a list's thousand files).
 */
const openPart = async (path: string): Promise<{ handle: FileHandle; created: boolean }> => {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const created = await createOwnFile(path, constants.O_RDWR);
    if (created !== null) return { handle: created, created: true };
    const existing = await openOwnFile(path, constants.O_RDWR);
    if (existing._tag === 'Found') return { handle: existing.value, created: false };
    if (existing._tag === 'Unsafe') throw new UnsafeFileError(path, existing.reason);
  }
  throw new UnsafeFileError(path, 'it keeps appearing and disappearing while opened');
};

/**
 * Refuses a folder at the checkpoint's name (R19, R30): no save could rename a checkpoint over it (EISDIR), so the
 * download could never pause or resume. Anything else there (a link, a FIFO, a torn file) a save replaces, and the
 * checkpoint store refuses to read it before (R22, R33). Asked before the part file is made, left as it is.
 */
const refuseCheckpointFolder = async (target: string): Promise<void> => {
  const path = checkpointPathOf(target);
  const info = await lstatOrNull(path);
  if (info?.isDirectory() === true)
    throw new UnsafeFileError(path, 'it is a folder, where the checkpoint must be saved as a file');
};

/** Options of `FsStorage`. */
export interface FsStorageOptions {
  /**
   * Start an fdatasync in the background after this many bytes written since the last one; 0 never does. Default
   * 32 MiB. The disk then takes the data while the network goes on, instead of all of it in the flush before a
   * checkpoint or the final rename. `rdl` on 1 GiB from nginx on loopback, 3 runs each: 1.42–1.46 s without it,
   * 1.02–1.09 s at 32 MiB, 1.06–1.12 s at 64 MiB, 1.13–1.23 s at 256 MiB.
   */
  readonly flushBehindBytes?: number;
}

/** Default `flushBehindBytes`: 32 MiB. */
export const DEFAULT_FLUSH_BEHIND_BYTES = 32 * 1024 * 1024;

/**
 * Downloads on a local file system: the bytes in `<target>.part`, written in place at their offsets; the lock in
 * `<target>.lock` (R23); the final name given by an atomic rename followed by an fsync of the folder (R19).
 * `target` is a path, absolute or relative to the working directory.
 *
 * Neither file is ever reached through a link (R31): both are created exclusively with mode 0600 and O_NOFOLLOW,
 * and an existing one is used only when it is a regular file of this user with one link; anything else is
 * `UnsafePath` and left untouched; so is a folder at the checkpoint's name (`<target>.rdl.json`), which no checkpoint
 * could be saved over. The finished file gets the mode of any new file (0666 less the umask). A
 * target that is not a regular file is never renamed over (R32): `createDownload` writes those as a stream.
 */
export class FsStorage implements StoragePort {
  readonly #flushBehindBytes: number;

  constructor(options: FsStorageOptions = {}) {
    this.#flushBehindBytes = options.flushBehindBytes ?? DEFAULT_FLUSH_BEHIND_BYTES;
  }

  open(target: string): TE.TaskEither<StorageFailure, PartFile> {
    const lockPath = lockPathOf(target);
    const partPath = partPathOf(target);
    return async () => {
      const locked = await attempt('lock', lockPath, () => acquireLock(lockPath))();
      if (E.isLeft(locked)) return locked;
      if (locked.right._tag === 'Busy') return E.left({ _tag: 'TargetBusy', target });
      if (locked.right._tag === 'Unsafe') {
        return E.left({ _tag: 'UnsafePath', path: lockPath, reason: locked.right.reason });
      }
      const opened = await attempt('open', partPath, async () => {
        // Under the lock, no save of this target runs: what its temp names hold was left by a killed run (R19).
        await sweepStaleTemps(target);
        await refuseCheckpointFolder(target);
        return openPart(partPath);
      })();
      if (E.isLeft(opened)) {
        await releaseLock(lockPath).catch(() => undefined);
        return opened;
      }
      const { handle, created } = opened.right;
      return E.right(
        new FsPartFile(target, partPath, lockPath, handle, this.#flushBehindBytes, created ? 0 : null),
      );
    };
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    const lockPath = lockPathOf(target);
    const partPath = partPathOf(target);
    return async () => {
      const held = await attempt('lock', lockPath, () => lockState(lockPath))();
      if (E.isLeft(held)) return held;
      if (held.right?._tag === 'Busy') return E.left({ _tag: 'TargetBusy', target });
      if (held.right?._tag === 'Unsafe') {
        return E.left({ _tag: 'UnsafePath', path: lockPath, reason: held.right.reason });
      }
      return attempt('remove', partPath, async () => {
        await unlinkOwnFile(partPath);
        await releaseLock(lockPath);
      })();
    };
  }

  targetSize(target: string): TE.TaskEither<StorageFailure, number | null> {
    return finishedFileSize(target);
  }

  readTarget(target: string, offset: number, length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return readFinishedFile(target, offset, length);
  }
}
