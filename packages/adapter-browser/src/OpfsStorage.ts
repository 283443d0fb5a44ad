import type { PartFile, StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/TaskEither';
import type { OpfsFileHandle, SyncAccessHandle } from './fileSystemAccess.js';
import type { OpfsLocation } from './opfsPaths.js';
import { commitPartFile, discardPartFile, type FoundPartFile, PartFileStorage } from './PartFileStorage.js';
import { closedFailure, toStorageFailure } from './storageFailure.js';
import type { HeldLock } from './targetLock.js';

/** Where an `OpfsStorage` keeps its files and takes its locks. */
export interface OpfsStorageOptions {
  /** The folder targets are resolved in. Default: the origin's OPFS root. */
  readonly root?: () => Promise<FileSystemDirectoryHandle>;
  /** The lock manager for R23. Default: `navigator.locks`. */
  readonly locks?: LockManager;
}

/**
 * A `StoragePort` on the Origin Private File System through `FileSystemSyncAccessHandle`: writes land in place at
 * their offset, `flush()` makes them durable before a checkpoint counts them (R20), and the handle is exclusive.
 * Sync handles exist only in dedicated workers, so this class runs there (`createDownload` runs the whole download
 * in a worker); where they are missing use `WritableStorage`.
 *
 * R23: `open` takes the origin-wide Web Lock `rdl:<target>` with `ifAvailable`, so a second tab (or a second
 * download in this one) fails at once with `TargetBusy` instead of waiting or corrupting the first. The lock dies
 * with the worker, so a reload or a crash never leaves a target locked.
 */
export class OpfsStorage extends PartFileStorage {
  protected async openPart({ target, location, file, lock }: FoundPartFile): Promise<PartFile> {
    const opfsFile = file as OpfsFileHandle;
    if (opfsFile.createSyncAccessHandle === undefined) {
      throw new DOMException(
        'FileSystemSyncAccessHandle is missing here (not a dedicated worker?)',
        'NotSupportedError',
      );
    }
    return new OpfsPartFile(target, location, await opfsFile.createSyncAccessHandle(), lock);
  }
}

/**
 * What a sync handle's write or truncate that did not do what was asked threw, had it thrown. Chromium's do not
 * throw when the origin's quota runs out: `write` answers an error code read as unsigned (4294967288, `-8`, no
 * space) after writing a prefix or nothing, and `truncate` leaves the size as it was. A file short of the end asked
 * for is taken as the quota's doing (R40), so the download fails `QuotaExceeded`; anything else is an I/O error.
 */
const failedChange = (handle: SyncAccessHandle, end: number, what: string): DOMException =>
  handle.getSize() < end
    ? new DOMException(`${what}: the origin's storage quota is used up`, 'QuotaExceededError')
    : new DOMException(what, 'InvalidStateError');

/** One open `<target>.part` with its sync handle and its lock. Every call is synchronous underneath. */
class OpfsPartFile implements PartFile {
  #handle: SyncAccessHandle | null;

  constructor(
    private readonly target: string,
    private readonly location: OpfsLocation,
    handle: SyncAccessHandle,
    private readonly lock: HeldLock,
  ) {
    this.#handle = handle;
  }

  /** Runs `f` on the open handle, mapping a throw to a typed failure. */
  #sync<A>(f: (handle: SyncAccessHandle) => A): TE.TaskEither<StorageFailure, A> {
    return async () => {
      const handle = this.#handle;
      if (handle === null) return { _tag: 'Left', left: closedFailure(this.target) };
      try {
        return { _tag: 'Right', right: f(handle) };
      } catch (error) {
        return { _tag: 'Left', left: toStorageFailure(error, this.target) };
      }
    };
  }

  /** Closes the handle and lets the lock go, then runs `after` (the handle is gone even if `after` fails). */
  #finish(after: () => Promise<void>): TE.TaskEither<StorageFailure, void> {
    return async () => {
      const handle = this.#handle;
      if (handle === null) return { _tag: 'Left', left: closedFailure(this.target) };
      this.#handle = null;
      try {
        try {
          handle.flush();
        } finally {
          // Closed whatever happens, or the file would stay locked until the worker dies.
          handle.close();
        }
        await after();
        return { _tag: 'Right', right: undefined };
      } catch (error) {
        return { _tag: 'Left', left: toStorageFailure(error, this.target) };
      } finally {
        this.lock.release();
      }
    };
  }

  size(): TE.TaskEither<StorageFailure, number> {
    return this.#sync((handle) => handle.getSize());
  }

  write(offset: number, bytes: Uint8Array): TE.TaskEither<StorageFailure, void> {
    return this.#sync((handle) => {
      let done = 0;
      while (done < bytes.length) {
        const written = handle.write(bytes.subarray(done), { at: offset + done });
        if (written <= 0 || written > bytes.length - done) {
          throw failedChange(
            handle,
            offset + bytes.length,
            `wrote ${done} of ${bytes.length} bytes at ${offset}`,
          );
        }
        done += written;
      }
    });
  }

  read(offset: number, length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return this.#sync((handle) => {
      const buffer = new Uint8Array(Math.max(0, Math.min(length, handle.getSize() - offset)));
      let done = 0;
      while (done < buffer.length) {
        const read = handle.read(buffer.subarray(done), { at: offset + done });
        if (read > buffer.length - done) {
          throw new DOMException(`read ${done} of ${buffer.length} bytes at ${offset}`, 'InvalidStateError');
        }
        if (read <= 0) break;
        done += read;
      }
      return buffer.subarray(0, done);
    });
  }

  truncate(length: number): TE.TaskEither<StorageFailure, void> {
    return this.#sync((handle) => {
      handle.truncate(length);
      if (handle.getSize() !== length) {
        throw failedChange(
          handle,
          length,
          `truncated to ${length} bytes, the part file has ${handle.getSize()}`,
        );
      }
    });
  }

  flush(): TE.TaskEither<StorageFailure, void> {
    return this.#sync((handle) => handle.flush());
  }

  commit(): TE.TaskEither<StorageFailure, void> {
    return this.#finish(() => commitPartFile(this.location));
  }

  discard(): TE.TaskEither<StorageFailure, void> {
    return this.#finish(() => discardPartFile(this.location));
  }

  close(): TE.TaskEither<StorageFailure, void> {
    if (this.#handle === null) return TE.right(undefined);
    return this.#finish(async () => {});
  }
}
