import * as E from 'fp-ts/lib/Either.js';
import type { ByteRange, Checkpoint } from '../../model/checkpoint.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { Clock } from '../../ports/Clock.js';
import type { PartFile, StorageFailure } from '../../ports/StoragePort.js';
import { coveredBytes } from '../../rules/byteRanges.js';
import { committedPrefix, encodeCheckpoint, withBytes } from '../../rules/checkpointCodec.js';

/**
 * The checkpoint of one data request (or of the segments of one run), saved in the order R20 asks: the part file
 * flushed first, then the checkpoint that counts only bytes written before that flush began. It saves at most one at
 * a time: in the background while bytes arrive (the network does not wait for the flush), and once more at the end.
 * What a save adds is `written()`, the ranges whose writes completed, read when the save begins. Each saved
 * checkpoint is told to `onSaved`.
 */
export class CheckpointSaver {
  readonly #part: PartFile;
  readonly #store: CheckpointStore;
  readonly #clock: Clock;
  readonly #target: string;
  readonly #intervalMs: number;
  readonly #onSaved: (checkpoint: Checkpoint) => void;
  #checkpoint: Checkpoint;
  /** The bytes the last saved checkpoint counts. */
  #saved: number;
  /** Whether storage holds `#checkpoint`'s version: not after a fresh start that has not saved yet (`keepOnly`). */
  #stored = true;
  #lastSaveAt: number;
  /** The save running in the background, if one is. */
  #running: Promise<void> | null = null;
  /** Why a background save failed: the request ends at the next chunk. */
  #failure: StorageFailure | null = null;

  constructor(input: {
    readonly part: PartFile;
    readonly store: CheckpointStore;
    readonly clock: Clock;
    readonly target: string;
    readonly intervalMs: number;
    readonly checkpoint: Checkpoint;
    readonly onSaved: (checkpoint: Checkpoint) => void;
  }) {
    this.#part = input.part;
    this.#store = input.store;
    this.#clock = input.clock;
    this.#target = input.target;
    this.#intervalMs = input.intervalMs;
    this.#onSaved = input.onSaved;
    this.#checkpoint = input.checkpoint;
    this.#saved = coveredBytes(input.checkpoint.ranges);
    this.#lastSaveAt = input.clock.now();
  }

  /** The checkpoint saved last (or the one the request began with). */
  get checkpoint(): Checkpoint {
    return this.#checkpoint;
  }

  /** Whether `checkpoint` is the one on storage: not before a fresh start's first save, nor after a skipped last. */
  get stored(): boolean {
    return this.#stored;
  }

  get failure(): StorageFailure | null {
    return this.#failure;
  }

  /** A first answer names the version and length the bytes belong to (before any is counted). */
  name(checkpoint: Checkpoint): void {
    this.#checkpoint = checkpoint;
  }

  /**
   * Makes the checkpoint count only `ranges` before a byte is written outside them (R20, R21): a fresh start (none)
   * durably forgets the old version, a single stream the ranges past its prefix that a segmented run left (the part
   * file is cut there). Saved only when that changes what it counts, and for a fresh start over a checkpoint on
   * storage that counts bytes (`storedBytes`): one that counts none (or none at all) trusts no byte of the part file
   * already (R21, R22), so the new version's bytes may be written before its first checkpoint, which the first save
   * writes. A small file then saves one checkpoint, not two.
   */
  async keepOnly(ranges: readonly ByteRange[], storedBytes: number): Promise<StorageFailure | null> {
    const kept = ranges.map(([start, end]): ByteRange => [start, end]);
    const same =
      this.#checkpoint.ranges.length === kept.length &&
      this.#checkpoint.ranges.every((range, i) => range[0] === kept[i]?.[0] && range[1] === kept[i]?.[1]);
    this.#checkpoint = { ...this.#checkpoint, ranges: kept };
    this.#saved = coveredBytes(kept);
    if (kept.length > 0 ? same : storedBytes === 0) {
      this.#stored = kept.length > 0;
      return null;
    }
    const saved = await this.#store.save(this.#target, encodeCheckpoint(this.#checkpoint))();
    return E.isLeft(saved) ? saved.left : null;
  }

  /** Whether a background save is due: `intervalMs` since the last one, and none running. */
  get due(): boolean {
    return this.#running === null && this.#clock.now() - this.#lastSaveAt >= this.#intervalMs;
  }

  /** Starts a save of the bytes `written()` in the background. */
  saveBehind(written: () => readonly ByteRange[]): void {
    if (this.#running !== null) return;
    this.#running = this.save(written).then((failure) => {
      this.#failure ??= failure;
      this.#running = null;
    });
  }

  /** Waits for the background save, if one runs. */
  async settle(): Promise<void> {
    await this.#running;
  }

  /**
   * The last save of a request, once its body is over. When it would count every byte of a known total and storage
   * holds no checkpoint of this version yet (a fresh start done within its first `intervalMs`: a small file),
   * nothing is written: the commit that follows flushes the part file before its rename (R19, R20), and a kill
   * before the rename leaves a part file that no checkpoint counts, which the next start does not trust (R21) and
   * fetches again. Such a file costs no checkpoint at all: no write, no flush before it, no removal. Otherwise as
   * `save`.
   */
  async saveLast(written: () => readonly ByteRange[]): Promise<StorageFailure | null> {
    if (!this.#stored) {
      const checkpoint = written().reduce<Checkpoint>((c, range) => withBytes(c, range), this.#checkpoint);
      const total = checkpoint.totalLength;
      if (total !== null && total > 0 && committedPrefix(checkpoint) === total) {
        this.#checkpoint = checkpoint;
        this.#saved = coveredBytes(checkpoint.ranges);
        return null;
      }
    }
    return this.save(written);
  }

  /**
   * Flushes, then saves the checkpoint that counts the bytes written before the flush began: writes that complete
   * during the flush are counted by the next one. `null` when it worked.
   */
  async save(written: () => readonly ByteRange[]): Promise<StorageFailure | null> {
    this.#lastSaveAt = this.#clock.now();
    const checkpoint = written().reduce<Checkpoint>((c, range) => withBytes(c, range), this.#checkpoint);
    const counted = coveredBytes(checkpoint.ranges);
    // Nothing new to count: saved only when storage has no checkpoint of this version yet (a pause before the first
    // byte still leaves one, R24).
    if (counted === this.#saved && this.#stored) return null;
    const flushed = await this.#part.flush()();
    if (E.isLeft(flushed)) return flushed.left;
    const saved = await this.#store.save(this.#target, encodeCheckpoint(checkpoint))();
    if (E.isLeft(saved)) return saved.left;
    this.#checkpoint = checkpoint;
    this.#saved = counted;
    this.#stored = true;
    this.#onSaved(checkpoint);
    return null;
  }
}
