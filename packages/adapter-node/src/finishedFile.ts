import { constants } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { StorageFailure } from '@rdl/core';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { errnoOf, toStorageFailure, UnsafeFileError } from './fsFailure.js';
import { openOwnFile, unsafeReason } from './ownFile.js';
import { readAt } from './readAt.js';

/**
 * The size of the finished file `target`, `null` when neither it nor its folder exists (R19, R21). Looked at with
 * lstat, as rdl looks at its own files (R31): a link, a folder, a device, a hard link or another user's file by that
 * name is not the file a killed run committed, a `Left` (and core then never adopts it, it replaces it).
 */
export const finishedFileSize = (target: string): TE.TaskEither<StorageFailure, number | null> =>
  TE.tryCatch(
    async () => {
      try {
        const info = await lstat(target);
        const reason = unsafeReason(info);
        if (reason !== null) throw new UnsafeFileError(target, reason);
        return info.size;
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw error;
      }
    },
    toStorageFailure('stat', target),
  );

/**
 * Up to `length` bytes of the finished file `target` at `offset`, fewer only at its end (R27). Opened as rdl opens
 * its own files (never through a link, never a FIFO or a device, R31): a target this user did not write is not the
 * one a killed run committed.
 */
export const readFinishedFile = (
  target: string,
  offset: number,
  length: number,
): TE.TaskEither<StorageFailure, Uint8Array> =>
  TE.tryCatch(
    async () => {
      const opened = await openOwnFile(target, constants.O_RDONLY);
      if (opened._tag === 'Missing') throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
      if (opened._tag === 'Unsafe') throw new UnsafeFileError(target, opened.reason);
      try {
        return await readAt(opened.value, offset, length);
      } finally {
        await opened.value.close();
      }
    },
    toStorageFailure('read', target),
  );
