import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointStore, StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { errnoOf, toStorageFailure } from './fsFailure.js';
import { fsyncDirectory } from './fsync.js';

/** `<target>.rdl.json`: the checkpoint of the download of `target`, beside its part file (R19). */
export const checkpointPathOf = (target: string): string => `${target}.rdl.json`;

let tempCounter = 0;

/**
 * Checkpoints as files beside the part file: `<target>.rdl.json`. A save writes `<target>.rdl.json.<pid>.<n>.tmp`,
 * fsyncs it, renames it over the checkpoint and fsyncs the folder, so a crash at any instant leaves the old text or
 * the new one, whole (R20). `target` is the same path given to `FsStorage`.
 */
export class FileCheckpointStore implements CheckpointStore {
  load(target: string): TE.TaskEither<StorageFailure, string | null> {
    const path = checkpointPathOf(target);
    return TE.tryCatch(
      async () => {
        try {
          return await readFile(path, 'utf8');
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') return null;
          throw error;
        }
      },
      toStorageFailure('read checkpoint', path),
    );
  }

  save(target: string, text: string): TE.TaskEither<StorageFailure, void> {
    const path = checkpointPathOf(target);
    return TE.tryCatch(
      async () => {
        tempCounter += 1;
        const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
        try {
          const handle = await open(temp, 'w');
          try {
            await handle.writeFile(text, 'utf8');
            await handle.sync();
          } finally {
            await handle.close();
          }
          await rename(temp, path);
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          throw error;
        }
        await fsyncDirectory(dirname(path));
      },
      toStorageFailure('save checkpoint', path),
    );
  }

  remove(target: string): TE.TaskEither<StorageFailure, void> {
    const path = checkpointPathOf(target);
    return TE.tryCatch(
      async () => {
        try {
          await unlink(path);
        } catch (error) {
          if (errnoOf(error) === 'ENOENT') return;
          throw error;
        }
        // Durable, so that a crash cannot bring back a checkpoint of a file that was already committed.
        await fsyncDirectory(dirname(path));
      },
      toStorageFailure('remove checkpoint', path),
    );
  }
}
