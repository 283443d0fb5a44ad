/**
 * The part of the platform's `AbortSignal` that core relies on. Core compiles without DOM or Node types, so it
 * names the shape it needs; a real `AbortSignal` satisfies it, and adapters may pass it straight to `fetch`.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  /** Why it was aborted (a platform `AbortSignal` has it; core's own handles leave it undefined). */
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A controller core can create without a platform `AbortController`. */
export interface AbortHandle {
  readonly signal: AbortSignalLike;
  abort(): void;
}

/** Creates an abort handle whose signal follows the `AbortSignal` contract: listeners run once, in order. */
export const createAbortHandle = (): AbortHandle => {
  const listeners = new Set<() => void>();
  let aborted = false;
  const signal: AbortSignalLike = {
    get aborted() {
      return aborted;
    },
    addEventListener: (_type, listener) => {
      if (aborted) return;
      listeners.add(listener);
    },
    removeEventListener: (_type, listener) => {
      listeners.delete(listener);
    },
  };
  return {
    signal,
    abort: () => {
      if (aborted) return;
      aborted = true;
      const toRun = [...listeners];
      listeners.clear();
      for (const listener of toRun) listener();
    },
  };
};
