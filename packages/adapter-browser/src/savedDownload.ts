import { committedPrefix, decodeCheckpoint } from '@rdl/core/rules';
import { IdbCheckpointStore, type IdbCheckpointStoreOptions } from './IdbCheckpointStore.js';
import { opfsRoot, PART_SUFFIX, resolveTarget } from './opfsPaths.js';

/** What is saved of a download that has not finished. */
export interface SavedDownload {
  /** Bytes from byte 0 kept in OPFS and counted by the checkpoint: where `start()` goes on from. */
  readonly bytes: number;
  /** The file's total, `null` when the server did not say. */
  readonly total: number | null;
}

const partSize = async (target: string): Promise<number | null> => {
  try {
    const { directory, name } = await resolveTarget(await opfsRoot(), target, false);
    return (await (await directory.getFileHandle(`${name}${PART_SUFFIX}`)).getFile()).size;
  } catch {
    return null;
  }
};

/**
 * What a page reloaded (or a tab reopened) finds of the download `target`: the bytes its checkpoint counts that
 * the part file in OPFS really holds (the offset a new `start()` resumes from, R21) and the total. `null` when
 * nothing is saved: no checkpoint, one that does not decode, or no part file. It only reads, and takes no lock, so it
 * may run while another tab downloads the target. `options` name the checkpoint database, as for
 * `IdbCheckpointStore` (default `'rdl'`).
 */
export const savedDownload = async (
  target: string,
  options: IdbCheckpointStoreOptions = {},
): Promise<SavedDownload | null> => {
  const loaded = await new IdbCheckpointStore(options).load(target)();
  if (loaded._tag === 'Left' || loaded.right === null) return null;
  const checkpoint = decodeCheckpoint(loaded.right);
  if (checkpoint._tag === 'Left') return null;
  const size = await partSize(target);
  if (size === null) return null;
  return { bytes: Math.min(committedPrefix(checkpoint.right), size), total: checkpoint.right.totalLength };
};
