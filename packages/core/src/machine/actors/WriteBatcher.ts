/**
 * Gathers body chunks into writes of about `batchBytes`. Chunks belong to the consumer once the body yielded them
 * (HttpPort contract), so they are written as they are, never copied, when they arrive as adjacent views of one
 * buffer (a transport that reads the socket into large slots); small scattered chunks (a stream of separate
 * Buffers) are copied into one batch so that storage sees a few large writes rather than many small ones.
 */
export class WriteBatcher {
  readonly #batchBytes: number;
  /** Chunks waiting for a write, adjacent views merged. */
  #pieces: Uint8Array[] = [];
  #bytes = 0;
  readonly #copies: CopyBuffers;
  /** Gives the body's chunks back to the transport once they are copied or written (`HttpResponse.recycle`). */
  readonly #giveBack: (chunk: Uint8Array) => void;

  constructor(
    batchBytes: number,
    giveBack: (chunk: Uint8Array) => void = () => undefined,
    /** Where copy buffers come from: its own, or those the batchers of one run share. */
    copies: CopyBuffers = sharedCopyBuffers(2 * Math.max(1, batchBytes)),
  ) {
    this.#batchBytes = Math.max(1, batchBytes);
    this.#giveBack = giveBack;
    this.#copies = copies;
  }

  /**
   * Takes back a batch once storage is done with it: a copy's buffer serves a later batch, and chunks of the body
   * written as they were go back to the transport.
   */
  recycle(batch: Uint8Array): void {
    if (this.#copies.giveBack(batch)) return;
    if (batch.length > 0) this.#giveBack(batch);
  }

  /** Bytes gathered and not yet handed out. */
  get pending(): number {
    return this.#bytes;
  }

  /** Adds a chunk; returns the batches now ready to be written, in order. */
  add(chunk: Uint8Array): Uint8Array[] {
    if (chunk.length === 0) return [];
    const ready: Uint8Array[] = [];
    const last = this.#pieces.at(-1);
    if (last !== undefined && adjacent(last, chunk)) {
      this.#pieces[this.#pieces.length - 1] = new Uint8Array(
        last.buffer,
        last.byteOffset,
        last.length + chunk.length,
      );
    } else {
      // A large run of one buffer goes out as it is rather than being copied together with what follows.
      if (last !== undefined && last.length >= this.#batchBytes / 2) ready.push(this.take());
      this.#pieces.push(chunk);
    }
    this.#bytes += chunk.length;
    if (this.#bytes >= this.#batchBytes) ready.push(this.take());
    return ready;
  }

  /** Everything gathered, as one array (a view when it is one piece, else a copy); empty when nothing is. */
  take(): Uint8Array {
    const pieces = this.#pieces;
    const bytes = this.#bytes;
    this.#pieces = [];
    this.#bytes = 0;
    if (pieces.length <= 1) return pieces[0] ?? new Uint8Array(0);
    const batch = this.#copies.take(bytes);
    let at = 0;
    for (const piece of pieces) {
      batch.set(piece, at);
      at += piece.length;
      this.#giveBack(piece);
    }
    return batch;
  }
}

/**
 * Copy buffers kept for reuse, counted in buffers of the full capacity: as many as can be in flight behind the
 * network, and one being filled. Smaller buffers share that room, so the spares never hold more bytes than six full
 * ones.
 */
const SPARE_BUFFERS = 6;

/** The smallest copy buffer: sizes go up by doubling from here to the capacity. */
const SMALLEST_BUFFER = 64 * 1024;

/**
 * The buffers batches are copied into, back from storage and free again. Reused rather than allocated a MiB at a
 * time: a fresh buffer per batch made V8 collect garbage for a third of a 1 GiB download's time. The lanes of a
 * segmented run share one set (`capacity` each: a batch's worth plus one chunk), so that sixteen of them keep no
 * more spare copies than one does. A batch smaller than the capacity (the end of a body, a small file's whole body)
 * takes the smallest spare that holds it, else a new buffer of the next power of two from 64 KiB: sixteen small files
 * at once held 16 × 2 MiB for 256 KiB each.
 */
export class CopyBuffers {
  /** Spare buffers by size. */
  readonly #spare = new Map<number, Uint8Array[]>();
  /** The bytes of every spare buffer. */
  #spareBytes = 0;
  /** The buffers handed out, so that only those come back to `#spare`. */
  readonly #own = new WeakSet<ArrayBufferLike>();

  constructor(readonly capacity: number) {}

  /** A buffer of `bytes` to copy into. */
  take(bytes: number): Uint8Array {
    if (bytes > this.capacity) return new Uint8Array(bytes);
    const size = sizeFor(bytes, this.capacity);
    // The smallest spare that holds the batch: a fresh buffer only when none does.
    for (let spareSize = size; ; spareSize = Math.min(2 * spareSize, this.capacity)) {
      const buffer = this.#spare.get(spareSize)?.pop();
      if (buffer !== undefined) {
        this.#spareBytes -= spareSize;
        return buffer.subarray(0, bytes);
      }
      if (spareSize === this.capacity) break;
    }
    const buffer = new Uint8Array(size);
    this.#own.add(buffer.buffer);
    return buffer.subarray(0, bytes);
  }

  /** Takes back a batch written from one of these buffers; `false` when it is not one of them. */
  giveBack(batch: Uint8Array): boolean {
    if (!this.#own.has(batch.buffer)) return false;
    const size = batch.buffer.byteLength;
    if (this.#spareBytes + size > SPARE_BUFFERS * this.capacity) return true;
    const buffer = new Uint8Array(batch.buffer, 0, size);
    const spare = this.#spare.get(size);
    if (spare === undefined) this.#spare.set(size, [buffer]);
    else spare.push(buffer);
    this.#spareBytes += size;
    return true;
  }
}

/** The size of the buffer a copy of `bytes` takes: the next power of two from `SMALLEST_BUFFER`, at most `capacity`. */
const sizeFor = (bytes: number, capacity: number): number => {
  let size = SMALLEST_BUFFER;
  while (size < bytes) size *= 2;
  return Math.min(size, capacity);
};

/** The copy buffers of each capacity, shared by every download of the process (see `sharedCopyBuffers`). */
const shared = new Map<number, CopyBuffers>();

/**
 * The process's copy buffers of `capacity`: the downloads of a queue, one after another, reuse the spares of those
 * before them rather than allocate their own (a thousand small files each allocating two MiB kept V8 collecting
 * garbage for a fifth of a list's time, and the resident set over 160 MiB). A buffer is only ever in one batch at a
 * time, whoever took it, so sharing is safe; at most `SPARE_BUFFERS` stay spare per capacity.
 */
export const sharedCopyBuffers = (capacity: number): CopyBuffers => {
  let buffers = shared.get(capacity);
  if (buffers === undefined) {
    buffers = new CopyBuffers(capacity);
    shared.set(capacity, buffers);
  }
  return buffers;
};

const adjacent = (a: Uint8Array, b: Uint8Array): boolean =>
  a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset;
