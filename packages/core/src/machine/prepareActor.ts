import * as E from 'fp-ts/lib/Either.js';
import { fromPromise } from 'xstate';
import { decodeCheckpoint } from '../checkpoint.js';
import type { CheckpointStore } from '../ports/CheckpointStore.js';
import type { StoragePort } from '../ports/StoragePort.js';
import type { PrepareInput, PrepareOutput } from './effects.js';
import type { DownloadSession } from './session.js';

export interface PrepareDeps {
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
}

/**
 * Opens and locks the part file first (R23: a second download of the target fails here, before it reads or
 * writes anything), then reads its size and the checkpoint. A checkpoint that does not decode is reported and
 * dropped (R22); the fresh start that follows replaces it.
 */
export const createPrepareActor = (deps: PrepareDeps) =>
  fromPromise<PrepareOutput, PrepareInput>(({ input }) => deps.session.track(prepare(deps, input.target)));

const prepare = async (deps: PrepareDeps, target: string): Promise<PrepareOutput> => {
  const opened = await deps.storage.open(target)();
  if (E.isLeft(opened)) return { _tag: 'Failed', failure: opened.left };
  // Kept at once, so that a pause or a failure from here on closes it (and releases the lock).
  deps.session.part = opened.right;
  const size = await opened.right.size()();
  if (E.isLeft(size)) return { _tag: 'Failed', failure: size.left };
  const loaded = await deps.checkpoints.load(target)();
  if (E.isLeft(loaded)) return { _tag: 'Failed', failure: loaded.left };
  if (loaded.right === null) return { _tag: 'Ready', checkpoint: null, partSize: size.right, notice: null };
  const decoded = decodeCheckpoint(loaded.right);
  if (E.isLeft(decoded)) {
    return {
      _tag: 'Ready',
      checkpoint: null,
      partSize: size.right,
      notice: {
        code: 'CHECKPOINT_INVALID',
        message: `the checkpoint was unreadable (${decoded.left}): starting afresh`,
      },
    };
  }
  return { _tag: 'Ready', checkpoint: decoded.right, partSize: size.right, notice: null };
};
