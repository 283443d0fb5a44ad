import type { AbortSignalLike } from '../../ports/abort.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import { bucketAt, spend, type TokenBucket, waitMs, withRate } from '../../rules/tokenBucket.js';

/**
 * How long a reader let go while others wait may take to bring its bytes before the next in line goes too: a
 * reader waiting for the limit has its bytes there as a rule, but its request may also have just ended.
 */
const TURN_MS = 20;

/**
 * One rate limit (R44) over every request that reads through it: the connections of one download, and the
 * downloads of whatever shares it. It is applied by backpressure: a request asks `ready()` before it reads its
 * body's next bytes, so while the bucket is in debt nobody reads, the transport's buffer fills, it stops reading its
 * socket and the TCP window closes; the server slows down instead of the bytes piling up here.
 *
 * While it is in debt the readers wait in line, first come first served: once the bucket holds tokens again the
 * first goes, and the next when that one has read (`spend`). Each waiting with its own timer, the one whose read
 * came at once was back in debt and first to wait again before the others looked, and took turn after turn: a list
 * under one `--limit-rate` had a download get nothing for seconds while another got the whole limit.
 */
export class RateLimit {
  readonly #clock: Clock;
  #bucket: TokenBucket;
  /** The readers waiting for tokens, in the order they came. */
  readonly #line: (() => void)[] = [];
  /** When the line is looked at next, `null` when no look is due. */
  #timer: TimerId | null = null;
  /** The limit over this one and others (a queue's, over its downloads'): a read goes once both allow it. */
  readonly #parent: RateLimit | null;
  /**
   * When the last reader let go went, while it has not read yet (`spend`): tokens are spent only once a read brought
   * its bytes, so readers let go together would all read on the same tokens (sixteen connections, a read of 256 KiB
   * each, read 4 MiB in the first second of a 100 KB/s limit). The next waits for that read, or `TURN_MS`.
   */
  #letGoAt: number | null = null;

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
    this.#look();
  }

  /** A read brought `bytes`. */
  spend(bytes: number): void {
    this.#letGoAt = null;
    this.#parent?.spend(bytes);
    if (this.#bucket.rate !== null) this.#bucket = spend(this.#bucket, this.#clock.now(), bytes);
    // The reader let go has read: the next in line may go once the bucket allows.
    if (this.#line.length > 0) this.#look();
  }

  /** Resolves once a read may go (at once while the bucket holds tokens), or once `signal` aborts. */
  async ready(signal: AbortSignalLike): Promise<void> {
    await this.#own(signal);
    // Only this limit spends between the two waits: waiting on the parent leaves this one's tokens as they were.
    await this.#parent?.ready(signal);
  }

  async #own(signal: AbortSignalLike): Promise<void> {
    if (signal.aborted) return;
    if (this.#line.length === 0 && this.#waitMs() === 0) {
      this.#letGo();
      return;
    }
    await new Promise<void>((resolve) => {
      const go = (): void => {
        signal.removeEventListener('abort', quit);
        resolve();
      };
      const quit = (): void => {
        const at = this.#line.indexOf(go);
        if (at >= 0) this.#line.splice(at, 1);
        resolve();
        this.#look();
      };
      signal.addEventListener('abort', quit, { once: true });
      this.#line.push(go);
      this.#look();
    });
  }

  /**
   * Lets the first reader in line go when the bucket holds tokens (every one when the limit is lifted), else looks
   * again when it will. After a reader goes, the next looks again once it read (`spend`), or after `TURN_MS`.
   */
  #look(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#bucket.rate === null) {
      for (const go of this.#line.splice(0)) go();
      return;
    }
    const first = this.#line[0];
    if (first === undefined) return;
    const wait = this.#waitMs();
    if (wait === 0) {
      this.#line.shift();
      this.#letGo();
      first();
    }
    if (this.#line.length === 0) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#look();
      },
      wait === 0 ? TURN_MS : wait,
    );
  }

  /** How long until the next reader may go: the bucket's wait, or what is left of the last one's turn to read. */
  #waitMs(): number {
    const now = this.#clock.now();
    const turn = this.#letGoAt === null ? 0 : Math.max(0, this.#letGoAt + TURN_MS - now);
    return Math.max(waitMs(this.#bucket, now), turn);
  }

  #letGo(): void {
    // Only under a rate: without one nothing is spent against, and nobody waits for a turn.
    if (this.#bucket.rate !== null) this.#letGoAt = this.#clock.now();
  }
}
