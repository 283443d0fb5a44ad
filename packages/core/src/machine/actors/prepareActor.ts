import * as E from 'fp-ts/lib/Either.js';
import { describeFailure } from '../../model/failure.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { StoragePort } from '../../ports/StoragePort.js';
import { decodeCheckpoint } from '../../rules/checkpointCodec.js';
import type { PrepareInput, PrepareOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import type { DownloadSession } from './session.js';

export interface PrepareDeps {
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
}

/**
 * Opens and locks the part file first (R23: a second download of the target fails here, before it reads or
 * writes anything), then reads its size, the checkpoint and, when there is one, the size of the finished target
 * (the machine asks `isFinishedTarget` whether a killed run already committed it, R19, R21; a fresh download, with no
 * checkpoint, has nothing to adopt and costs no look at its target). A checkpoint that does not decode, or
 * that the store refused to read (`UnsafePath`: a link, a FIFO, a huge file, R33), is reported and dropped (R22);
 * the fresh start that follows replaces it.
 */
export const createPrepareActor = (deps: PrepareDeps) =>
  effectActor('prepare', (input: PrepareInput) => prepare(deps, input.target), deps.session);

const prepare = async (deps: PrepareDeps, target: string): Promise<PrepareOutput> => {
  const opened = await deps.storage.open(target)();
  if (E.isLeft(opened)) return { _tag: 'Fail', failure: opened.left };
  // Held at once, so that a pause or a failure from here on closes it (and releases the lock).
  deps.session.hold(opened.right);
  const size = await opened.right.size()();
  if (E.isLeft(size)) return { _tag: 'Fail', failure: size.left };
  const loaded = await deps.checkpoints.load(target)();
  if (E.isLeft(loaded) && loaded.left._tag !== 'UnsafePath') return { _tag: 'Fail', failure: loaded.left };
  // Without a checkpoint nothing is adopted (R19, R34: `isFinishedTarget`), so the target is not looked at.
  const ready = { _tag: 'Ready', partSize: size.right, targetSize: null } as const;
  if (E.isLeft(loaded)) return { ...ready, checkpoint: null, torn: describeFailure(loaded.left) };
  if (loaded.right === null) return { ...ready, checkpoint: null, torn: null };
  const decoded = decodeCheckpoint(loaded.right);
  if (E.isLeft(decoded)) return { ...ready, checkpoint: null, torn: decoded.left };
  // A target that cannot be looked at is taken as missing: it is then never adopted, only replaced (R19).
  const targetSize = E.getOrElseW(() => null)(await deps.storage.targetSize(target)());
  return { ...ready, targetSize, checkpoint: decoded.right, torn: null };
};
