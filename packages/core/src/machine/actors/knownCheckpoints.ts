import * as TE from 'fp-ts/lib/TaskEither.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { StorageFailure } from '../../ports/StoragePort.js';

/**
 * One download's checkpoint store, which remembers the keys it knows hold nothing: those whose last `load` found
 * none (`Right(null)`) and that nobody has saved to since. A `remove` of such a key asks the store nothing: a small
 * file done within its first checkpoint interval saves none (`CheckpointSaver.saveLast`), and removing its absent
 * checkpoint cost a file-system call a file (an unlink answered ENOENT) for no effect.
 *
 * Sound because the download loads under its lock (R23: `prepare` opens and locks the part file first) and no other
 * download of the target writes a checkpoint while it is held. A save, even one that failed, may have left one, so
 * the key is forgotten as absent before the save begins; a load that finds one, or is refused (`UnsafePath`, R33),
 * leaves it unknown too, and a later `remove` asks the store as before. Only the steps that run under the lock use
 * it (prepare, transfer, verify): a cancel of a paused download, whose lock another run may have taken meanwhile,
 * asks the store itself.
 */
export class KnownCheckpoints implements CheckpointStore {
  readonly #store: CheckpointStore;
  readonly #absent = new Set<string>();

  constructor(store: CheckpointStore) {
    this.#store = store;
  }

  load(target: string): TE.TaskEither<StorageFailure, string | null> {
    return async () => {
      this.#absent.delete(target);
      const loaded = await this.#store.load(target)();
      if (loaded._tag === 'Right' && loaded.right === null) this.#absent.add(target);
      return loaded;
    };
  }

  save(target: string, text: string): TE.TaskEither<StorageFailure, void> {
    return async () => {
      this.#absent.delete(target);
      return this.#store.save(target, text)();
    };
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    if (this.#absent.has(target)) return TE.right(undefined);
    return async () => {
      const removed = await this.#store.remove(target)();
      if (removed._tag === 'Right') this.#absent.add(target);
      return removed;
    };
  }
}
