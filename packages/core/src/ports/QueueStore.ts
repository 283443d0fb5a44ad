import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { StorageFailure } from './StoragePort.js';

/** One item of a queue as stored: its id and its record, as opaque text (core encodes and decodes it, R45). */
export interface StoredItem {
  readonly id: string;
  readonly text: string;
}

/**
 * Where a queue keeps its items (R45), as opaque text per item: what is read back is untrusted, decoded by core,
 * and a record that does not decode is reported and dropped, never a crash (as a checkpoint, R22).
 *
 * Contract:
 * - `put` stores each item's text, replacing the one stored under its id; `remove` forgets ids. Both are durable
 *   when they resolve (a file fsynced, an IndexedDB transaction complete).
 * - After a crash at any instant, `load` gives for each id either the text it had before the call or the one the
 *   call gave, whole, never a mix or a prefix (R20). A call with many items may be cut between items: it then keeps
 *   its first items, in the order given, never a later one without those before it (the queue puts the next id it
 *   hands out, an item of its own, ahead of the items that use it).
 * - `put` stores its items in the order given: an id twice in one call keeps its later text.
 * - `put` reads `items` once, in order, while the call runs (the queue encodes each record as it is taken, so that a
 *   call of thousands never holds all their texts at once).
 * - `load` gives the items in no particular order; ids never stored, or removed, are not there. An entry the store
 *   cannot read back (a line of a file that no longer parses, a value that is not text) is given as an item whose
 *   text is no record, under an id no other item has, so that the queue reports it; a `remove` of that id forgets
 *   it. Only what a crash cut mid-call (a torn last line) is left out unsaid.
 * - Calls are made one after another (the queue waits for one before the next); `remove` of a missing id and an
 *   empty call succeed. No call throws or rejects.
 */
export interface QueueStore {
  load(): TaskEither<StorageFailure, readonly StoredItem[]>;
  put(items: Iterable<StoredItem>): TaskEither<StorageFailure, void>;
  remove(ids: readonly string[]): TaskEither<StorageFailure, void>;
  /** Lets go of what the store holds open (a file, a database connection); a later call opens it again. */
  close?(): Promise<void>;
}
