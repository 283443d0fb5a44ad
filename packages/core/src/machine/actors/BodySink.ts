import type { ByteRange } from '../../model/checkpoint.js';
import type { Clock, TimerId } from '../../ports/Clock.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';
import type { CheckpointSaver } from './checkpointSaver.js';
import { type CopyBuffers, WriteBatcher } from './WriteBatcher.js';
import { WriteBehind } from './WriteBehind.js';

/**
 * How a sink makes its bytes durable: its saver and how often. A lane has no saver of its own (`saver: null`: its
 * run saves for all its lanes): it writes what it gathered at each interval, so that the run's next save counts it
 * whatever the link's speed, where a batch could take a slow connection a long time to fill.
 */
export interface SinkSaving {
  readonly saver: CheckpointSaver | null;
  readonly clock: Clock;
  readonly intervalMs: number;
}

/**
 * Where the body of one answer goes: chunks gathered into writes (`WriteBatcher`), written in order behind the
 * network (`WriteBehind`) from `from` on, and, with `saving`, made durable at every checkpoint interval
 * (`CheckpointSaver`, R20), or, for a lane (`saving.saver` null), written at every interval for its run to count.
 *
 * A checkpoint tick is a timer as well as a chunk: bytes that came in a burst before the body went quiet become
 * durable one interval later, not when the stall timer ends the request (R20, R25). The timer writes only while the
 * reader waits for the network (`waiting`), so no batch the reader holds can be overtaken.
 */
export class BodySink {
  readonly #from: number;
  readonly #batcher: WriteBatcher;
  readonly #writer: WriteBehind;
  readonly #saving: SinkSaving | null;
  #written: number;
  #waiting = false;
  #open = true;
  #tick: TimerId | null = null;

  constructor(input: {
    readonly part: PartFile;
    /** The first byte this answer writes. */
    readonly from: number;
    readonly batchBytes: number;
    /** Bytes queued for writes before the reader waits for the disk. */
    readonly maxAheadBytes: number;
    readonly saving: SinkSaving | null;
    /** Gives the body's chunks back to the transport once written or copied (`HttpResponse.recycle`). */
    readonly recycle: ((chunk: Uint8Array) => void) | undefined;
    /** Copy buffers shared with other sinks (the lanes of a run). Default: its own. */
    readonly copies?: CopyBuffers;
    /** Hears of the bytes written, in offset order: every byte before `at + bytes.length` is written. */
    readonly onWritten?: (at: number, bytes: Uint8Array) => void;
  }) {
    this.#from = input.from;
    this.#written = input.from;
    this.#batcher = new WriteBatcher(input.batchBytes, input.recycle, input.copies);
    this.#writer = new WriteBehind(input.part, input.from, input.maxAheadBytes, (at, bytes) => {
      this.#written = at + bytes.length;
      input.onWritten?.(at, bytes);
      this.#batcher.recycle(bytes);
    });
    this.#saving = input.saving;
  }

  /** The end of the bytes that arrived: written, queued, or gathered. */
  get received(): number {
    return this.#writer.queued + this.#batcher.pending;
  }

  /** The end of the bytes written, every byte from `from` included. */
  get written(): number {
    return this.#written;
  }

  /** The range written so far. */
  get writtenRange(): ByteRange {
    return [this.#from, this.#written];
  }

  /** What failed a write or a save, if anything did: the reader stops at its next chunk. */
  get failure(): StorageFailure | null {
    return this.#writer.failure ?? this.#saving?.saver?.failure ?? null;
  }

  /** Whether the reader waits for the network now (while it does, a tick may write what was gathered). */
  set waiting(value: boolean) {
    this.#waiting = value;
  }

  /** Takes a chunk: gathered, and written as batches fill; resolves once the writes queued are few enough. */
  async add(chunk: Uint8Array): Promise<void> {
    for (const batch of this.#batcher.add(chunk)) await this.#writer.push(batch);
    const saving = this.#saving;
    if (saving === null) return;
    const { saver } = saving;
    if (saver?.due === true) {
      // What a slow link brought since the last tick is written too, so that it becomes durable.
      await this.#writer.push(this.#batcher.take());
      saver.saveBehind(() => [this.writtenRange]);
    } else this.#armTick(saving);
  }

  /**
   * The body is over: every byte gathered is written; with a saver, then flushed and counted by the last save
   * (R20). Resolves what failed, if anything did.
   */
  async close(): Promise<StorageFailure | null> {
    this.#open = false;
    if (this.#tick !== null) this.#saving?.clock.clearTimeout(this.#tick);
    this.#tick = null;
    await this.#writer.push(this.#batcher.take());
    await this.#writer.drain();
    const saver = this.#saving?.saver ?? null;
    if (saver === null) return this.failure;
    await saver.settle();
    const saved = await saver.saveLast(() => [this.writtenRange]);
    return this.failure ?? saved;
  }

  /** Makes what the reader gathered durable, once it is written (never while the reader holds a batch). */
  flushGathered(): Promise<void> {
    return this.#writer.push(this.#batcher.take()).then(() => this.#writer.drain());
  }

  #armTick(saving: SinkSaving): void {
    if (this.#tick !== null) return;
    this.#tick = saving.clock.setTimeout(() => {
      this.#tick = null;
      if (!this.#waiting || !this.#open) return;
      const { saver } = saving;
      if (saver === null) {
        // A lane's: written now, while no batch of the reader's is pending; its run's next save counts it.
        void this.flushGathered();
        return;
      }
      if (!saver.due) {
        this.#armTick(saving);
        return;
      }
      // Queued now, while no batch of the reader's is pending; saved once written, so that the save counts it.
      void this.flushGathered().then(() => {
        // The request's own last save follows its end (`close`): none may start after it.
        if (this.#open) saver.saveBehind(() => [this.writtenRange]);
      });
    }, saving.intervalMs);
  }

  /** Whether the reader is waiting for the network now, and the sink takes no more bytes from it. */
  get idle(): boolean {
    return this.#waiting && this.#open;
  }
}
