import type { Clock, TimerId } from '../../ports/Clock.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';
import type { CheckpointSaver } from './checkpointSaver.js';
import { WriteBatcher } from './WriteBatcher.js';
import { WriteBehind } from './WriteBehind.js';

/**
 * Where the body of one answer goes: chunks gathered into writes (`WriteBatcher`), written in order behind the
 * network (`WriteBehind`), and made durable at every checkpoint interval (`CheckpointSaver`, R20).
 *
 * A checkpoint tick is a timer as well as a chunk: bytes that came in a burst before the body went quiet become
 * durable one interval later, not when the stall timer ends the request (R20, R25). The timer writes only while the
 * reader waits for the network (`waiting`), so no batch the reader holds can be overtaken.
 */
export class BodySink {
  readonly #batcher: WriteBatcher;
  readonly #writer: WriteBehind;
  readonly #saver: CheckpointSaver;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #written: () => number;
  #waiting = false;
  #open = true;
  #tick: TimerId | null = null;

  constructor(input: {
    readonly part: PartFile;
    /** The first byte this answer writes. */
    readonly from: number;
    readonly batchBytes: number;
    readonly saver: CheckpointSaver;
    readonly clock: Clock;
    readonly intervalMs: number;
    /** Gives the body's chunks back to the transport once written or copied (`HttpResponse.recycle`). */
    readonly recycle: ((chunk: Uint8Array) => void) | undefined;
    /** Hears of the bytes written, in offset order: every byte before `at + bytes.length` is written. */
    readonly onWritten: (at: number, bytes: Uint8Array) => void;
    /** The end of the bytes written, as the caller keeps it (the save counts up to it). */
    readonly written: () => number;
  }) {
    this.#batcher = new WriteBatcher(input.batchBytes, input.recycle);
    this.#writer = new WriteBehind(input.part, input.from, 4 * input.batchBytes, (at, bytes) => {
      input.onWritten(at, bytes);
      this.#batcher.recycle(bytes);
    });
    this.#saver = input.saver;
    this.#clock = input.clock;
    this.#intervalMs = input.intervalMs;
    this.#written = input.written;
  }

  /** The end of the bytes that arrived: written, queued, or gathered. */
  get received(): number {
    return this.#writer.queued + this.#batcher.pending;
  }

  /** What failed a write or a save, if anything did: the reader stops at its next chunk. */
  get failure(): StorageFailure | null {
    return this.#writer.failure ?? this.#saver.failure;
  }

  /** Whether the reader waits for the network now (while it does, a tick may write what was gathered). */
  set waiting(value: boolean) {
    this.#waiting = value;
  }

  /** Takes a chunk: gathered, and written as batches fill; resolves once the writes queued are few enough. */
  async add(chunk: Uint8Array): Promise<void> {
    for (const batch of this.#batcher.add(chunk)) await this.#writer.push(batch);
    if (this.#saver.due) {
      // What a slow link brought since the last tick is written too, so that it becomes durable.
      await this.#writer.push(this.#batcher.take());
      this.#saver.saveBehind(this.#written);
    } else this.#armTick();
  }

  /** The body is over: every byte gathered is written, then flushed and counted by the last save (R20). */
  async close(): Promise<StorageFailure | null> {
    this.#open = false;
    if (this.#tick !== null) this.#clock.clearTimeout(this.#tick);
    this.#tick = null;
    await this.#writer.push(this.#batcher.take());
    await this.#writer.drain();
    await this.#saver.settle();
    const saved = await this.#saver.save(this.#written);
    return this.failure ?? saved;
  }

  #armTick(): void {
    if (this.#tick !== null) return;
    this.#tick = this.#clock.setTimeout(() => {
      this.#tick = null;
      if (!this.#waiting || !this.#open) return;
      if (!this.#saver.due) {
        this.#armTick();
        return;
      }
      // Queued now, while no batch of the reader's is pending; saved once written, so that the save counts it.
      void this.#writer
        .push(this.#batcher.take())
        .then(() => this.#writer.drain())
        .then(() => {
          // The request's own last save follows its end (`close`): none may start after it.
          if (this.#open) this.#saver.saveBehind(this.#written);
        });
    }, this.#intervalMs);
  }
}
