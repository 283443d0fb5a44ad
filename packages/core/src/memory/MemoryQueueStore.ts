import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { QueueStore, StoredItem } from '../ports/QueueStore.js';
import type { StorageFailure } from '../ports/StoragePort.js';

/**
 * A `QueueStore` in a `Map`, which outlives the queues that use it: a new queue over the same store is the queue
 * after a kill (R45). A put replaces each item's text in one step (R20). Faults can be set, and the raw texts read
 * or replaced for tampering tests.
 */
export class MemoryQueueStore implements QueueStore {
  readonly #texts = new Map<string, string>();
  #failAll: StorageFailure | null = null;
  #calls = 0;

  load(): TaskEither<StorageFailure, readonly StoredItem[]> {
    return this.#run(() => [...this.#texts].map(([id, text]) => ({ id, text })));
  }

  put(items: Iterable<StoredItem>): TaskEither<StorageFailure, void> {
    return this.#run(() => {
      for (const { id, text } of items) this.#texts.set(id, text);
    });
  }

  remove(ids: readonly string[]): TaskEither<StorageFailure, void> {
    return this.#run(() => {
      for (const id of ids) this.#texts.delete(id);
    });
  }

  /** Every call fails with `failure` until called again with `null`. */
  failAll(failure: StorageFailure | null): void {
    this.#failAll = failure;
  }

  /** The stored text of `id`, or `undefined`. */
  textOf(id: string): string | undefined {
    return this.#texts.get(id);
  }

  /** Replaces the stored text of `id` (tampering). */
  plant(id: string, text: string): void {
    this.#texts.set(id, text);
  }

  /** The calls made so far (load, put and remove). */
  get calls(): number {
    return this.#calls;
  }

  #run<T>(body: () => T): TaskEither<StorageFailure, T> {
    return async () => {
      this.#calls += 1;
      // A store answers later, as a file or a database does: a queue must not count on a synchronous one.
      await Promise.resolve();
      if (this.#failAll !== null) return E.left(this.#failAll);
      return E.right(body());
    };
  }
}
