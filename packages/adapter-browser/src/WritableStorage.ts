import type { PartFile, StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/TaskEither';
import type { OpfsLocation } from './opfsPaths.js';
import { commitPartFile, discardPartFile, type FoundPartFile, PartFileStorage } from './PartFileStorage.js';
import { closedFailure, toStorageFailure } from './storageFailure.js';
import type { HeldLock } from './targetLock.js';

/**
 * The fallback `StoragePort` where `FileSystemSyncAccessHandle` is missing (a page's main thread, a browser
 * without sync handles): OPFS through `FileSystemWritableFileStream`, which works on every thread.
 *
 * The trade-off: a writable stream writes to a swap file that replaces the real one only on `close()`. So `flush`
 * closes the stream, and the browser then copies the swap file over the part file: each flush costs a pass over the
 * whole file (Chromium), where a sync handle's `flush()` costs only the new bytes. Reads and `size` see only
 * flushed bytes, so they flush first. Use a long `checkpointIntervalMs` with it on big files. Exclusivity (R23)
 * comes from the same Web Lock as `OpfsStorage`, since writable streams do not lock the file against each other.
 */
export class WritableStorage extends PartFileStorage {
  protected async openPart({ target, location, file, lock }: FoundPartFile): Promise<PartFile> {
    return new WritablePartFile(target, location, file, lock);
  }
}

class WritablePartFile implements PartFile {
  #open = true;
  #stream: FileSystemWritableFileStream | null = null;
  /** Calls run one after another: a writable stream must not see two writes at once. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: string,
    private readonly location: OpfsLocation,
    private readonly file: FileSystemFileHandle,
    private readonly lock: HeldLock,
  ) {}

  #run<A>(f: () => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return () => {
      const result = this.#queue.then(
        async (): Promise<{ _tag: 'Left'; left: StorageFailure } | { _tag: 'Right'; right: A }> => {
          if (!this.#open) return { _tag: 'Left', left: closedFailure(this.target) };
          try {
            return { _tag: 'Right', right: await f() };
          } catch (error) {
            return { _tag: 'Left', left: toStorageFailure(error, this.target) };
          }
        },
      );
      this.#queue = result;
      return result;
    };
  }

  async #writable(): Promise<FileSystemWritableFileStream> {
    this.#stream ??= await this.file.createWritable({ keepExistingData: true });
    return this.#stream;
  }

  async #flush(): Promise<void> {
    const stream = this.#stream;
    this.#stream = null;
    await stream?.close();
  }

  #end(after: () => Promise<void>): TE.TaskEither<StorageFailure, void> {
    return this.#run(async () => {
      this.#open = false;
      try {
        await this.#flush();
        await after();
      } finally {
        this.lock.release();
      }
    });
  }

  size(): TE.TaskEither<StorageFailure, number> {
    return this.#run(async () => {
      await this.#flush();
      return (await this.file.getFile()).size;
    });
  }

  write(offset: number, bytes: Uint8Array): TE.TaskEither<StorageFailure, void> {
    return this.#run(async () => {
      // A copy: the caller may reuse its buffer once the write resolves, and the stream keeps a reference.
      await (await this.#writable()).write({ type: 'write', position: offset, data: bytes.slice() });
    });
  }

  read(offset: number, length: number): TE.TaskEither<StorageFailure, Uint8Array> {
    return this.#run(async () => {
      await this.#flush();
      const blob = (await this.file.getFile()).slice(offset, offset + length);
      return new Uint8Array(await blob.arrayBuffer());
    });
  }

  truncate(length: number): TE.TaskEither<StorageFailure, void> {
    return this.#run(async () => {
      await (await this.#writable()).truncate(length);
    });
  }

  flush(): TE.TaskEither<StorageFailure, void> {
    return this.#run(() => this.#flush());
  }

  commit(): TE.TaskEither<StorageFailure, void> {
    return this.#end(() => commitPartFile(this.location));
  }

  discard(): TE.TaskEither<StorageFailure, void> {
    return this.#end(() => discardPartFile(this.location));
  }

  close(): TE.TaskEither<StorageFailure, void> {
    if (!this.#open) return TE.right(undefined);
    return this.#end(async () => {});
  }
}
