import type { AbortSignalLike } from '@rdl/core';
import type { ReadBudget } from './readBudget.js';
import type { SlotPool } from './slotPool.js';

/** The connection behind a `ResponseBody`. */
export interface BodySource {
  /** The reader took bytes: `queued` are left. The source reads on if it had paused. */
  drained(queued: number): void;
  /** The body was let go or aborted before its end: the connection must close. */
  cancel(): void;
}

/** Body bytes received and not yet handed out: `slot[from, to)`. */
interface Segment {
  readonly slot: Buffer;
  readonly from: number;
  to: number;
}

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

const abortError = (): Error => Object.assign(new Error('the request was aborted'), { name: 'AbortError' });

/**
 * A response body as an async iterator of views into the connection's slots (no copy). The connection `push`es
 * each range of body bytes where it landed; ranges that touch in the same slot merge, so one `next()` yields every
 * byte received in that slot since the previous one: a reader slower than the network gets bigger chunks, and two
 * chunks in a row from one slot are adjacent views of the same memory, which a writer can coalesce. Pushed bytes
 * are lent from the `SlotPool`: never written again until the reader gives them back (`HttpResponse.recycle`), or
 * the body drops them unread when it closes early.
 *
 * Bytes received before a cut are yielded before the cut's error (R26). After an abort nothing more is yielded and
 * `next()` rejects with an `AbortError`. `return()` before the end cancels the source (the socket is closed).
 */
export class ResponseBody implements AsyncIterableIterator<Uint8Array> {
  readonly #segments: Segment[] = [];
  #queued = 0;
  #complete = false;
  #failure: Error | null = null;
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #onAbort = (): void => {
    if (!this.#complete) this.source.cancel();
    this.#notify();
  };

  constructor(
    private readonly signal: AbortSignalLike,
    private readonly source: BodySource,
    private readonly slots: SlotPool,
    /** Counts the bytes this body queues, with every other body's of the same transport. */
    private readonly budget: ReadBudget,
  ) {
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Bytes received and not yet yielded. */
  get queued(): number {
    return this.#queued;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Body bytes just received in `slot[from, to)`. */
  push(slot: Buffer, from: number, to: number): void {
    if (to <= from || this.#closed) return;
    this.slots.lend(slot, to - from);
    const last = this.#segments.at(-1);
    if (last !== undefined && last.slot === slot && last.to === from) last.to = to;
    else this.#segments.push({ slot, from, to });
    this.#queued += to - from;
    this.budget.add(to - from);
    this.#notify();
  }

  /** Every byte of the body was received. */
  complete(): void {
    this.#complete = true;
    // Nothing is left to cancel, and `next()` looks at the signal itself: the listener has no more use.
    this.signal.removeEventListener('abort', this.#onAbort);
    this.#notify();
  }

  /** The body cannot go on: after the bytes already received, `next()` rejects with `error`. */
  fail(error: Error): void {
    this.#failure ??= error;
    this.#notify();
  }

  async next(): Promise<IteratorResult<Uint8Array, undefined>> {
    for (;;) {
      if (this.#closed) return done;
      if (this.signal.aborted) {
        this.#close();
        throw abortError();
      }
      const segment = this.#segments.shift();
      if (segment !== undefined) {
        this.#queued -= segment.to - segment.from;
        this.budget.add(-(segment.to - segment.from));
        this.source.drained(this.#queued);
        return { done: false, value: segment.slot.subarray(segment.from, segment.to) };
      }
      if (this.#complete) return this.#close();
      if (this.#failure !== null) {
        this.#close();
        throw this.#failure;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<Uint8Array, undefined>> {
    if (!this.#closed && !this.#complete) this.source.cancel();
    return this.#close();
  }

  #close(): IteratorReturnResult<undefined> {
    this.#closed = true;
    // Bytes no one will read go back at once.
    for (const { slot, from, to } of this.#segments) this.slots.giveBack(slot.subarray(from, to));
    this.#segments.length = 0;
    this.budget.add(-this.#queued);
    this.#queued = 0;
    this.signal.removeEventListener('abort', this.#onAbort);
    this.#notify();
    return done;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}
