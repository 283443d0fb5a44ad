/** What the pool knows of one slot. */
interface SlotState {
  /** Body bytes of the slot lent to a reader (queued or yielded) and not given back. */
  lent: number;
  /** No connection reads into it any more. */
  retired: boolean;
  /** More was given back than lent: the reader broke the contract, so the slot is never trusted again. */
  spoiled: boolean;
}

/** Slots kept for reuse: a download keeps about `maxQueuedBytes` plus core's write-behind in flight. */
const MAX_SPARE_SLOTS = 256;

/**
 * The receive slots of one `NodeHttp`, lent to readers and taken back (`HttpResponse.recycle`). A slot is read into
 * by one connection until its free tail is short (then `retire`d); each range of body bytes in it is `lend`ed
 * when the connection queues it for the reader, and comes back through `giveBack`, when the reader is done with
 * it, or when the body drops it unread. A retired slot whose every lent byte came back is reused for later reads
 * rather than left to the garbage collector: a fresh MiB per MiB received made V8 and malloc hold 140+ MiB at
 * loopback speed. A slot whose bytes are never given back is simply collected.
 */
export class SlotPool {
  /**
   * Keyed by the slot's memory, and nothing in a state points back at it: a WeakMap value that refers to its key
   * keeps it from minor collections (1 GiB read without giving back peaked at 150 MiB RSS that way, 73 without).
   */
  readonly #states = new WeakMap<ArrayBufferLike, SlotState>();
  readonly #spare: Buffer[] = [];

  constructor(private readonly slotBytes: number) {}

  /** A slot to read into: one given back, else a fresh one. */
  take(): Buffer {
    let slot = this.#spare.pop();
    slot ??= Buffer.allocUnsafeSlow(this.slotBytes);
    this.#states.set(slot.buffer, { lent: 0, retired: false, spoiled: false });
    return slot;
  }

  /** `bytes` of `slot` are the reader's until given back. */
  lend(slot: Buffer, bytes: number): void {
    const state = this.#states.get(slot.buffer);
    if (state !== undefined) state.lent += bytes;
  }

  /** No connection will read into `slot` again. */
  retire(slot: Buffer): void {
    const state = this.#states.get(slot.buffer);
    if (state === undefined) return;
    state.retired = true;
    this.#reuseIfFree(slot.buffer, state);
  }

  /** The reader is done with `view` (of a slot, or not: anything else is ignored) and never reads it again. */
  giveBack(view: Uint8Array): void {
    const state = this.#states.get(view.buffer);
    if (state === undefined || view.byteLength === 0) return;
    state.lent -= view.byteLength;
    if (state.lent < 0) state.spoiled = true;
    this.#reuseIfFree(view.buffer, state);
  }

  #reuseIfFree(memory: ArrayBufferLike, state: SlotState): void {
    if (!state.retired || state.lent !== 0 || state.spoiled) return;
    this.#states.delete(memory);
    if (this.#spare.length < MAX_SPARE_SLOTS) this.#spare.push(Buffer.from(memory, 0, this.slotBytes));
  }
}
