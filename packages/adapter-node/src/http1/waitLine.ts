import type { AbortSignalLike } from '@rdl/core';

/**
 * Requests waiting for a connection of their origin's cap, in order, per origin key. `wait` resolves `true` when
 * `wakeOne` lets the request go (a connection became free or closed), `false` when its signal aborts (it then
 * leaves the line). `first`: before every other waiting request, for one woken once and beaten to the connection by
 * a request that came without waiting.
 */
export class WaitLine {
  readonly #waiting = new Map<string, (() => void)[]>();

  wait(key: string, signal: AbortSignalLike, first: boolean): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const queue = this.#waiting.get(key) ?? [];
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      };
      const onAbort = (): void => {
        const list = this.#waiting.get(key) ?? [];
        const index = list.indexOf(wake);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0) this.#waiting.delete(key);
        resolve(false);
      };
      if (first) queue.unshift(wake);
      else queue.push(wake);
      this.#waiting.set(key, queue);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A connection to `key` became free or closed: the first request waiting for one goes on. */
  wakeOne(key: string): void {
    const queue = this.#waiting.get(key);
    const wake = queue?.shift();
    if (queue?.length === 0) this.#waiting.delete(key);
    wake?.();
  }
}
