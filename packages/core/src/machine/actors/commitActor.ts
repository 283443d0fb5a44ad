import * as E from 'fp-ts/lib/Either.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import { encodeCheckpoint } from '../../rules/checkpointCodec.js';
import { isUnsavedWhole } from '../../rules/finishedTarget.js';
import type { CommitInput, CommitOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import type { DownloadSession } from './session.js';

export interface CommitDeps {
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
  /**
   * Told, and awaited, before the rename, with a checkpoint storage does not hold (`MachineBindings`); false when
   * it could not be kept.
   */
  readonly committing?: (checkpoint: string) => Promise<boolean>;
  /**
   * Told, and awaited, once the file is whole under its name, before the checkpoint goes (`MachineBindings`), with
   * whether a checkpoint that counts the file is on storage; false when the file could not be recorded finished,
   * and the checkpoint stays.
   */
  readonly finished?: (bytes: number, checkpointStored: boolean) => Promise<boolean>;
}

/** R19: the verified part file takes its final name by an atomic rename, then the checkpoint is removed. */
export const createCommitActor = (deps: CommitDeps) =>
  effectActor('commit', (input: CommitInput) => commit(deps, input), deps.session);

const commit = async (deps: CommitDeps, input: CommitInput): Promise<CommitOutput> => {
  // Committing ends the handle whatever happens: nobody may use it after this.
  const part = deps.session.take();
  if (part === null) throw new Error('committing without an open part file');
  // Whether storage holds a checkpoint that counts the whole file: one saved as the download went, unless not.
  let checkpointStored = true;
  if (deps.committing !== undefined && isUnsavedWhole(input.checkpoint, input.durableBytes)) {
    // No checkpoint on storage counts this file (a small one, done before its first was due): a kill after the
    // rename would leave a whole file its queue fetches again (R45). The queue keeps the checkpoint instead, once
    // the bytes it counts are flushed (R20), before the name is taken: the next start adopts the file from it.
    const flushed = await part.flush()();
    if (E.isLeft(flushed)) {
      await part.close()();
      return { _tag: 'Fail', failure: flushed.left };
    }
    const text = encodeCheckpoint(input.checkpoint);
    // Not kept (the queue's store failed): it goes beside the file, as a saved one would, for R34 to adopt from;
    // when that save fails too (the folder is full), nothing counts the file, and the queue must not say otherwise.
    if (!(await deps.committing(text)))
      checkpointStored = E.isRight(await deps.checkpoints.save(input.target, text)());
  }
  const committed = await part.commit()();
  if (E.isLeft(committed)) return { _tag: 'Fail', failure: committed.left };
  // The file is whole under its name. A checkpoint left by a failed removal (or a kill right here), or the one its
  // queue keeps, counts every byte of a part file that is gone: a later start adopts the finished target (R19, R21).
  const recorded = (await deps.finished?.(input.bytes, checkpointStored)) ?? true;
  // Not recorded finished (R45): the checkpoint stays, so the next start adopts the file, with no request, and
  // removes it (R34), rather than fetch it again over a good file.
  if (recorded) await deps.checkpoints.remove(input.target)();
  return { _tag: 'Committed' };
};
