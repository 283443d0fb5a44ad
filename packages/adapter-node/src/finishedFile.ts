import { open, stat } from 'node:fs/promises';
import type { StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { errnoOf, toStorageFailure } from './fsFailure.js';
import { readAt } from './readAt.js';

/**
 * The size of the finished file `target`, `null` when neither it nor its folder exists (R19, R21). A folder or a
 * device by that name is not a finished download: a `Left`.
 */
export const finishedFileSize = (target: string): TE.TaskEither<StorageFailure, number | null> =>
  TE.tryCatch(
    async () => {
      try {
        const info = await stat(target);
        if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EISDIR' });
        return info.size;
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw error;
      }
    },
    toStorageFailure('stat', target),
  );

/** Up to `length` bytes of the finished file `target` at `offset`, fewer only at its end (R27). */
export const readFinishedFile = (
  target: string,
  offset: number,
  length: number,
): TE.TaskEither<StorageFailure, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const handle = await open(target, 'r');
      try {
        return await readAt(handle, offset, length);
      } finally {
        await handle.close();
      }
    },
    toStorageFailure('read', target),
  );
