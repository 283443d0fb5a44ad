import type { Stats } from 'node:fs';
import { type FileHandle, rename, statfs, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { PartFile, StorageFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { releaseLock } from './fileLock.js';
import { FreeSpace, type SpaceClaim } from './freeSpace.js';
import { attempt, errnoOf, UnsafeFileError } from './fsFailure.js';
import { fsyncDirectory } from './fsync.js';
import { lstatOrNull, unsafeReason } from './ownFile.js';
import { readAt } from './readAt.js';
import { currentUmask } from './umask.js';

/**
 * Why `target` must not be renamed over (R32), or `null`: only a regular file, or nothing, is replaced by the
 * finished download. A link, a device, a FIFO or a socket that appeared there since the download was set up is
 * left as it is.
 */
const replaceableTarget = async (target: string): Promise<string | null> => {
  const info = await lstatOrNull(target);
  return info === null || info.isFile() ? null : unsafeReason(info);
};

/** The free space of the folders part files are in, read by statfs; the blocks kept for root count for root only. */
const freeSpace = new FreeSpace(async (folder) => {
  const volume = await statfs(folder);
  return (process.geteuid?.() === 0 ? volume.bfree : volume.bavail) * volume.bsize;
});

/** The mode a new file gets from `open(…, 0o666)` under this process's umask: what the finished file is given. */
const finishedFileMode = async (): Promise<number> => 0o666 & ~(await currentUmask());

/**
 * One open `<target>.part` of `FsStorage` and the lock that goes with it: positional writes, a background
 * fdatasync every `flushBehindBytes`, and the commit that gives the finished file its name (R19).
 */
export class FsPartFile implements PartFile {
  private handle: FileHandle | null;
  /** Bytes written since the last fdatasync began. */
  private unflushed = 0;
  /** The background fdatasync in flight, if one is. */
  private behind: Promise<void> | null = null;
  /**
   * What a background fdatasync failed with. Linux reports a writeback error to one fdatasync only, so a failure
   * seen in the background must fail the next `flush` (or `commit`) itself, or a checkpoint would count lost data.
   */
  private behindError: unknown = null;
  /**
   * The last write queued: each write waits for the one before it. File systems take the file's lock for the whole
   * of a buffered write (ext4, xfs, tmpfs), so writes to one file never run side by side anyway; several in the
   * thread pool at once only had the waiting threads spin on that lock (a segmented 1 GiB to tmpfs took 1.3–4.0 s of
   * system time with up to four at once, about 1.1 s one at a time) and held threads other work needed.
   */
  private lastWrite: Promise<unknown> = Promise.resolve();
  /** The bytes still to come that the last `ensureRoom` claimed of the folder, until the file is ended (R40). */
  private claim: SpaceClaim | null = null;
  /** The device of the file system the part file is on, once `ensureRoom` has asked: what its claims are kept by. */
  private device: number | null = null;

  /**
   * The file's size as this object made it, `null` once it is not known: `0` for a file it created empty, then the
   * end of the furthest completed write, or the length of the last truncate. A fresh download so asks neither
   * fstat for its size nor ftruncate to cut it to the length it already has (R20: a truncate drops the bytes past
   * those counted, and there are none), a list's thousand files one thread-pool call each fewer.
   */
  private sizeWritten: number | null;
  /** Writes queued or running: while one is, the size is not known (it may yet grow the file). */
  private writesInFlight = 0;
  /** Writes ever asked for: a truncate that none overlapped leaves the file exactly its length. */
  private writesAsked = 0;

  constructor(
    private readonly target: string,
    private readonly partPath: string,
    private readonly lockPath: string,
    handle: FileHandle,
    private readonly flushBehindBytes: number,
    knownSize: number | null = null,
  ) {
    this.handle = handle;
    this.sizeWritten = knownSize;
  }

  /** The file's size when it is known without asking the file system (`sizeWritten`, no write in flight). */
  private get knownSize(): number | null {
    return this.writesInFlight === 0 ? this.sizeWritten : null;
  }

  size(): TE.TaskEither<StorageFailure, number> {
    const known = this.knownSize;
    if (known !== null) return this.withHandle('stat', async () => known);
    return this.withHandle('stat', async (handle) => (await handle.stat()).size);
  }

  write(offset: number, bytes: Uint8Array): TE.TaskEither<StorageFailure, void> {
    return this.withHandle('write', (handle) => {
      this.writesInFlight += 1;
      this.writesAsked += 1;
      const turn = this.lastWrite.then(() => this.writeAll(handle, offset, bytes));
      this.lastWrite = turn.catch(() => undefined);
      return turn.then(
        () => {
          this.writesInFlight -= 1;
        },
        (error: unknown) => {
          this.writesInFlight -= 1;
          // Some of its bytes may be on the file, past any end known.
          this.sizeWritten = null;
          throw error;
        },
      );
    });
  }

  /** One write, whole, and the background fdatasync it makes due. */
  private async writeAll(handle: FileHandle, offset: number, bytes: Uint8Array): Promise<void> {
    // A positional write may be partial (a signal, a nearly full disk): go on until every byte is written.
    let done = 0;
    while (done < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, offset + done);
      done += bytesWritten;
    }
    // A positional write of no bytes does not grow the file; one of some makes it at least as long as its end.
    if (this.sizeWritten !== null && done > 0) this.sizeWritten = Math.max(this.sizeWritten, offset + done);
    this.claim?.wrote(done);
    this.unflushed += done;
    if (this.flushBehindBytes > 0 && this.unflushed >= this.flushBehindBytes && this.behind === null) {
      this.unflushed = 0;
      this.behind = handle.datasync().then(
        () => {
          this.behind = null;
        },
        (error: unknown) => {
          this.behindError ??= error;
          this.behind = null;
        },
      );
    }
  }

  /** Waits for the background fdatasync; throws what it, or an earlier one, failed with. */
  private async settleBehind(): Promise<void> {
    await this.behind;
    const error = this.behindError;
    this.behindError = null;
    if (error !== null) throw error;
  }

  read(offset: number, length: number, into?: Uint8Array): TE.TaskEither<StorageFailure, Uint8Array> {
    return this.withHandle('read', (handle) => readAt(handle, offset, length, into));
  }

  truncate(length: number): TE.TaskEither<StorageFailure, void> {
    if (this.knownSize === length) return this.withHandle('truncate', async () => undefined);
    return this.withHandle('truncate', async (handle) => {
      const quiet = this.writesInFlight === 0 ? this.writesAsked : null;
      this.sizeWritten = null;
      await handle.truncate(length);
      if (quiet !== null && this.writesInFlight === 0 && this.writesAsked === quiet)
        this.sizeWritten = length;
    });
  }

  flush(): TE.TaskEither<StorageFailure, void> {
    // fdatasync: the data and the size that reaches it, without the timestamps a full fsync would also write.
    return this.withHandle('flush', async (handle) => {
      this.unflushed = 0;
      await this.settleBehind();
      await handle.datasync();
    });
  }

  /**
   * R40: the free space of the part file's file system, as statfs tells it, against `bytes` and the bytes the
   * other downloads into that file system (any folder of it) still have to write. The blocks that file system
   * keeps for root count for root only, as the kernel counts them. A reading of the same file system taken within
   * the last second answers for small requests (`FreeSpace`).
   */
  ensureRoom(bytes: number): TE.TaskEither<StorageFailure, void> {
    return async () => {
      const room = await this.withHandle('statfs', async (handle) => {
        this.device ??= (await handle.stat()).dev;
        return freeSpace.room(this.device, dirname(this.partPath), bytes, this.claim);
      })();
      if (E.isLeft(room)) return room;
      const { free, promised, promisedTo, fits, claim } = room.right;
      // A file ended while statfs ran asks nothing more of its file system.
      if (this.handle === null) claim?.release();
      else this.claim = claim;
      if (fits) return E.right(undefined);
      // The free space alone may be more than asked for: the bytes promised to the others say why it is refused.
      const others =
        promised === 0
          ? ''
          : `, ${promised} of them promised to ${promisedTo} running download${promisedTo === 1 ? '' : 's'}`;
      return E.left({
        _tag: 'NoSpace',
        message: `${this.target} needs ${bytes} more bytes, its file system has ${free} free${others}`,
      });
    };
  }

  commit(): TE.TaskEither<StorageFailure, void> {
    return this.withHandle('commit', async (handle) => {
      this.handle = null;
      this.endClaim();
      // The lock goes whatever fails: a failed commit must not leave this live process holding the target (R23).
      try {
        let part: Stats;
        try {
          await this.settleBehind();
          await handle.chmod(await finishedFileMode());
          await handle.sync();
          part = await handle.stat();
        } finally {
          await handle.close();
        }
        // The name must still be the file written, and what it replaces a regular file (R31, R32).
        const named = await lstatOrNull(this.partPath);
        if (named === null || named.dev !== part.dev || named.ino !== part.ino) {
          throw new UnsafeFileError(this.partPath, 'it was replaced while the download ran');
        }
        const refused = await replaceableTarget(this.target);
        if (refused !== null) throw new UnsafeFileError(this.target, refused);
        await rename(this.partPath, this.target);
        await fsyncDirectory(dirname(this.target));
      } finally {
        await releaseLock(this.lockPath);
      }
    });
  }

  discard(): TE.TaskEither<StorageFailure, void> {
    return this.withHandle('discard', async (handle) => {
      this.handle = null;
      this.endClaim();
      try {
        await this.behind;
        await handle.close();
        await unlink(this.partPath).catch((error: unknown) => {
          if (errnoOf(error) !== 'ENOENT') throw error;
        });
      } finally {
        await releaseLock(this.lockPath);
      }
    });
  }

  close(): TE.TaskEither<StorageFailure, void> {
    const handle = this.handle;
    if (handle === null) return TE.right(undefined);
    this.handle = null;
    this.endClaim();
    return attempt('close', this.partPath, async () => {
      try {
        await this.behind;
        await handle.close();
      } finally {
        await releaseLock(this.lockPath);
      }
    });
  }

  /** The file is ended: what its download had yet to write is no longer to come. */
  private endClaim(): void {
    this.claim?.release();
    this.claim = null;
  }

  private withHandle<A>(
    operation: string,
    run: (handle: FileHandle) => Promise<A>,
  ): TE.TaskEither<StorageFailure, A> {
    return async () => {
      const handle = this.handle;
      if (handle === null) {
        return E.left({ _tag: 'IoError', message: `${operation} ${this.partPath}: the part file is closed` });
      }
      return attempt(operation, this.partPath, () => run(handle))();
    };
  }
}
