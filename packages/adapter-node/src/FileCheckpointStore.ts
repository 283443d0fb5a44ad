import { constants } from 'node:fs';
import { type FileHandle, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CheckpointStore, StorageFailure } from '@rdl/core';
import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { errnoOf, toStorageFailure } from './fsFailure.js';
import { fsyncDirectory } from './fsync.js';
import { createOwnFile, readOwnFile } from './ownFile.js';
import { checkpointPathOf, tempCheckpointPathOf } from './sidecarPaths.js';

export { checkpointPathOf } from './sidecarPaths.js';

/** A checkpoint is a few hundred bytes (one range, validators, a URL); a bigger file is not one (R33). */
export const maxCheckpointBytes = 1024 * 1024;

/** Creates a temp file of a save under a fresh random name; a name that exists (planted, R31) is never opened. */
const createTemp = async (target: string): Promise<{ path: string; handle: FileHandle }> => {
  for (let attempt = 0; attempt < 4; attempt += 1) {
    const path = tempCheckpointPathOf(target);
    const handle = await createOwnFile(path, constants.O_WRONLY);
    if (handle !== null) return { path, handle };
  }
  throw new Error('every fresh temp name was already taken');
};

/**
 * Checkpoints as files beside the part file: `<target>.rdl.json`. A save writes `<target>.rdl.json.<random>.tmp`
 * (created exclusively, mode 0600, never through a link, under a name nobody can guess: R31), fsyncs it, renames it
 * over the checkpoint and fsyncs the folder, so a crash at any instant leaves the old text or the new one, whole
 * (R20). The rename replaces whatever was at the checkpoint's name (a link replaced is the link, never the file it
 * names). `target` is the same path given to `FsStorage`, which sweeps the temp files a killed save left (R19).
 *
 * `load` reads only a regular file of this user with one link and at most `maxCheckpointBytes`, never following a
 * link nor opening a FIFO or a device (R31, R33); anything else is a `Left` `UnsafePath`, which core counts as a
 * torn checkpoint (R22): reported, then replaced by the fresh start's first save.
 */
export class FileCheckpointStore implements CheckpointStore {
  load(target: string): TE.TaskEither<StorageFailure, string | null> {
    const path = checkpointPathOf(target);
    return async () => {
      const read = await TE.tryCatch(
        () => readOwnFile(path, maxCheckpointBytes),
        toStorageFailure('read checkpoint', path),
      )();
      if (E.isLeft(read)) return read;
      switch (read.right._tag) {
        case 'Missing':
          return E.right(null);
        case 'Unsafe':
          return E.left({ _tag: 'UnsafePath', path, reason: read.right.reason });
        case 'Found': {
          const { text, info } = read.right.value;
          if (text !== null) return E.right(text);
          const reason = `it is ${info.size} bytes, more than a checkpoint can be (${maxCheckpointBytes})`;
          return E.left({ _tag: 'UnsafePath', path, reason });
        }
      }
    };
  }

  save(target: string, text: string): TE.TaskEither<StorageFailure, void> {
    const path = checkpointPathOf(target);
    return TE.tryCatch(
      async () => {
        const temp = await createTemp(target);
        try {
          try {
            await temp.handle.writeFile(text, 'utf8');
            await temp.handle.sync();
          } finally {
            await temp.handle.close();
          }
          await rename(temp.path, path);
        } catch (error) {
          await unlink(temp.path).catch(() => undefined);
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
        // unlink removes the name, never what a link names: whatever is there is rdl's to replace or remove.
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
