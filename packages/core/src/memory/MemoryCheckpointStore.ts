import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { CheckpointStore } from '../ports/CheckpointStore.js';
import type { StorageFailure } from '../ports/StoragePort.js';

export type CheckpointOperation = 'load' | 'save' | 'remove';

/**
 * A `CheckpointStore` in a `Map`: `save` replaces the whole text in one step, so it is atomic by construction (R20).
 * Faults can be queued, and the raw text read or replaced for tampering tests (R22).
 */
export class MemoryCheckpointStore implements CheckpointStore {
  readonly #texts = new Map<string, string>();
  #faults: { operation: CheckpointOperation; failure: StorageFailure }[] = [];
  #failAll: StorageFailure | null = null;
  #saves = 0;

  load(target: string): TaskEither<StorageFailure, string | null> {
    return this.#run('load', () => this.#texts.get(target) ?? null);
  }

  save(target: string, text: string): TaskEither<StorageFailure, void> {
    return this.#run('save', () => {
      this.#texts.set(target, text);
      this.#saves += 1;
    });
  }

  remove(target: string): TaskEither<StorageFailure, void> {
    return this.#run('remove', () => {
      this.#texts.delete(target);
    });
  }

  /** The next `operation` fails with `failure` (the store is left unchanged); faults queue in order. */
  failNext(operation: CheckpointOperation, failure: StorageFailure): void {
    this.#faults.push({ operation, failure });
  }

  /** Every call fails with `failure` until called again with `null`. */
  failAll(failure: StorageFailure | null): void {
    this.#failAll = failure;
  }

  /** The stored text, or `null`. */
  raw(target: string): string | null {
    return this.#texts.get(target) ?? null;
  }

  /** Replaces the stored text (a torn or tampered checkpoint). */
  setRaw(target: string, text: string): void {
    this.#texts.set(target, text);
  }

  keys(): string[] {
    return [...this.#texts.keys()].sort();
  }

  /** How many saves succeeded. */
  get saveCount(): number {
    return this.#saves;
  }

  #run<A>(operation: CheckpointOperation, run: () => A): TaskEither<StorageFailure, A> {
    return () =>
      Promise.resolve().then(() => {
        if (this.#failAll !== null) return E.left(this.#failAll);
        const index = this.#faults.findIndex((fault) => fault.operation === operation);
        const [fault] = index < 0 ? [] : this.#faults.splice(index, 1);
        return fault === undefined ? E.right(run()) : E.left(fault.failure);
      });
  }
}
