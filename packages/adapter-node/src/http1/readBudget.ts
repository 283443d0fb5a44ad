/**
 * The bytes of response bodies received and not yet taken by their readers, over every connection of one
 * `NodeHttp`: one budget for all, so that sixteen connections of a segmented download (or the downloads of a queue)
 * hold no more in memory than a few do. Over the budget, a connection reads on only while its reader has taken
 * everything it queued: each keeps at most one read ahead, and none starves.
 */
export class ReadBudget {
  #queued = 0;

  constructor(readonly limit: number) {}

  /** Bytes queued over all bodies now. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the bodies together hold the budget or more. */
  get spent(): boolean {
    return this.#queued >= this.limit;
  }

  /** `bytes` more were queued (negative: taken or dropped). */
  add(bytes: number): void {
    this.#queued = Math.max(0, this.#queued + bytes);
  }
}
