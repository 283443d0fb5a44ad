import type { AbortSignalLike } from '../../ports/abort.js';
import type { Clock } from '../../ports/Clock.js';
import { bucketAt, spend, type TokenBucket, waitMs, withRate } from '../../rules/tokenBucket.js';

/**
 * One rate limit (R44) over every request that reads through it: the connections of one download, and the
 * downloads of whatever shares it. It is applied by backpressure: a request asks `ready()` before it reads its
 * body's next bytes, so while the bucket is in debt nobody reads, the transport's buffer fills, it stops reading its
 * socket and the TCP window closes; the server slows down instead of the bytes piling up here.
 */
export class RateLimit {
  readonly #clock: Clock;
  #bucket: TokenBucket;
  /** Requests waiting for tokens: a new rate wakes them to look again. */
  readonly #waiting = new Set<() => void>();
  /** The limit over this one and others (a queue's, over its downloads'): a read goes once both allow it. */
  readonly #parent: RateLimit | null;

  constructor(clock: Clock, bytesPerSecond: number | null, parent: RateLimit | null = null) {
    this.#clock = clock;
    this.#bucket = bucketAt(bytesPerSecond, clock.now());
    this.#parent = parent;
  }

  /** Bytes a second, `null` for none. */
  get bytesPerSecond(): number | null {
    return this.#bucket.rate;
  }

  /** Whether reads wait on anything: this limit or one it reads under. */
  get limited(): boolean {
    return this.#bucket.rate !== null || this.#parent?.limited === true;
  }

  /** A new limit, from now on; `null` lifts it. Requests waiting look again at once. */
  set(bytesPerSecond: number | null): void {
    this.#bucket = withRate(this.#bucket, this.#clock.now(), bytesPerSecond);
    for (const wake of [...this.#waiting]) wake();
  }

  /** A read brought `bytes`. */
  spend(bytes: number): void {
    this.#parent?.spend(bytes);
    if (this.#bucket.rate === null) return;
    this.#bucket = spend(this.#bucket, this.#clock.now(), bytes);
  }

  /** Resolves once a read may go (at once while the bucket holds tokens), or once `signal` aborts. */
  async ready(signal: AbortSignalLike): Promise<void> {
    await this.#own(signal);
    // Only this limit spends between the two waits: waiting on the parent leaves this one's tokens as they were.
    await this.#parent?.ready(signal);
  }

  async #own(signal: AbortSignalLike): Promise<void> {
    for (;;) {
      const wait = waitMs(this.#bucket, this.#clock.now());
      if (wait === 0 || signal.aborted) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.#clock.clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#waiting.delete(done);
          resolve();
        };
        const timer = this.#clock.setTimeout(done, wait);
        signal.addEventListener('abort', done, { once: true });
        this.#waiting.add(done);
      });
    }
  }
}
