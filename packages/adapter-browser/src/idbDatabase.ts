import type { StorageFailure } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { type IDBPDatabase, openDB } from 'idb';
import { toStorageFailure } from './storageFailure.js';

/**
 * One IndexedDB database of one object store (through `idb`), opened on first use and again after another tab's
 * upgrade or the browser's termination closed it: the checkpoint store's and the queue store's. `attempt` runs a
 * call on it as a TaskEither that never rejects: a failure is a `StorageFailure` naming `what`.
 */
export class OneStoreDatabase {
  #db: Promise<IDBPDatabase> | null = null;

  constructor(
    readonly name: string,
    readonly store: string,
  ) {}

  #open(): Promise<IDBPDatabase> {
    const store = this.store;
    this.#db ??= openDB(this.name, 1, {
      upgrade: (db) => {
        db.createObjectStore(store);
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

  attempt<A>(what: string, f: (db: IDBPDatabase) => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return async () => {
      try {
        return { _tag: 'Right', right: await f(await this.#open()) };
      } catch (error) {
        return { _tag: 'Left', left: toStorageFailure(error, what) };
      }
    };
  }

  /** Closes the database (a later call opens it again). */
  async close(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    (await db?.catch(() => null))?.close();
  }
}
