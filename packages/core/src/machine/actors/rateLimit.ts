import type { AbortSignalLike } from '../../ports/abort.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import { bucketAt, spend, type TokenBucket, waitMs, withRate } from '../../rules/tokenBucket.js';

/**
 * What a reader let go by `ready()` says once its read came back: the bytes it brought (0 when none came, the body
 * ended or failed). Told once; a second call does nothing.
 */
export type Settle = (bytes: number) => void;

const settled: Settle = () => undefined;

/** What a read is taken to bring before it has: at first, then the recent reads' sizes (an average). */
const FIRST_ESTIMATE_BYTES = 64 * 1024;

/**
 * One rate limit (R44) over every request that reads through it: the connections of one download, and the
 * downloads of whatever shares it. It is applied by backpressure: a request asks `ready()` before it reads its
 * body's next bytes, so while the bucket is in debt nobody reads, the transport's buffer fills, it stops reading its
 * socket and the TCP window closes; the server slows down instead of the bytes piling up here.
 *
 * A reader let go is charged at once what a read is expected to bring (`#estimate`, the recent reads' average), and
 * the difference once it says what came (`Settle`): readers let go together never read on the same tokens. Charged
 * only after their reads, sixteen connections of 256 KiB reads each went at once on a 100 KB/s limit's tokens and
 * read 4 MiB in its first second, the more the slower their server's first bytes.
 *
 * While it is in debt the readers wait in line, first come first served: once the bucket holds tokens again the
 * first goes, charged, and the next when the bucket holds tokens again. Each waiting with its own timer, the one
 * whose read came at once was back in debt and first to wait again before the others looked, and took turn after
 * turn: a list under one `--limit-rate` had a download get nothing for seconds while another got the whole limit.
 */
export class RateLimit {
  readonly #clock: Clock;
  #bucket: TokenBucket;
  /** The readers waiting for tokens, in the order they came. */
  readonly #line: ((settle: Settle) => void)[] = [];
  /** When the line is looked at next, `null` when no look is due. */
  #timer: TimerId | null = null;
  /** The limit over this one and others (a queue's, over its downloads'): a read goes once both allow it. */
  readonly #parent: RateLimit | null;
  /** What the next read is charged before it comes back. */
  #estimate = FIRST_ESTIMATE_BYTES;

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

  /** A read that was not let go by `ready()` (begun before a limit was set) brought `bytes`. */
  spend(bytes: number): void {
    this.#parent?.spend(bytes);
    if (this.#bucket.rate !== null) this.#bucket = spend(this.#bucket, this.#clock.now(), bytes);
    if (this.#line.length > 0) this.#look();
  }

  /**
   * Resolves once a read may go (at once while the bucket holds tokens), charged, with what the reader tells once
   * its read came back; or once `signal` aborts, charged nothing.
   */
  async ready(signal: AbortSignalLike): Promise<Settle> {
    const own = await this.#own(signal);
    // Only this limit charges between the two waits: waiting on the parent leaves this one's tokens as they were.
    const parent = this.#parent === null ? settled : await this.#parent.ready(signal);
    return (bytes) => {
      own(bytes);
      parent(bytes);
    };
  }

  async #own(signal: AbortSignalLike): Promise<Settle> {
    if (signal.aborted) return settled;
    if (this.#line.length === 0 && waitMs(this.#bucket, this.#clock.now()) === 0) return this.#charge();
    return new Promise<Settle>((resolve) => {
      const go = (settle: Settle): void => {
        signal.removeEventListener('abort', quit);
        resolve(settle);
      };
      const quit = (): void => {
        const at = this.#line.indexOf(go);
        if (at >= 0) this.#line.splice(at, 1);
        resolve(settled);
        this.#look();
      };
      signal.addEventListener('abort', quit, { once: true });
      this.#line.push(go);
      this.#look();
    });
  }

  /** A read charged what it is expected to bring; its `Settle` charges the difference (or gives back the rest). */
  #charge(): Settle {
    if (this.#bucket.rate === null) return settled;
    const charged = this.#estimate;
    this.#bucket = spend(this.#bucket, this.#clock.now(), charged);
    let open = true;
    return (bytes) => {
      if (!open) return;
      open = false;
      if (bytes > 0) this.#estimate = Math.max(1, Math.round(this.#estimate * 0.75 + bytes * 0.25));
      // Against the bucket as it is now: a limit changed or lifted meanwhile is the one the difference counts in.
      if (this.#bucket.rate !== null) this.#bucket = spend(this.#bucket, this.#clock.now(), bytes - charged);
      if (this.#line.length > 0) this.#look();
    };
  }

  /**
   * Lets the first reader in line go, charged, when the bucket holds tokens (every one, uncharged, when the limit is
   * lifted), else looks again when it will.
   */
  #look(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#bucket.rate === null) {
      for (const go of this.#line.splice(0)) go(settled);
      return;
    }
    const first = this.#line[0];
    if (first === undefined) return;
    if (waitMs(this.#bucket, this.#clock.now()) === 0) {
      this.#line.shift();
      first(this.#charge());
    }
    if (this.#line.length === 0) return;
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = null;
        this.#look();
      },
      Math.max(1, waitMs(this.#bucket, this.#clock.now())),
    );
  }
}
