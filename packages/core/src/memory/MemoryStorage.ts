import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { PartFile, StorageFailure, StoragePort } from '../ports/StoragePort.js';
import { MemoryPartFile } from './MemoryPartFile.js';
import { MemoryVolume, type StorageOperation } from './MemoryVolume.js';

export type { StorageOperation } from './MemoryVolume.js';

export interface MemoryStorageOptions {
  /** Total bytes the volume holds (part files and final files); a write past it fails `NoSpace`. Default unlimited. */
  readonly capacityBytes?: number | null;
}

/**
 * A `StoragePort` in memory, for tests and demos. It keeps written bytes apart from flushed bytes, so `crash()`
 * shows what a killed process would leave (R20), and faults can be injected into any operation.
 */
export class MemoryStorage implements StoragePort {
  readonly #volume: MemoryVolume;

  constructor(options: MemoryStorageOptions = {}) {
    this.#volume = new MemoryVolume(options.capacityBytes ?? null);
  }

  open(target: string): TaskEither<StorageFailure, PartFile> {
    return () =>
      Promise.resolve().then(() => {
        const fault = this.#volume.takeFault('open');
        if (fault !== null) return E.left(fault.failure);
        const lock = this.#volume.lock(target);
        if (lock === null) return E.left({ _tag: 'TargetBusy', target });
        this.#volume.part(target);
        return E.right(new MemoryPartFile(this.#volume, target, lock));
      });
  }

  remove(target: string): TaskEither<StorageFailure, void> {
    return () =>
      Promise.resolve().then(() => {
        const fault = this.#volume.takeFault('remove');
        if (fault !== null) return E.left(fault.failure);
        if (this.#volume.isLocked(target)) return E.left({ _tag: 'TargetBusy', target });
        this.#volume.deletePart(target);
        return E.right(undefined);
      });
  }

  targetSize(target: string): TaskEither<StorageFailure, number | null> {
    return () =>
      Promise.resolve().then(() => {
        const fault = this.#volume.takeFault('targetSize');
        if (fault !== null) return E.left(fault.failure);
        return E.right(this.#volume.fileSize(target));
      });
  }

  readTarget(target: string, offset: number, length: number): TaskEither<StorageFailure, Uint8Array> {
    return () =>
      Promise.resolve().then(() => {
        const fault = this.#volume.takeFault('readTarget');
        if (fault !== null) return E.left(fault.failure);
        const bytes = this.#volume.readFile(target, offset, length);
        return bytes === null
          ? E.left({ _tag: 'IoError', message: `${target}: no such file` })
          : E.right(bytes);
      });
  }

  /** The next `operation` (on any file) fails with `failure`; faults queue in order. */
  failNext(operation: StorageOperation, failure: StorageFailure): void {
    this.#volume.queueFault(operation, failure, 0);
  }

  /** The next write fails with `failure` after writing its first `writtenBytes` bytes (default 0). */
  failNextWrite(failure: StorageFailure, writtenBytes = 0): void {
    this.#volume.queueFault('write', failure, writtenBytes);
  }

  /** Sets the capacity in bytes (`null`: unlimited). Writes that do not fit write a prefix and fail `NoSpace`. */
  setCapacity(bytes: number | null): void {
    this.#volume.setCapacity(bytes);
  }

  /**
   * Simulates the death of the process: every write not flushed is lost, every lock is released, and handles
   * opened before fail with `IoError`. Committed files and flushed bytes stay.
   */
  crash(): void {
    this.#volume.crash();
  }

  /** The committed file `target`, or `null`. */
  fileOf(target: string): Uint8Array | null {
    return this.#volume.fileOf(target);
  }

  /** The bytes of `<target>.part` as reads see them, or `null` when there is none. */
  partOf(target: string): Uint8Array | null {
    return this.#volume.partOf(target);
  }

  /** The bytes of `<target>.part` that would survive a crash now. */
  durablePartOf(target: string): Uint8Array | null {
    return this.#volume.durablePartOf(target);
  }

  /** Every file name on the volume, sorted: targets and `<target>.part`. */
  list(): string[] {
    return this.#volume.list();
  }

  isLocked(target: string): boolean {
    return this.#volume.isLocked(target);
  }

  /** Bytes in use by part files and final files. */
  usedBytes(): number {
    return this.#volume.usedBytes();
  }

  /** Puts a flushed part file in place, as a previous run would have left it. */
  putPart(target: string, bytes: Uint8Array): void {
    this.#volume.putPart(target, bytes);
  }

  /** Puts a final file in place (e.g. an old version a commit must replace). */
  putFile(target: string, bytes: Uint8Array): void {
    this.#volume.putFile(target, bytes);
  }
}
