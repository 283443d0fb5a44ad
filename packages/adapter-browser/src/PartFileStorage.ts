import type { PartFile, StorageFailure, StoragePort } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { finishedFileSize, readFinishedFile } from './finishedFile.js';
import { moveFile } from './moveFile.js';
import type { OpfsStorageOptions } from './OpfsStorage.js';
import {
  assertNotFolder,
  type OpfsLocation,
  opfsRoot,
  PART_SUFFIX,
  resolveTarget,
  UnsafeTarget,
} from './opfsPaths.js';
import { toStorageFailure } from './storageFailure.js';
import { type HeldLock, tryLockTarget } from './targetLock.js';

const busy = (target: string): StorageFailure => ({ _tag: 'TargetBusy', target });

const partName = (location: OpfsLocation): string => `${location.name}${PART_SUFFIX}`;

/** A target's part file, found or created, and the lock its download holds. */
export interface FoundPartFile {
  readonly target: string;
  readonly location: OpfsLocation;
  readonly file: FileSystemFileHandle;
  readonly lock: HeldLock;
}

/**
 * What every OPFS `StoragePort` shares: each target's bytes in `<target>.part` until its commit (R19), guarded by
 * the origin-wide Web Lock `rdl:<target>` (R23), and the finished target read as a plain file. How an open part
 * file is read and written is each subclass's own: `openPart`.
 */
export abstract class PartFileStorage implements StoragePort {
  readonly #root: () => Promise<FileSystemDirectoryHandle>;
  readonly #locks: LockManager;

  constructor(options: OpfsStorageOptions = {}) {
    this.#root = options.root ?? opfsRoot;
    this.#locks = options.locks ?? navigator.locks;
  }

  /** Opens the part file `found` under its lock. A throw is mapped to a typed failure, and the lock goes again. */
  protected abstract openPart(found: FoundPartFile): Promise<PartFile>;

  open(target: string): TE.TaskEither<StorageFailure, PartFile> {
    return async () => {
      let lock: HeldLock | null = null;
      try {
        lock = await tryLockTarget(this.#locks, target);
        if (lock === null) return { _tag: 'Left', left: busy(target) };
        const location = await resolveTarget(await this.#root(), target, true);
        await assertNotFolder(location);
        const file = await partFileHandle(location);
        return { _tag: 'Right', right: await this.openPart({ target, location, file, lock }) };
      } catch (error) {
        lock?.release();
        return { _tag: 'Left', left: toStorageFailure(error, target) };
      }
    };
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    return async () => {
      const lock = await tryLockTarget(this.#locks, target).catch(() => null);
      if (lock === null) return { _tag: 'Left', left: busy(target) };
      try {
        const location = await resolveTarget(await this.#root(), target, false);
        await location.directory.removeEntry(partName(location));
        return { _tag: 'Right', right: undefined };
      } catch (error) {
        if (error instanceof DOMException && error.name === 'NotFoundError')
          return { _tag: 'Right', right: undefined };
        return { _tag: 'Left', left: toStorageFailure(error, target) };
      } finally {
        lock.release();
      }
    };
  }

  targetSize(target: string): TE.TaskEither<StorageFailure, number | null> {
    return finishedFileSize(this.#root, target);
  }

  readTarget(target: string, offset: number, length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return readFinishedFile(this.#root, target, offset, length);
  }
}

/**
 * The part file of `location`, created when missing. A folder at its name (made by a target `<name>.part/x`) is no
 * part file, nor could one be made there: `UnsafeTarget` (R30), left as it is, not an `ERR_IO`.
 */
const partFileHandle = async (location: OpfsLocation): Promise<FileSystemFileHandle> => {
  try {
    return await location.directory.getFileHandle(partName(location), { create: true });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TypeMismatchError')
      throw new UnsafeTarget(`${partName(location)} is a folder, not a part file`);
    throw error;
  }
};

/** Gives a closed part file its final name, replacing the target (R19). */
export const commitPartFile = (location: OpfsLocation): Promise<void> =>
  moveFile(location.directory, partName(location), location.name);

/** Deletes a closed part file. */
export const discardPartFile = (location: OpfsLocation): Promise<void> =>
  location.directory.removeEntry(partName(location));
