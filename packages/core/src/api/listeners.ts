import type { DownloadEvent } from '../model/download.js';

/**
 * The listeners of one download, called in order of subscription; each subscription is removed on its own.
 *
 * A listener that throws never changes the download's outcome and never hangs it (R39): its exception is caught
 * here, at the one place every event goes through, and told to the listeners as a `LISTENER_FAILED` notice (a
 * listener that throws on that notice too is not told again).
 */
export class Listeners<Event extends { readonly type: string } = DownloadEvent> {
  readonly #listeners = new Set<(event: Event) => void>();

  add(listener: (event: Event) => void): () => void {
    const entry = (event: Event) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Whether anyone listens (a queue makes events of an item only for its listeners). */
  get size(): number {
    return this.#listeners.size;
  }

  publish(event: Event): void {
    const failures: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        failures.push(error);
      }
    }
    if (event.type === 'notice' && (event as { code?: unknown }).code === LISTENER_FAILED) return;
    for (const error of failures) {
      // Every event kind listened to here has this notice (a download's and a queue's).
      this.publish({
        type: 'notice',
        code: LISTENER_FAILED,
        message: `a listener threw on ${event.type}: ${messageOf(error)}`,
      } as unknown as Event);
    }
  }
}

const LISTENER_FAILED = 'LISTENER_FAILED';

const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
