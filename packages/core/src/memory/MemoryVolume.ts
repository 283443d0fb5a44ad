import type { StorageFailure } from '../ports/StoragePort.js';
import { ByteBuffer } from './ByteBuffer.js';

/** The storage operations a fault can be injected into. */
export type StorageOperation =
  | 'open'
  | 'remove'
  | 'size'
  | 'write'
  | 'read'
  | 'truncate'
  | 'flush'
  | 'commit'
  | 'discard'
  | 'close'
  | 'targetSize'
  | 'readTarget';

/** One part file: what reads see, and what a crash would leave (the bytes flushed so far). */
interface PartState {
  readonly current: ByteBuffer;
  durable: ByteBuffer;
  /** The first byte that differs from `durable`, `null` when everything is flushed. */
  dirtyFrom: number | null;
}

interface QueuedFault {
  readonly operation: StorageOperation;
  readonly failure: StorageFailure;
  /** For a write: how many bytes of it land before it fails. */
  readonly writtenBytes: number;
}

const partName = (target: string): string => `${target}.part`;

/**
 * The disk behind `MemoryStorage`: part files with written and flushed bytes kept apart, final files, locks, a
 * capacity and a queue of injected faults. Synchronous; the port classes wrap it in `TaskEither`.
 */
export class MemoryVolume {
  readonly #parts = new Map<string, PartState>();
  readonly #files = new Map<string, Uint8Array>();
  readonly #locks = new Map<string, object>();
  #faults: QueuedFault[] = [];
  #capacity: number | null;
  /** Bumped by `crash()`: handles of an older generation belong to a dead process. */
  generation = 0;

  constructor(capacity: number | null) {
    this.#capacity = capacity;
  }

  setCapacity(bytes: number | null): void {
    this.#capacity = bytes;
  }

  queueFault(operation: StorageOperation, failure: StorageFailure, writtenBytes: number): void {
    this.#faults.push({ operation, failure, writtenBytes });
  }

  /** The first queued fault for `operation`, removed from the queue. */
  takeFault(operation: StorageOperation): QueuedFault | null {
    const index = this.#faults.findIndex((fault) => fault.operation === operation);
    if (index < 0) return null;
    const [fault] = this.#faults.splice(index, 1);
    return fault ?? null;
  }

  usedBytes(): number {
    let used = 0;
    for (const part of this.#parts.values()) used += part.current.length;
    for (const file of this.#files.values()) used += file.length;
    return used;
  }

  lock(target: string): object | null {
    if (this.#locks.has(target)) return null;
    const token = {};
    this.#locks.set(target, token);
    return token;
  }

  unlock(target: string, token: object): void {
    if (this.#locks.get(target) === token) this.#locks.delete(target);
  }

  isLocked(target: string): boolean {
    return this.#locks.has(target);
  }

  /** The part file of `target`, created empty when missing. */
  part(target: string): PartState {
    const existing = this.#parts.get(target);
    if (existing !== undefined) return existing;
    const created: PartState = { current: new ByteBuffer(), durable: new ByteBuffer(), dirtyFrom: null };
    this.#parts.set(target, created);
    return created;
  }

  hasPart(target: string): boolean {
    return this.#parts.has(target);
  }

  /** Bytes that can still be written, `Infinity` without a capacity. */
  freeBytes(): number {
    return this.#capacity === null
      ? Number.POSITIVE_INFINITY
      : Math.max(0, this.#capacity - this.usedBytes());
  }

  /** Writes what fits; returns the `NoSpace` failure when not everything did. */
  write(target: string, offset: number, bytes: Uint8Array): StorageFailure | null {
    const part = this.part(target);
    const before = part.current.length;
    const free = this.#capacity === null ? Number.POSITIVE_INFINITY : this.#capacity - this.usedBytes();
    const fits = Math.max(0, Math.min(bytes.length, before + free - offset));
    if (fits > 0) {
      this.#markDirty(part, Math.min(offset, before));
      part.current.write(offset, bytes.subarray(0, fits));
    }
    return fits < bytes.length
      ? { _tag: 'NoSpace', message: `${partName(target)}: ${bytes.length - fits} bytes did not fit` }
      : null;
  }

  truncate(target: string, length: number): void {
    const part = this.part(target);
    this.#markDirty(part, Math.min(length, part.current.length));
    part.current.resize(length);
  }

  flush(target: string): void {
    const part = this.part(target);
    if (part.dirtyFrom === null) return;
    const from = part.dirtyFrom;
    part.durable.resize(part.current.length);
    part.durable.write(from, part.current.read(from, part.current.length - from));
    part.dirtyFrom = null;
  }

  /** Moves the (flushed) part file to the target name, replacing it. */
  commit(target: string): void {
    this.flush(target);
    this.#files.set(target, this.part(target).current.bytes());
    this.#parts.delete(target);
  }

  deletePart(target: string): void {
    this.#parts.delete(target);
  }

  putPart(target: string, bytes: Uint8Array): void {
    this.#parts.set(target, {
      current: new ByteBuffer(bytes),
      durable: new ByteBuffer(bytes),
      dirtyFrom: null,
    });
  }

  putFile(target: string, bytes: Uint8Array): void {
    this.#files.set(target, bytes.slice());
  }

  fileOf(target: string): Uint8Array | null {
    return this.#files.get(target)?.slice() ?? null;
  }

  /** `length` bytes of the final file `target` at `offset` (fewer at its end), or `null` when there is none. */
  readFile(target: string, offset: number, length: number): Uint8Array | null {
    return this.#files.get(target)?.slice(offset, offset + length) ?? null;
  }

  fileSize(target: string): number | null {
    return this.#files.get(target)?.length ?? null;
  }

  partOf(target: string): Uint8Array | null {
    return this.#parts.get(target)?.current.bytes() ?? null;
  }

  durablePartOf(target: string): Uint8Array | null {
    return this.#parts.get(target)?.durable.bytes() ?? null;
  }

  list(): string[] {
    return [...this.#files.keys(), ...[...this.#parts.keys()].map(partName)].sort();
  }

  /** A dead process: unflushed writes vanish, locks go, open handles stop working. */
  crash(): void {
    for (const [target, part] of [...this.#parts]) {
      if (part.dirtyFrom !== null) this.putPart(target, part.durable.bytes());
    }
    this.#locks.clear();
    this.generation += 1;
  }

  #markDirty(part: PartState, from: number): void {
    part.dirtyFrom = part.dirtyFrom === null ? from : Math.min(part.dirtyFrom, from);
  }
}
