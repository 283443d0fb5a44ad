import type { Checkpoint } from '../model/checkpoint.js';
import { committedPrefix } from './checkpointCodec.js';
import { compareCheckpointUrl } from './checkpointUrl.js';

/** What a start finds on storage before it asks the network anything, and the URL it was asked to fetch. */
export interface LocalFacts {
  /** The caller's URL (`options.url`): the checkpoint must name it (R34). */
  readonly url: string;
  /** The stored checkpoint, decoded (R22); `null` when there was none or it could not be decoded. */
  readonly checkpoint: Checkpoint | null;
  /** The size of `<target>.part` as opened (an open creates a missing one empty, so missing reads as 0). */
  readonly partSize: number;
  /** The size of the finished file `<target>`, `null` when there is none. */
  readonly targetSize: number | null;
}

/**
 * Whether the download is already finished: the previous run was killed after the atomic rename but before the
 * checkpoint's removal (R19), so the checkpoint names the caller's URL (`compareCheckpointUrl` is `same`; R34: a checkpoint of another URL says nothing
 * of this one, however well its size matches), counts every byte of a known total, the part file is gone (or
 * empty) and `<target>` has exactly that size. Then nothing is fetched: the target is checked and adopted.
 *
 * A total of 0 never qualifies: an empty part file is then also the state of a zero-length download that had not
 * committed yet, and the probe settles it without a data request anyway (R14). Anything else (no target, another
 * size, bytes in the part file) is not a finished download and starts as usual (R21).
 */
export const isFinishedTarget = (facts: LocalFacts): boolean => {
  const { url, checkpoint, partSize, targetSize } = facts;
  // A URL that differs in its query could name another object; with no request, nothing proves it does not.
  if (checkpoint === null || compareCheckpointUrl(checkpoint.url, url) !== 'same') return false;
  if (checkpoint.totalLength === null || checkpoint.totalLength === 0) return false;
  return (
    committedPrefix(checkpoint) === checkpoint.totalLength &&
    partSize === 0 &&
    targetSize === checkpoint.totalLength
  );
};

/**
 * Whether a file about to take its name has a checkpoint that would make a kill after the rename safe only if it
 * were somewhere durable: it counts every byte of a known total (what `isFinishedTarget` asks) and storage holds
 * fewer (a small file saves none, `CheckpointSaver.saveLast`). A queue then keeps it in its journal (R45).
 */
export const isUnsavedWhole = (
  checkpoint: Checkpoint | null,
  durableBytes: number,
): checkpoint is Checkpoint =>
  checkpoint !== null &&
  checkpoint.totalLength !== null &&
  checkpoint.totalLength > 0 &&
  committedPrefix(checkpoint) === checkpoint.totalLength &&
  durableBytes < checkpoint.totalLength;
