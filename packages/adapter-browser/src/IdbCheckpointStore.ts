import type { CheckpointStore, StorageFailure } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { type IDBPDatabase, openDB } from 'idb';
import { toStorageFailure } from './storageFailure.js';

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
  readonly #name: string;
  #db: Promise<IDBPDatabase> | null = null;

  constructor(options: IdbCheckpointStoreOptions = {}) {
    this.#name = options.databaseName ?? 'rdl';
  }

  #open(): Promise<IDBPDatabase> {
    this.#db ??= openDB(this.#name, 1, {
      upgrade: (db) => {
        db.createObjectStore(STORE);
      },
      // Another tab upgrading the schema must not be blocked by this one: close, and reopen on the next call.
      blocking: () => {
        void this.#db?.then((db) => db.close());
        this.#db = null;
      },
      terminated: () => {
        this.#db = null;
      },
    }).catch((error: unknown) => {
      this.#db = null;
      throw error;
    });
    return this.#db;
  }

  #attempt<A>(target: string, f: (db: IDBPDatabase) => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return async () => {
      try {
        return { _tag: 'Right', right: await f(await this.#open()) };
      } catch (error) {
        return { _tag: 'Left', left: toStorageFailure(error, `checkpoint of ${target}`) };
      }
    };
  }

  load(target: string): TE.TaskEither<StorageFailure, string | null> {
    return this.#attempt(target, async (db) => {
      const value: unknown = await db.get(STORE, target);
      if (value === undefined) return null;
      // Untrusted: anything but text is handed to core's decoder as text, which rejects it (R22).
      return typeof value === 'string' ? value : String(value);
    });
  }

  save(target: string, text: string): TE.TaskEither<StorageFailure, void> {
    return this.#attempt(target, async (db) => {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await tx.store.put(text, target);
      await tx.done;
    });
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    return this.#attempt(target, async (db) => {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await tx.store.delete(target);
      await tx.done;
    });
  }
}
