import type { CheckpointStore, StorageFailure } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { OneStoreDatabase, storedText } from './idbDatabase.js';

/** Where an `IdbCheckpointStore` keeps its records. */
export interface IdbCheckpointStoreOptions {
  /** The IndexedDB database name. Default `'rdl'`. */
  readonly databaseName?: string;
}

const STORE = 'checkpoints';

/**
 * A `CheckpointStore` in IndexedDB (through `idb`): one record a target, the checkpoint's text as the value.
 * Each `save` is one `readwrite` transaction, which IndexedDB commits whole or not at all, so a crash leaves the old
 * text or the new one (R20). The transaction asks for `durability: 'strict'`, so it resolves only once the browser
 * has flushed it to disk (Chromium's default, `'relaxed'`, may lose the last commits on a power cut).
 */
export class IdbCheckpointStore implements CheckpointStore {
  readonly #db: OneStoreDatabase;

  constructor(options: IdbCheckpointStoreOptions = {}) {
    this.#db = new OneStoreDatabase(options.databaseName ?? 'rdl', STORE);
  }

  load(target: string): TE.TaskEither<StorageFailure, string | null> {
    return this.#db.attempt(`checkpoint of ${target}`, async (db) => {
      const value: unknown = await db.get(STORE, target);
      if (value === undefined) return null;
      // Untrusted: anything but text is handed to core's decoder as text that it rejects (R22).
      return storedText(value);
    });
  }

  save(target: string, text: string): TE.TaskEither<StorageFailure, void> {
    return this.#db.attempt(`checkpoint of ${target}`, async (db) => {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await tx.store.put(text, target);
      await tx.done;
    });
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    return this.#db.attempt(`checkpoint of ${target}`, async (db) => {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await tx.store.delete(target);
      await tx.done;
    });
  }
}
