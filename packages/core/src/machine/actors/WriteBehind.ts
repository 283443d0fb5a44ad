import * as E from 'fp-ts/lib/Either.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';

/** A batch on its way to storage. */
interface PendingWrite {
  readonly at: number;
  readonly bytes: Uint8Array;
  state: 'queued' | 'running' | 'written' | 'failed';
  /** Resolves once the write completed, failed, or will never run (a write before it failed). */
  readonly finished: Promise<void>;
  readonly finish: () => void;
}

/**
 * Writes batches to the part file while the body goes on arriving: the network never waits for the disk unless
 * more than `maxAheadBytes` are queued. Up to `parallel` writes run at once, so that the next one is already with
 * the file system when one completes, rather than a round trip through the event loop later. `written` only moves
 * over a prefix of completed writes: every byte before it is written, which is what a flush may make durable and
 * a checkpoint count (R20); `onWritten` hears of the batches in offset order. The first failure stops every write
 * not yet started and is kept in `failure`.
 */
export class WriteBehind {
  readonly #part: PartFile;
  readonly #maxAhead: number;
  readonly #parallel: number;
  readonly #onWritten: (offset: number, bytes: Uint8Array) => void;
  /** Writes not yet counted in `written`, in offset order. */
  readonly #pending: PendingWrite[] = [];
  #running = 0;
  #queued: number;
  #written: number;
  #failure: StorageFailure | null = null;

  constructor(
    part: PartFile,
    offset: number,
    maxAheadBytes: number,
    onWritten: (offset: number, bytes: Uint8Array) => void,
    parallel = 2,
  ) {
    this.#part = part;
    this.#queued = offset;
    this.#written = offset;
    this.#maxAhead = maxAheadBytes;
    this.#parallel = Math.max(1, parallel);
    this.#onWritten = onWritten;
  }

  /** The end of the bytes handed to the writer. */
  get queued(): number {
    return this.#queued;
  }

  /** The end of the bytes written, every byte before it included. */
  get written(): number {
    return this.#written;
  }

  get failure(): StorageFailure | null {
    return this.#failure;
  }

  /** Queues `bytes` right after the bytes queued before; resolves once the queue is short enough to go on. */
  async push(bytes: Uint8Array): Promise<void> {
    if (bytes.length === 0 || this.#failure !== null) return;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    this.#pending.push({ at: this.#queued, bytes, state: 'queued', finished, finish });
    this.#queued += bytes.length;
    this.#startWrites();
    while (this.#queued - this.#written > this.#maxAhead && this.#failure === null) {
      const oldest = this.#pending[0];
      if (oldest === undefined) return;
      await oldest.finished;
    }
  }

  /** Resolves once no write runs and none will start. */
  async drain(): Promise<void> {
    await Promise.all(this.#pending.map((write) => write.finished));
  }

  #startWrites(): void {
    for (const write of this.#pending) {
      if (this.#running >= this.#parallel) return;
      if (write.state === 'queued') void this.#run(write);
    }
  }

  async #run(write: PendingWrite): Promise<void> {
    write.state = 'running';
    this.#running += 1;
    const result = await this.#part.write(write.at, write.bytes)();
    this.#running -= 1;
    if (E.isLeft(result)) {
      write.state = 'failed';
      this.#failure ??= result.left;
      // Writes not started never will be: they are finished as far as anyone waiting is concerned.
      for (const other of this.#pending) if (other.state === 'queued') other.finish();
    } else {
      write.state = 'written';
    }
    write.finish();
    this.#countWritten();
    if (this.#failure === null) this.#startWrites();
  }

  /** Moves `written` over the completed writes at the front, in order. */
  #countWritten(): void {
    for (let first = this.#pending[0]; first?.state === 'written'; first = this.#pending[0]) {
      this.#pending.shift();
      this.#written = first.at + first.bytes.length;
      this.#onWritten(first.at, first.bytes);
    }
  }
}
