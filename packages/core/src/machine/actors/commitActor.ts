import * as E from 'fp-ts/lib/Either.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { CommitInput, CommitOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import type { DownloadSession } from './session.js';

export interface CommitDeps {
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
  /** Told, and awaited, once the file is whole under its name, before the checkpoint goes (`MachineBindings`). */
  readonly finished?: (bytes: number) => Promise<void>;
}

/** R19: the verified part file takes its final name by an atomic rename, then the checkpoint is removed. */
export const createCommitActor = (deps: CommitDeps) =>
  effectActor('commit', (input: CommitInput) => commit(deps, input), deps.session);

const commit = async (deps: CommitDeps, input: CommitInput): Promise<CommitOutput> => {
  // Committing ends the handle whatever happens: nobody may use it after this.
  const part = deps.session.take();
  if (part === null) throw new Error('committing without an open part file');
  const committed = await part.commit()();
  if (E.isLeft(committed)) return { _tag: 'Fail', failure: committed.left };
  // The file is whole under its name. A checkpoint left by a failed removal (or a kill right here) counts every
  // byte of a part file that is gone: a later start recognises the finished target and adopts it (R19, R21).
  await deps.finished?.(input.bytes);
  await deps.checkpoints.remove(input.target)();
  return { _tag: 'Committed' };
};
