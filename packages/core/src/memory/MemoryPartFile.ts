import type { Either } from 'fp-ts/lib/Either.js';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { PartFile, StorageFailure } from '../ports/StoragePort.js';
import type { MemoryVolume, StorageOperation } from './MemoryVolume.js';

/** Resolves on a later microtask, as real I/O would, so callers cannot rely on synchronous completion. */
const later =
  <A>(run: () => Either<StorageFailure, A>): TaskEither<StorageFailure, A> =>
  () =>
    Promise.resolve().then(run);

/** An open, locked `<target>.part` of a `MemoryVolume`. */
export class MemoryPartFile implements PartFile {
  readonly #volume: MemoryVolume;
  readonly #target: string;
  readonly #lock: object;
  readonly #generation: number;
  #state: 'open' | 'committed' | 'discarded' | 'closed' = 'open';

  constructor(volume: MemoryVolume, target: string, lock: object) {
    this.#volume = volume;
    this.#target = target;
    this.#lock = lock;
    this.#generation = volume.generation;
  }

  size(): TaskEither<StorageFailure, number> {
    return this.#run('size', () => E.right(this.#volume.part(this.#target).current.length));
  }

  write(offset: number, bytes: Uint8Array): TaskEither<StorageFailure, void> {
    return this.#guard(() => {
      const fault = this.#volume.takeFault('write');
      // A failed write may have written a prefix (StoragePort contract).
      const written = fault === null ? bytes : bytes.subarray(0, Math.min(fault.writtenBytes, bytes.length));
      const failure = this.#volume.write(this.#target, offset, written);
      const outcome = fault?.failure ?? failure;
      return outcome === null ? E.right(undefined) : E.left(outcome);
    });
  }

  read(offset: number, length: number, into?: Uint8Array): TaskEither<StorageFailure, Uint8Array> {
    return this.#run('read', () => {
      const bytes = this.#volume.part(this.#target).current.read(offset, length);
      if (into === undefined || into.length < bytes.length) return E.right(bytes);
      into.set(bytes);
      return E.right(into.subarray(0, bytes.length));
    });
  }

  truncate(length: number): TaskEither<StorageFailure, void> {
    return this.#run('truncate', () => E.right(this.#volume.truncate(this.#target, length)));
  }

  flush(): TaskEither<StorageFailure, void> {
    return this.#run('flush', () => E.right(this.#volume.flush(this.#target)));
  }

  /** R40: the volume's capacity against the bytes still to come. */
  ensureRoom(bytes: number): TaskEither<StorageFailure, void> {
    return this.#run('size', () => {
      const free = this.#volume.freeBytes();
      return bytes <= free
        ? E.right(undefined)
        : E.left({ _tag: 'NoSpace', message: `${bytes} bytes still to come, ${free} free` });
    });
  }

  /** As `FsPartFile.commit`: the handle ends, and its lock goes, whether the rename is done or fails (R23). */
  commit(): TaskEither<StorageFailure, void> {
    return this.#guard(() => {
      const fault = this.#volume.takeFault('commit');
      if (fault !== null) {
        this.#end('closed');
        return E.left(fault.failure);
      }
      this.#volume.commit(this.#target);
      this.#end('committed');
      return E.right(undefined);
    });
  }

  discard(): TaskEither<StorageFailure, void> {
    return this.#run('discard', () => {
      this.#volume.deletePart(this.#target);
      this.#end('discarded');
      return E.right(undefined);
    });
  }

  close(): TaskEither<StorageFailure, void> {
    return later(() => {
      if (this.#state !== 'open' || !this.#alive()) return E.right(undefined);
      const fault = this.#volume.takeFault('close');
      this.#end('closed');
      return fault === null ? E.right(undefined) : E.left(fault.failure);
    });
  }

  #alive(): boolean {
    return this.#generation === this.#volume.generation;
  }

  #end(state: 'committed' | 'discarded' | 'closed'): void {
    this.#state = state;
    this.#volume.unlock(this.#target, this.#lock);
  }

  #run<A>(operation: StorageOperation, run: () => Either<StorageFailure, A>): TaskEither<StorageFailure, A> {
    return this.#guard(() => {
      const fault = this.#volume.takeFault(operation);
      return fault === null ? run() : E.left(fault.failure);
    });
  }

  /** Every call but `close` fails once the handle is finished or its process died. */
  #guard<A>(run: () => Either<StorageFailure, A>): TaskEither<StorageFailure, A> {
    return later(() => {
      if (!this.#alive())
        return E.left({ _tag: 'IoError', message: `${this.#target}.part: the process died` });
      if (this.#state !== 'open') {
        return E.left({ _tag: 'IoError', message: `${this.#target}.part is ${this.#state}` });
      }
      return run();
    });
  }
}
