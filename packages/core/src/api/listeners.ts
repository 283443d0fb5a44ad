import type { DownloadEvent } from '../model/download.js';

/**
 * The listeners of one download, called in order of subscription; each subscription is removed on its own.
 *
 * A listener that throws never changes the download's outcome and never hangs it (R39): its exception is caught
 * here, at the one place every event goes through, and told to the listeners as a `LISTENER_FAILED` notice (a
 * listener that throws on that notice too is not told again).
 */
export class Listeners {
  readonly #listeners = new Set<(event: DownloadEvent) => void>();

  add(listener: (event: DownloadEvent) => void): () => void {
    const entry = (event: DownloadEvent) => listener(event);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  publish(event: DownloadEvent): void {
    const failures: unknown[] = [];
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        failures.push(error);
      }
    }
    if (event.type === 'notice' && event.code === LISTENER_FAILED) return;
    for (const error of failures) {
      this.publish({
        type: 'notice',
        code: LISTENER_FAILED,
        message: `a listener threw on ${event.type}: ${messageOf(error)}`,
      });
    }
  }
}

const LISTENER_FAILED = 'LISTENER_FAILED';

const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
