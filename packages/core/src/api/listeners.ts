import type { DownloadEvent } from '../model/download.js';

/** The listeners of one download, called in order of subscription; each subscription is removed on its own. */
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
    for (const listener of [...this.#listeners]) listener(event);
  }
}
