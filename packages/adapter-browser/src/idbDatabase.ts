import type { StorageFailure } from '@rdl/core';
import type * as TE from 'fp-ts/TaskEither';
import { type IDBPDatabase, type OpenDBCallbacks, openDB } from 'idb';
import { toStorageFailure } from './storageFailure.js';

/**
 * A stored value as the text a store hands to core's decoder, which rejects all but its own text (R22). A value that
 * is not text (planted, or a bug's) is read as empty text, never converted: `String()` runs what the value holds,
 * and `{ toString: 0 }` makes it throw.
 */
export const storedText = (value: unknown): string => (typeof value === 'string' ? value : '');

/** Upgrades tried before a store that others keep overtaking gives up. */
const MAX_UPGRADE_TRIES = 8;

/** An upgrade that adds the store waits for a connection elsewhere that does not give way (not rdl's). */
class BlockedUpgrade extends Error {
  override readonly name = 'InvalidAccessError';
  constructor(database: string, store: string) {
    super(
      `${database}: another connection holds the database open and does not let it add the store ${store}`,
    );
  }
}

/**
 * One object store of an IndexedDB database (through `idb`), opened on first use and again after another tab's
 * upgrade or the browser's termination closed it: the checkpoint store's and the queue store's. The database is
 * opened at whatever version it has; when it lacks the store (a new database, or one another store of rdl's, or the
 * caller's own, made first under that name) it is upgraded to the next version with the store added, the others
 * left as they are. So two stores may share a database, and an upgrade by another tab never locks this one out
 * (`VersionError`). `attempt` runs a call on it as a TaskEither that never rejects: a failure is a `StorageFailure`
 * naming `what`.
 */
export class OneStoreDatabase {
  #db: Promise<IDBPDatabase> | null = null;

  constructor(
    readonly name: string,
    readonly store: string,
  ) {}

  #open(): Promise<IDBPDatabase> {
    this.#db ??= this.#connect().catch((error: unknown) => {
      // A blocked upgrade stays queued in IndexedDB, and every open after it would wait behind it: the calls meanwhile
      // fail at once with its error, until it goes through (`#connect` then hands its connection on).
      if (!(error instanceof BlockedUpgrade)) this.#db = null;
      throw error;
    });
    return this.#db;
  }

  async #connect(): Promise<IDBPDatabase> {
    const store = this.store;
    const handlers = {
      upgrade: (db: IDBPDatabase) => {
        if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
      },
      // Another tab (or store) upgrading the schema must not be blocked by this one: close, and reopen on the next
      // call at the version it made.
      blocking: () => {
        const open = this.#db;
        this.#db = null;
        void open?.then((db) => db.close()).catch(() => {});
      },
      terminated: () => {
        this.#db = null;
      },
    };
    // Two stores (or tabs) adding theirs at once may both ask for the same next version: the one that lost finds the
    // database upgraded without its store, or past that version, and tries the next one.
    for (let tries = 1; ; tries += 1) {
      const db = await openDB(this.name, undefined, handlers);
      if (db.objectStoreNames.contains(store)) return db;
      const next = db.version + 1;
      db.close();
      let upgraded: IDBPDatabase;
      try {
        upgraded = await this.#upgrade(next, handlers);
      } catch (error) {
        const overtaken = error instanceof DOMException && error.name === 'VersionError';
        if (overtaken && tries < MAX_UPGRADE_TRIES) continue;
        throw error;
      }
      if (upgraded.objectStoreNames.contains(store)) return upgraded;
      upgraded.close();
      if (tries === MAX_UPGRADE_TRIES)
        throw new DOMException(`${this.name}: the store ${store} could not be added`, 'InvalidStateError');
    }
  }

  /**
   * Opens the database at `version`, which adds the store. A connection elsewhere that does not give way (not
   * rdl's) would hold the upgrade for ever: refused instead, at once (`BlockedUpgrade`).
   */
  #upgrade(version: number, handlers: OpenDBCallbacks<unknown>): Promise<IDBPDatabase> {
    let refuse: (error: Error) => void = () => {};
    const blocked = new Promise<never>((_, reject) => {
      refuse = reject;
    });
    const upgraded = openDB(this.name, version, {
      ...handlers,
      blocked: () => refuse(new BlockedUpgrade(this.name, this.store)),
    });
    // Opened once the holder lets go after all: the connection of the next calls.
    upgraded
      .then((late) =>
        blocked.catch(() => {
          this.#db = Promise.resolve(late);
        }),
      )
      .catch(() => {
        this.#db = null;
      });
    return Promise.race([upgraded, blocked]);
  }

  attempt<A>(what: string, f: (db: IDBPDatabase) => Promise<A>): TE.TaskEither<StorageFailure, A> {
    return async () => {
      // A connection closed under the call (another tab's upgrade, `blocking` above) fails it with
      // `InvalidStateError`: once more, on the database as it now is.
      for (let attempt = 1; ; attempt += 1) {
        const used = this.#open();
        try {
          return { _tag: 'Right', right: await f(await used) };
        } catch (error) {
          const closed = error instanceof DOMException && error.name === 'InvalidStateError';
          if (!closed || attempt === 2) return { _tag: 'Left', left: toStorageFailure(error, what) };
          if (this.#db === used) {
            this.#db = null;
            void used.then((db) => db.close()).catch(() => {});
          }
        }
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
