import type { QueueStore, StorageFailure, StoredItem } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { OneStoreDatabase, storedText } from './idbDatabase.js';

/** Where an `IdbQueueStore` keeps its items. */
export interface IdbQueueStoreOptions {
  /** The IndexedDB database name. Default `'rdl-queue'` (apart from the checkpoints' `'rdl'`, whose schema it leaves alone). */
  readonly databaseName?: string;
}

const STORE = 'items';

/**
 * A `QueueStore` in IndexedDB (R45): one object store, the item's id as the key and its record's text as the value.
 * Each `put` and each `remove` is one `readwrite` transaction with `durability: 'strict'`, which IndexedDB commits
 * whole or not at all and resolves only once on disk, so a crash leaves every id with its text from before the call
 * or from it (R20). What `load` reads back is untrusted (R22): a value that is not text is handed on as text that
 * core's decoder rejects, so the item is reported and dropped, never a crash. No call rejects: a failure is a
 * `StorageFailure`.
 */
export class IdbQueueStore implements QueueStore {
  readonly #db: OneStoreDatabase;
  /**
   * Keys of the last load that are not text (a number, a date, an array: planted, or a bug's), under the ids they
   * were given: ids no text key has, so that two records never share one, and a `remove` of such an id deletes the
   * record it named (core drops it: its text cannot carry that id).
   */
  #foreign = new Map<string, IDBValidKey>();

  constructor(options: IdbQueueStoreOptions = {}) {
    this.#db = new OneStoreDatabase(options.databaseName ?? 'rdl-queue', STORE);
  }

  load(): TE.TaskEither<StorageFailure, readonly StoredItem[]> {
    return this.#db.attempt(`read queue (${this.#db.name})`, async (db) => {
      const tx = db.transaction(STORE, 'readonly');
      // Keys and values in one transaction come in the same (key) order.
      const [keys, values] = await Promise.all([tx.store.getAllKeys(), tx.store.getAll(), tx.done]);
      const taken = new Set(keys.filter((key): key is string => typeof key === 'string'));
      this.#foreign = new Map();
      return keys.map((key, index) => ({ id: this.#idOf(key, taken), text: storedText(values[index]) }));
    });
  }

  put(items: Iterable<StoredItem>): TE.TaskEither<StorageFailure, void> {
    return this.#db.attempt(`save queue (${this.#db.name})`, async (db) => {
      const list = [...items];
      if (list.length === 0) return;
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await Promise.all([...list.map(({ id, text }) => tx.store.put(text, id)), tx.done]);
    });
  }

  remove(ids: readonly string[]): TE.TaskEither<StorageFailure, void> {
    return this.#db.attempt(`save queue (${this.#db.name})`, async (db) => {
      if (ids.length === 0) return;
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' });
      await Promise.all([...ids.map((id) => tx.store.delete(this.#foreign.get(id) ?? id)), tx.done]);
      for (const id of ids) this.#foreign.delete(id);
    });
  }

  /** A text key is its own id; any other gets one that no text key of the store has (`taken`). */
  #idOf(key: IDBValidKey, taken: Set<string>): string {
    if (typeof key === 'string') return key;
    let id = `${String(key)} (key of type ${Array.isArray(key) ? 'array' : typeof key})`;
    while (taken.has(id)) id = `${id}'`;
    taken.add(id);
    this.#foreign.set(id, key);
    return id;
  }

  /** Closes the database (a later call opens it again). */
  close(): Promise<void> {
    return this.#db.close();
  }
}
