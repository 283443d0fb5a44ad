import type {
  ByteRange,
  CheckpointStore,
  HashAlgorithm,
  Hasher,
  PartFile,
  StorageFailure,
  StoragePort,
} from '@rdl/core';
import { addRange, coveredBytes, decodeCheckpoint } from '@rdl/core/rules';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { FileCheckpointStore } from '../../src/FileCheckpointStore.js';
import { FsStorage } from '../../src/FsStorage.js';
import { toStorageFailure } from '../../src/fsFailure.js';
import { NodeHasher } from '../../src/NodeHasher.js';

/** A real file-system error, as Node gives it. */
const systemError = (code: string, message: string): Error =>
  Object.assign(new Error(`${code}: ${message}`), { code });

/**
 * `FsStorage` on a disk that fills up: once `capacity` bytes were written (over every open), a write fails as
 * `write(2)` would with ENOSPC, after writing what still fits.
 */
export class FillingFsStorage implements StoragePort {
  private readonly inner = new FsStorage();
  written = 0;

  constructor(public capacity: number) {}

  open(target: string): TaskEither<StorageFailure, PartFile> {
    return async () => {
      const opened = await this.inner.open(target)();
      if (E.isLeft(opened)) return opened;
      const file = opened.right;
      const write =
        (offset: number, bytes: Uint8Array): TaskEither<StorageFailure, void> =>
        async () => {
          const room = Math.max(0, this.capacity - this.written);
          if (bytes.byteLength <= room) {
            this.written += bytes.byteLength;
            return file.write(offset, bytes)();
          }
          if (room > 0) await file.write(offset, bytes.subarray(0, room))();
          this.written += room;
          return E.left(
            toStorageFailure('write', `${target}.part`)(systemError('ENOSPC', 'no space left on device')),
          );
        };
      return E.right({ ...bindAll(file), write });
    };
  }

  remove(target: string): TaskEither<StorageFailure, void> {
    return this.inner.remove(target);
  }

  targetSize(target: string): TaskEither<StorageFailure, number | null> {
    return this.inner.targetSize(target);
  }

  readTarget(target: string, offset: number, length: number): TaskEither<StorageFailure, Uint8Array> {
    return this.inner.readTarget(target, offset, length);
  }
}

const bindAll = (file: PartFile): PartFile => ({
  size: () => file.size(),
  write: (offset, bytes) => file.write(offset, bytes),
  read: (offset, length) => file.read(offset, length),
  truncate: (length) => file.truncate(length),
  flush: () => file.flush(),
  commit: () => file.commit(),
  discard: () => file.discard(),
  close: () => file.close(),
});

/**
 * `FsStorage` and `FileCheckpointStore` that watch the order of durability (R20): every checkpoint saved must
 * count only bytes that were flushed before the save began.
 */
export const durabilityWatch = (): {
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly violations: string[];
  readonly saves: () => number;
} => {
  const inner = new FsStorage();
  const store = new FileCheckpointStore();
  const violations: string[] = [];
  /** Per target: the ranges written (by one stream or by segments), and those a flush made durable. */
  const written = new Map<string, ByteRange[]>();
  const flushed = new Map<string, ByteRange[]>();
  let saves = 0;
  const cut = (ranges: readonly ByteRange[], length: number): ByteRange[] =>
    ranges.flatMap(([start, end]): ByteRange[] => (start >= length ? [] : [[start, Math.min(end, length)]]));
  const storage: StoragePort = {
    open: (target) => async () => {
      const opened = await inner.open(target)();
      if (E.isLeft(opened)) return opened;
      const file = opened.right;
      const size = await file.size()();
      // What is on disk when the file is opened was flushed by an earlier run (or will be truncated away).
      const onDisk: ByteRange[] = E.isRight(size) && size.right > 0 ? [[0, size.right]] : [];
      written.set(target, onDisk);
      flushed.set(target, onDisk);
      return E.right({
        ...bindAll(file),
        write: (offset, bytes) => async () => {
          const result = await file.write(offset, bytes)();
          if (E.isRight(result) && bytes.byteLength > 0) {
            written.set(target, addRange(written.get(target) ?? [], [offset, offset + bytes.byteLength]));
          }
          return result;
        },
        truncate: (length) => async () => {
          const result = await file.truncate(length)();
          written.set(target, cut(written.get(target) ?? [], length));
          flushed.set(target, cut(flushed.get(target) ?? [], length));
          return result;
        },
        flush: () => async () => {
          const before = written.get(target) ?? [];
          const result = await file.flush()();
          if (E.isRight(result)) flushed.set(target, before);
          return result;
        },
      });
    },
    remove: (target) => inner.remove(target),
    targetSize: (target) => inner.targetSize(target),
    readTarget: (target, offset, length) => inner.readTarget(target, offset, length),
  };
  const checkpoints: CheckpointStore = {
    load: (target) => store.load(target),
    remove: (target) => store.remove(target),
    save: (target, text) => async () => {
      saves += 1;
      const decoded = decodeCheckpoint(text);
      if (E.isLeft(decoded)) violations.push(`saved an undecodable checkpoint: ${decoded.left}`);
      else {
        // Every range it counts lies inside what was flushed (R20, R42): adding it to the flushed set adds nothing.
        const durable = flushed.get(target) ?? [];
        const beyond = decoded.right.ranges.filter(
          (range) => coveredBytes(addRange(durable, range)) > coveredBytes(durable),
        );
        if (beyond.length > 0) {
          violations.push(
            `checkpoint counts ${JSON.stringify(beyond)}, only ${JSON.stringify(durable)} were flushed`,
          );
        }
      }
      return store.save(target, text)();
    },
  };
  return { storage, checkpoints, violations, saves: () => saves };
};

/** `FileCheckpointStore` on a disk that refuses every checkpoint save, as `write(2)` would with EIO; loads work. */
export const failingSaves = (): CheckpointStore => {
  const store = new FileCheckpointStore();
  return {
    load: (target) => store.load(target),
    remove: (target) => store.remove(target),
    save: (target) => async () =>
      E.left(toStorageFailure('save checkpoint', `${target}.rdl.json`)(systemError('EIO', 'i/o error'))),
  };
};

/**
 * `FileCheckpointStore` whose saves never end until `release()`: a pause that waits for its checkpoint then outlasts
 * the command's grace. Released, every save held and every later one goes to the real store.
 */
export const heldSaves = (): { readonly checkpoints: CheckpointStore; readonly release: () => void } => {
  const store = new FileCheckpointStore();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    checkpoints: {
      load: (target) => store.load(target),
      remove: (target) => store.remove(target),
      save: (target, checkpoint) => async () => {
        await released;
        return store.save(target, checkpoint)();
      },
    },
    release,
  };
};

/** What a `watchedHasher` was asked to do: the hashes it created, the bytes fed to them, the digests it gave. */
export interface HashWork {
  readonly created: HashAlgorithm[];
  bytesHashed: number;
  readonly digests: string[];
}

/** `NodeHasher` that records its work, so that a test sees whether a download hashed anything, and what. */
export const watchedHasher = (): { readonly hasher: Hasher; readonly work: HashWork } => {
  const inner = new NodeHasher();
  const work: HashWork = { created: [], bytesHashed: 0, digests: [] };
  const hasher: Hasher = {
    create: (algorithm) => {
      work.created.push(algorithm);
      const state = inner.create(algorithm);
      return {
        update: (bytes) => {
          work.bytesHashed += bytes.byteLength;
          state.update(bytes);
        },
        digest: () => {
          const digest = state.digest();
          work.digests.push(digest);
          return digest;
        },
      };
    },
  };
  return { hasher, work };
};
