import * as E from 'fp-ts/lib/Either.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { StoragePort } from '../../ports/StoragePort.js';
import type { ReleaseInput, ReleaseOutput } from '../effects.js';
import { effectActor } from './effectActor.js';
import type { DownloadSession } from './session.js';

export interface ReleaseDeps {
  readonly storage: StoragePort;
  readonly checkpoints: CheckpointStore;
  readonly session: DownloadSession;
}

/**
 * Pause and failure (R24): once the work in flight has saved what it had, close the part file, which releases
 * the lock; the part file and the checkpoint stay for a later start. A pause before anything was kept
 * (`emptyUnsaved`) deletes the empty part file instead, through its handle.
 */
export const createReleaseActor = (deps: ReleaseDeps) =>
  effectActor('release', async (input: ReleaseInput): Promise<ReleaseOutput> => {
    await deps.session.quiet();
    const part = deps.session.take();
    if (part === null) return { _tag: 'Released' };
    const closed = input.emptyUnsaved === true ? await part.discard()() : await part.close()();
    return E.isLeft(closed) ? { _tag: 'Fail', failure: closed.left } : { _tag: 'Released' };
  });

/**
 * Cancel (R24): delete the part file (through the open handle, or by name when closed) and then the checkpoint.
 * When another download holds the target, nothing of it is touched (R23).
 */
export const createDiscardActor = (deps: ReleaseDeps) =>
  effectActor('discard', async (input: ReleaseInput): Promise<ReleaseOutput> => {
    await deps.session.quiet();
    const part = deps.session.take();
    const removed = part === null ? await deps.storage.remove(input.target)() : await part.discard()();
    if (E.isLeft(removed)) return { _tag: 'Fail', failure: removed.left };
    const forgotten = await deps.checkpoints.remove(input.target)();
    return E.isLeft(forgotten) ? { _tag: 'Fail', failure: forgotten.left } : { _tag: 'Released' };
  });
