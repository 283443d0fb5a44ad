/**
 * A growable byte array: writes past the end extend it (the gap reads as zeros), and capacity doubles so that a
 * download written chunk by chunk costs linear time, not quadratic.
 */
export class ByteBuffer {
  // Invariant: every byte of #data past #length is zero.
  #data: Uint8Array;
  #length = 0;

  constructor(initial?: Uint8Array) {
    this.#data = new Uint8Array(Math.max(16, initial?.length ?? 0));
    if (initial !== undefined) this.write(0, initial);
  }

  get length(): number {
    return this.#length;
  }

  write(offset: number, bytes: Uint8Array): void {
    const end = offset + bytes.length;
    this.#ensure(end);
    this.#data.set(bytes, offset);
    this.#length = Math.max(this.#length, end);
  }

  /** Shrinks or extends to `length`; bytes cut off are zeroed so a later extension reads zeros. */
  resize(length: number): void {
    if (length < this.#length) this.#data.fill(0, length, this.#length);
    else this.#ensure(length);
    this.#length = length;
  }

  /** A copy of `length` bytes at `offset`, fewer at the end. */
  read(offset: number, length: number): Uint8Array {
    const start = Math.min(offset, this.#length);
    return this.#data.slice(start, Math.min(this.#length, start + length));
  }

  /** A copy of the whole content. */
  bytes(): Uint8Array {
    return this.#data.slice(0, this.#length);
  }

  #ensure(length: number): void {
    if (length <= this.#data.length) return;
    let capacity = this.#data.length;
    while (capacity < length) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.#data.subarray(0, this.#length));
    this.#data = grown;
  }
}
