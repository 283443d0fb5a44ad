import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { CheckpointStore } from '../../ports/CheckpointStore.js';
import type { StorageFailure } from '../../ports/StoragePort.js';

/**
 * A download's checkpoint store over the checkpoint its queue kept for it (`MachineBindings.kept`, R45): a load that
 * finds none on storage gives that one. It was kept because no checkpoint on storage counted the file when it took
 * its name, so one on storage is newer (a run since began again and saved its own) and wins.
 */
export const withKeptCheckpoint = (store: CheckpointStore, kept: string): CheckpointStore => ({
  load:
    (target: string): TE.TaskEither<StorageFailure, string | null> =>
    async () => {
      const loaded = await store.load(target)();
      return loaded._tag === 'Right' && loaded.right === null ? { _tag: 'Right', right: kept } : loaded;
    },
  save: (target, text) => store.save(target, text),
  remove: (target) => store.remove(target),
});
