import type { AbortSignalLike } from '../ports/abort.js';
import type { Clock } from '../ports/Clock.js';

export interface MemoryBodyOptions {
  readonly chunkSize: number;
  /** Reject (a cut connection) once this many bytes were yielded. */
  readonly cutAfter: number | null;
  /** Yield nothing more, until abort or `return()`, once this many bytes were yielded. */
  readonly stallAfter: number | null;
  readonly signal: AbortSignalLike;
  /** With `delayMs > 0`, each chunk waits that long on `clock`; a function says it for each chunk. */
  readonly clock: Clock;
  readonly delayMs: number | (() => number);
  /** Called with each chunk's length as it is handed out. */
  readonly onBytes: (count: number) => void;
  /**
   * Hand out adjacent views of one private copy of the body, as a transport reading its socket into large slots
   * does, rather than a fresh copy per chunk. Default false.
   */
  readonly adjacentChunks?: boolean;
  /** Called once when the body is over: read to its end, cut, returned, or its request aborted. */
  readonly onEnd?: () => void;
}

/** An error as a broken socket would give it: the body iterator rejects with it. */
const networkError = (message: string): Error => Object.assign(new Error(message), { name: 'NetworkError' });
const abortError = (): Error => Object.assign(new Error('the request was aborted'), { name: 'AbortError' });

const finished: IteratorResult<Uint8Array> = { done: true, value: undefined };

/**
 * A response body handed out in small chunks, so cuts land mid-stream. It honours the request's signal (an abort
 * rejects a pending or later `next()`), and `return()` ends it at once, even while it stalls.
 */
export class MemoryBody implements AsyncIterableIterator<Uint8Array> {
  readonly #bytes: Uint8Array;
  readonly #options: MemoryBodyOptions;
  #position = 0;
  #done = false;
  #ended = false;
  #pending: {
    resolve: (r: IteratorResult<Uint8Array>) => void;
    reject: (e: Error) => void;
    timer: unknown;
  } | null = null;
  readonly #onAbort = (): void => {
    this.#settle(abortError());
    this.#over();
  };

  constructor(bytes: Uint8Array, options: MemoryBodyOptions) {
    this.#bytes = options.adjacentChunks === true ? bytes.slice() : bytes;
    this.#options = options;
    options.signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#done) return Promise.resolve(finished);
    if (this.#options.signal.aborted) return this.#end(Promise.reject(abortError()));
    const { cutAfter, stallAfter, chunkSize, delayMs } = this.#options;
    if (cutAfter !== null && this.#position >= cutAfter) {
      return this.#end(Promise.reject(networkError(`connection reset after ${this.#position} bytes`)));
    }
    if (stallAfter !== null && this.#position >= stallAfter) return this.#wait(null);
    if (this.#position >= this.#bytes.length) return this.#end(Promise.resolve(finished));
    const limit = Math.min(
      this.#bytes.length,
      cutAfter ?? Number.POSITIVE_INFINITY,
      stallAfter ?? Number.POSITIVE_INFINITY,
    );
    const to = Math.min(limit, this.#position + Math.max(1, chunkSize));
    const chunk =
      this.#options.adjacentChunks === true
        ? this.#bytes.subarray(this.#position, to)
        : this.#bytes.slice(this.#position, to);
    this.#position += chunk.length;
    this.#options.onBytes(chunk.length);
    const delay = typeof delayMs === 'function' ? delayMs() : delayMs;
    if (delay <= 0) return Promise.resolve({ done: false, value: chunk });
    return this.#wait(chunk, delay);
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#settle(null);
    return this.#end(Promise.resolve(finished));
  }

  /** A `next()` that resolves later: with `chunk` after the delay, or (a stall, `chunk` null) only by abort/return. */
  #wait(chunk: Uint8Array | null, delayMs = 0): Promise<IteratorResult<Uint8Array>> {
    return new Promise((resolve, reject) => {
      const timer =
        chunk === null
          ? null
          : this.#options.clock.setTimeout(() => {
              this.#pending = null;
              resolve({ done: false, value: chunk });
            }, delayMs);
      this.#pending = { resolve, reject, timer };
    });
  }

  /** Settles a waiting `next()`: rejects with `error`, or ends the body when `error` is null. */
  #settle(error: Error | null): void {
    const pending = this.#pending;
    this.#pending = null;
    if (pending === null) return;
    if (pending.timer !== null) this.#options.clock.clearTimeout(pending.timer);
    this.#done = true;
    this.#over();
    if (error === null) pending.resolve(finished);
    else pending.reject(error);
  }

  #over(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#options.onEnd?.();
  }

  #end<T>(result: Promise<T>): Promise<T> {
    this.#done = true;
    this.#over();
    this.#options.signal.removeEventListener('abort', this.#onAbort);
    return result;
  }
}
